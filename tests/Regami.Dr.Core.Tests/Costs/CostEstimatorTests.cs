using System.Text.Json;
using System.Text.Json.Serialization;
using NJsonSchema;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Costs;
using static Regami.Dr.Core.Tests.Drills.DrillTestKit;

namespace Regami.Dr.Core.Tests.Costs;

public sealed class CostEstimatorTests
{
    private static DrConfiguration Load(string yaml) => DrConfiguration.From(ConfigDocument.Parse(yaml, "test.yaml"));

    private static CostLineItem Line(CostEstimate e, string key) => Assert.Single(e.LineItems, i => i.Key == key);

    /// <summary>
    /// Round prices, and a primary whose every price differs from the standby's: each line must
    /// take the price of the region that bills it (standby for what lives there, the primary for
    /// what leaves it).
    /// </summary>
    private static PriceTable SmallTable() => new()
    {
        Date = new DateOnly(2026, 1, 15),
        Currency = "USD",
        Basis = "test",
        Caveat = "test",
        Sources = ["https://example.test/prices"],
        Global = new GlobalPrices
        {
            Route53HealthCheckMonth = 0.50m,
            Route53OptionalFeatureMonth = 1.00m,
            S3ReplicationTimeControlGb = 0.015m,
            SnsPublishesPerMillion = 0.50m,
            SnsFreePublishesMonth = 1_000_000,
        },
        Regions = new Dictionary<string, RegionPrices>
        {
            ["eu-central-1"] = Prices(instance: 1.00m, transfer: 0.99m),
            ["eu-west-3"] = Prices(instance: 9.99m, transfer: 0.02m) with
            {
                RdsStorageGbMonth = new Dictionary<string, decimal> { ["gp3"] = 9.99m },
                RdsBackupStorageGbMonth = 9.99m, S3StandardGbMonth = 9.99m, S3PutPer1000 = 9.99m, CloudWatchAlarmMonth = 9.99m,
                KmsKeyMonth = 9.99m, AlbHour = 9.99m, FargateVcpuHour = 9.99m, FargateGbHour = 9.99m,
            },
        },
    };

    private static RegionPrices Prices(decimal instance, decimal transfer) => new()
    {
        Name = "test",
        RdsPostgresInstanceHour = new Dictionary<string, decimal> { ["db.test.large"] = instance, ["db.test.xlarge"] = 2 * instance },
        RdsStorageGbMonth = new Dictionary<string, decimal> { ["gp3"] = 0.10m, ["gp2"] = 0.10m },
        RdsBackupStorageGbMonth = 0.05m,
        InterRegionTransferOutGb = transfer,
        S3StandardGbMonth = 0.02m,
        S3PutPer1000 = 0.005m,
        CloudWatchAlarmMonth = 0.10m,
        KmsKeyMonth = 1.00m,
        AlbHour = 0.02m,
        FargateVcpuHour = 0.04m,
        FargateGbHour = 0.004m,
    };

    private const string SmallConfig = """
        healthCheck: { requestInterval: 30s, failureThreshold: 3, timeout: 4s }
        compute: { standbyInstances: 1 }
        backups:
          schedules: { compliance: "", monthly: "" }   # daily copies only: 7 kept
        cost:
          replicaInstanceClass: db.test.large
          storageGb: 200
          walGbPerMonth: 40
          uploadsGb: 500
          uploadsChangeGbPerMonth: 20
          uploadsObjectsPerMonth: 50000
          backupGb: 100
          backupDailyChangePercent: 1
          healthChecks: 2
          healthCheckExtraFeatures: 1
          taskVcpu: 1
          taskMemoryGb: 2
          alarms: 3
          kmsKeys: 1
          snsPublishesPerMonth: 3000000
        """;

