using System.Text.Json.Nodes;
using Regami.Dr.Core.Costs;

namespace Regami.Dr.Core.Tests.Costs;

public sealed class PriceTableTests
{
    private static readonly string[] EuRegions = ["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2"];

    private static readonly string[] PlanClasses =
        ["db.t4g.medium", "db.t4g.large", "db.m6g.large", "db.m6g.xlarge", "db.r6g.large", "db.r6g.xlarge", "db.r6g.2xlarge", "db.m7g.large", "db.r7g.large"];

    [Fact]
    public void The_embedded_table_is_dated_sourced_and_prices_every_key_in_every_eu_region()
    {
        var t = PriceTable.Eu();
        Assert.Equal("USD", t.Currency);
        Assert.True(t.Date >= new DateOnly(2024, 1, 1), $"{t.Date}");
        Assert.Contains("check before budgeting", t.Caveat, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(t.Sources, s => s.StartsWith("https://aws.amazon.com/rds/postgresql/pricing", StringComparison.Ordinal));
        Assert.Contains(t.Sources, s => s.StartsWith("https://pricing.us-east-1.amazonaws.com/", StringComparison.Ordinal));
        Assert.Equal(EuRegions.Order(), t.Regions.Keys.Order());
        Assert.Empty(t.Problems());

        var classes = t.Regions.Values.First().RdsPostgresInstanceHour.Keys.ToHashSet();
        Assert.All(PlanClasses, c => Assert.Contains(c, classes));
        foreach (var (region, p) in t.Regions)
        {
            // The same classes and storage types everywhere: a class priced in one region only would fail elsewhere.
            Assert.Equal(classes.Order(), p.RdsPostgresInstanceHour.Keys.Order());
            Assert.Equal(["gp2", "gp3"], p.RdsStorageGbMonth.Keys.Order());
            Assert.All(p.RdsPostgresInstanceHour.Values.Concat(p.RdsStorageGbMonth.Values), v => Assert.True(v > 0, region));
            Assert.All(new[] { p.RdsBackupStorageGbMonth, p.InterRegionTransferOutGb, p.S3StandardGbMonth, p.S3PutPer1000, p.CloudWatchAlarmMonth,
                p.KmsKeyMonth, p.AlbHour, p.FargateVcpuHour, p.FargateGbHour }, v => Assert.True(v > 0, region));
            Assert.Equal(0.02m, p.InterRegionTransferOutGb);    // EU → EU
            Assert.Equal(0.10m, p.CloudWatchAlarmMonth);
            Assert.Equal(1.00m, p.KmsKeyMonth);
        }
        Assert.Equal((0.50m, 1.00m, 0.015m), (t.Global.Route53HealthCheckMonth, t.Global.Route53OptionalFeatureMonth, t.Global.S3ReplicationTimeControlGb));
    }

    [Fact]
    public void The_tables_prices_are_internally_consistent()
    {
        foreach (var (region, p) in PriceTable.Eu().Regions)
        {
            var h = p.RdsPostgresInstanceHour;
            // Within a family the price is linear in size; memory-optimized costs more than general purpose, Graviton3 more than Graviton2.
            foreach (var family in new[] { "db.m6g", "db.m7g", "db.r6g", "db.r7g" })
            {
                Assert.Equal(2 * h[$"{family}.large"], h[$"{family}.xlarge"]);
                Assert.Equal(4 * h[$"{family}.large"], h[$"{family}.2xlarge"]);
            }
            Assert.True(h["db.t4g.medium"] < h["db.t4g.large"] && h["db.t4g.large"] < h["db.m6g.large"] && h["db.m6g.large"] < h["db.r6g.large"], region);
            Assert.True(h["db.m6g.large"] < h["db.m7g.large"] && h["db.r6g.large"] < h["db.r7g.large"], region);
            Assert.InRange(h["db.r6g.large"], 0.23m, 0.31m);
            Assert.InRange(p.RdsStorageGbMonth["gp3"], 0.11m, 0.16m);
            Assert.InRange(p.S3StandardGbMonth, 0.022m, 0.027m);
        }
        Assert.InRange(PriceTable.Eu().Regions["eu-west-3"].RdsPostgresInstanceHour["db.r6g.large"], 0.26m, 0.28m);
    }

    [Fact]
    public void A_table_missing_a_key_or_with_a_price_of_zero_does_not_load()
    {
        var json = JsonNode.Parse(EmbeddedText())!;
        json["regions"]!["eu-west-3"]!.AsObject().Remove("albHour");
        var missing = Assert.Throws<InvalidDataException>(() => PriceTable.Parse(json.ToJsonString(), "t.json"));
        Assert.Contains("albHour", missing.Message);

        json = JsonNode.Parse(EmbeddedText())!;
        json["regions"]!["eu-west-3"]!["rdsPostgresInstanceHour"]!["db.r6g.large"] = 0;
        var zero = Assert.Throws<InvalidDataException>(() => PriceTable.Parse(json.ToJsonString(), "t.json"));
        Assert.Contains("regions.eu-west-3.rdsPostgresInstanceHour.db.r6g.large must be greater than 0", zero.Message);

        json = JsonNode.Parse(EmbeddedText())!;
        json["regions"]!["eu-west-3"]!["albHourly"] = 1;
        Assert.Contains("albHourly", Assert.Throws<InvalidDataException>(() => PriceTable.Parse(json.ToJsonString(), "t.json")).Message);
    }

    private static string EmbeddedText()
    {
        using var s = typeof(PriceTable).Assembly.GetManifestResourceStream(PriceTable.EuResourceName)!;
        return new StreamReader(s).ReadToEnd();
    }
}