    [Fact]
    public void Each_line_item_is_quantity_times_the_price_of_the_region_that_bills_it()
    {
        var e = CostEstimator.Estimate(Load(SmallConfig), SmallTable());

        void Expect(string key, string region, double quantity, decimal unitPrice, decimal monthly)
        {
            var line = Line(e, key);
            Assert.Equal((region, quantity, unitPrice, monthly), (line.Region, line.Quantity, line.UnitPriceUsd, line.MonthlyUsd));
            Assert.False(string.IsNullOrWhiteSpace(line.Note), key);
        }

        Expect("replicaInstance", "eu-central-1", 730, 1.00m, 730.00m);
        Expect("replicaStorage", "eu-central-1", 200, 0.10m, 20.00m);
        Expect("walTransfer", "eu-west-3", 40, 0.02m, 0.80m);                 // leaves the primary: its transfer price
        Expect("healthChecks", "global", 2, 2.50m, 5.00m);                     // 0.50 + HTTPS 1.00 + 1 extra 1.00; 30 s: no fast interval
        Expect("s3ReplicaStorage", "eu-central-1", 500, 0.02m, 10.00m);
        Expect("s3ReplicationTransfer", "eu-west-3", 20, 0.02m, 0.40m);
        Expect("s3ReplicationTimeControl", "global", 20, 0.015m, 0.30m);
        Expect("s3ReplicationRequests", "eu-central-1", 50, 0.005m, 0.25m);
        // Daily only: 365 copies a year, 7 kept, each 1% of 100 GB; 365/12 copies a month cross.
        Expect("backupCopyTransfer", "eu-west-3", 30.417, 0.02m, 0.61m);
        Expect("backupCopyStorage", "eu-central-1", 107, 0.05m, 5.35m);
        Expect("standbyCompute", "eu-central-1", 730, 0.048m, 35.04m);      // 1 task × (1 vCPU × 0.04 + 2 GB × 0.004)
        Expect("standbyLoadBalancer", "eu-central-1", 730, 0.02m, 14.60m);
        Expect("cloudWatchAlarms", "eu-central-1", 3, 0.10m, 0.30m);
        Expect("kmsKeys", "eu-central-1", 1, 1.00m, 1.00m);
        Expect("snsNotifications", "global", 2, 0.50m, 1.00m);               // 3 M publishes, 1 M free

        Assert.Equal(824.65m, e.TotalMonthlyUsd);
        Assert.Equal(e.LineItems.Sum(i => i.MonthlyUsd), e.TotalMonthlyUsd);
        Assert.Equal(new PlanComparison(130, 280, PlanVerdict.Above), e.Plan);
        Assert.Equal(("eu-west-3", "eu-central-1", 730), (e.PrimaryRegion, e.StandbyRegion, e.HoursPerMonth));
        Assert.Equal(new DateOnly(2026, 1, 15), e.PriceTable.Date);
    }

    [Fact]
    public void Http_at_the_fast_interval_pays_one_feature_and_a_stopped_standby_pays_no_compute()
    {
        var e = CostEstimator.Estimate(Load("healthCheck: { requestInterval: 10s, failureThreshold: 3, timeout: 4s }\ncost: { replicaInstanceClass: db.test.large, healthCheckProtocol: HTTP }"), SmallTable());
        Assert.Equal(1.50m, Line(e, "healthChecks").UnitPriceUsd);
        Assert.Contains("fast interval", Line(e, "healthChecks").Note);
        Assert.Equal(0m, Line(e, "standbyCompute").MonthlyUsd);
        Assert.Contains("0 tasks", Line(e, "standbyCompute").Note);
        Assert.Equal(0m, Line(e, "snsNotifications").MonthlyUsd);
    }

    [Fact]
    public void A_measured_wal_volume_replaces_the_configured_estimate_and_says_so()
    {
        var config = Load("cost: { replicaInstanceClass: db.test.large, walGbPerMonth: 40 }");
        var configured = CostEstimator.Estimate(config, SmallTable());
        var given = CostEstimator.Estimate(config, SmallTable(), walGbPerMonthGiven: 250);
        Assert.Equal(("configured", 40.0), (configured.WalSource, Line(configured, "walTransfer").Quantity));
        Assert.Equal(("given", 250.0, 5.00m), (given.WalSource, Line(given, "walTransfer").Quantity, Line(given, "walTransfer").MonthlyUsd));
        Assert.Contains("--wal-gb-per-month", Line(given, "walTransfer").Note);
        Assert.Contains(given.Assumptions, a => a.Field == "cost.walGbPerMonth" && a.Value == "250 GB" && a.Note!.Contains("--wal-gb-per-month"));
    }

    [Theory]
    [InlineData(50, 3000, PlanVerdict.InRange)]
    [InlineData(2000, 3000, PlanVerdict.Below)]
    public void The_total_is_judged_against_the_configured_plan_range(int low, int high, PlanVerdict verdict)
    {
        var e = CostEstimator.Estimate(Load($"cost: {{ replicaInstanceClass: db.test.large, planMonthlyLowUsd: {low}, planMonthlyHighUsd: {high} }}"), SmallTable());
        Assert.Equal(new PlanComparison(low, high, verdict), e.Plan);
    }

    [Fact]
    public void The_default_configuration_prices_every_line_and_lands_in_the_plans_range()
    {
        var e = CostEstimator.Estimate(Load("{}"), PriceTable.Eu());
        string[] keys =
        [
            "replicaInstance", "replicaStorage", "walTransfer", "healthChecks", "s3ReplicaStorage", "s3ReplicationTransfer", "s3ReplicationTimeControl",
            "s3ReplicationRequests", "backupCopyTransfer", "backupCopyStorage", "standbyCompute", "standbyLoadBalancer", "cloudWatchAlarms", "kmsKeys", "snsNotifications",
        ];
        Assert.Equal(keys, e.LineItems.Select(i => i.Key));
        // db.r6g.large in Frankfurt dominates (≈ $197); with storage, the idle ALB and the backup copies
        // the lab's footprint is ≈ $269, inside the plan's $130–280.
        Assert.InRange(e.TotalMonthlyUsd, 250m, 280m);
        Assert.Equal(PlanVerdict.InRange, e.Plan.Verdict);
        Assert.Equal(0.270m * 730, Line(e, "replicaInstance").MonthlyUsd);
        Assert.Equal(0m, Line(e, "standbyCompute").MonthlyUsd);
        Assert.All(e.LineItems.Where(i => i.Key is not ("standbyCompute" or "snsNotifications")), i => Assert.True(i.MonthlyUsd > 0, i.Key));
        Assert.Contains(e.Excluded, x => x.Contains("eu-west-3"));
    }

    [Fact]
    public void The_aws_production_profile_prices_standard_interval_https_checks_and_lands_in_the_plans_range()
    {
        var yaml = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "examples", "regami-dr.aws.yaml"));
        var e = CostEstimator.Estimate(Load(yaml), PriceTable.Eu());
        Assert.Equal(1.50m, Line(e, "healthChecks").UnitPriceUsd);    // HTTPS every 30 s: $0.50 + $1.00
        Assert.InRange(e.TotalMonthlyUsd, 250m, 280m);
        Assert.Equal(PlanVerdict.InRange, e.Plan.Verdict);
    }

    [Fact]
    public void An_instance_class_missing_from_the_table_names_the_class_the_tables_date_and_the_region()
    {
        var ex = Assert.Throws<CostEstimateException>(() => CostEstimator.Estimate(Load("cost: { replicaInstanceClass: db.x9.huge }"), PriceTable.Eu()));
        Assert.Equal("cost.replicaInstanceClass", ex.Field);
        Assert.StartsWith($"db.x9.huge is not in the price table of {PriceTable.Eu().Date:yyyy-MM-dd} (eu-central-1); known: ", ex.Problem);
        Assert.Contains("db.r6g.large", ex.Problem);
        // Ordered as a person scans them: large before xlarge before 2xlarge.
        Assert.Contains("db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge", ex.Problem);
    }

    [Fact]
    public void A_region_missing_from_the_table_names_its_field_and_the_tables_date()
    {
        var config = Load("regions:\n  - { name: eu-west-3, role: primary }\n  - { name: us-east-1, role: standby }\n");
        var ex = Assert.Throws<CostEstimateException>(() => CostEstimator.Estimate(config, SmallTable()));
        Assert.Equal("regions[1].name", ex.Field);
        Assert.Equal("us-east-1 is not in the price table of 2026-01-15; known: eu-central-1, eu-west-3", ex.Problem);
    }

    [Fact]
    public void The_backup_copies_keep_the_retention_of_each_class_and_store_increments_once()
    {
        var m = BackupCopyModel.From(new Regami.Dr.Core.Backups.BackupConfig(), fullGb: 100, dailyChangePercent: 1);
        Assert.Equal([("daily", 365, 7), ("compliance", 52, 2), ("monthly", 12, 12)],
            m.Classes.Select(c => (c.Class.ToString().ToLowerInvariant(), c.RunsPerYear, c.Kept)));
        Assert.Equal(1.0, m.Classes[0].IncrementGb, 9);
        // A month apart, a block written on many days is stored once: 26%, not 30 × 1%.
        Assert.Equal(100 * (1 - Math.Pow(0.99, 365.0 / 12)), m.Classes[2].IncrementGb, 9);
        Assert.InRange(m.Classes[2].IncrementGb, 26, 27);
        Assert.Equal(100 + m.Classes.Sum(c => c.Kept * c.IncrementGb), m.StoredGb, 9);
        Assert.Equal(365.0 / 12, m.TransferGbPerMonth, 9);    // the daily copies ship every changed block once

        var none = BackupCopyModel.From(new Regami.Dr.Core.Backups.BackupConfig(), fullGb: 100, dailyChangePercent: 0);
        Assert.Equal((100.0, 0.0), (none.StoredGb, none.TransferGbPerMonth));
        var off = new Regami.Dr.Core.Backups.BackupConfig();
        off.Schedules.Daily = off.Schedules.Compliance = off.Schedules.Monthly = "";
        Assert.Equal(0, BackupCopyModel.From(off, 100, 1).StoredGb);
    }

    [Fact]
    public async Task Json_validates_against_the_contract_with_camel_case_names()
    {
        var schema = await JsonSchema.FromFileAsync(ContractPath("cost.schema.json"));
        // The options of the CLI's `--output json` (src/Regami.Dr.Cli/Output/Json.cs).
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };
        foreach (var e in new[] { CostEstimator.Estimate(Load("{}"), PriceTable.Eu()), CostEstimator.Estimate(Load(SmallConfig), SmallTable(), 12.5) })
        {
            var json = JsonSerializer.Serialize(e, options);
            var errors = schema.Validate(json);
            Assert.True(errors.Count == 0, string.Join("\n", errors.Select(x => $"{x.Path}: {x.Kind}")) + "\n" + json);
            using var doc = JsonDocument.Parse(json);
            Assert.True(doc.RootElement.GetProperty("totalMonthlyUsd").GetDecimal() > 0);
            Assert.Matches("^(below|inRange|above)$", doc.RootElement.GetProperty("plan").GetProperty("verdict").GetString());
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", doc.RootElement.GetProperty("priceTable").GetProperty("date").GetString());
        }
    }
}
