using System.Text.Json;
using System.Text.Json.Serialization;

namespace Regami.Dr.Core.Costs;

/// <summary>
/// A dated table of AWS list prices, per region, for what the DR footprint is made of. The EU
/// table lives in the repository as data (<c>Costs/prices-eu.json</c>, embedded in this assembly):
/// a price update is a reviewable diff of numbers next to the date and the pages they came from,
/// with no code change, and a script can regenerate it from the Price List API.
/// </summary>
public sealed record PriceTable
{
    /// <summary>The day the prices are asserted for; every estimate and every error names it.</summary>
    public required DateOnly Date { get; init; }

    public required string Currency { get; init; }

    /// <summary>What kind of price this is (on-demand, Single-AZ, 730 h per month).</summary>
    public required string Basis { get; init; }

    /// <summary>How the figures were taken, and the advice to check them before budgeting.</summary>
    public required string Caveat { get; init; }

    /// <summary>The public price pages and Price List API files the figures come from.</summary>
    public required IReadOnlyList<string> Sources { get; init; }

    public required GlobalPrices Global { get; init; }

    /// <summary>Per region name (eu-central-1, …).</summary>
    public required IReadOnlyDictionary<string, RegionPrices> Regions { get; init; }

    /// <summary>The logical name of the embedded EU table.</summary>
    public const string EuResourceName = "Regami.Dr.Core.Costs.prices-eu.json";

    private static readonly JsonSerializerOptions ReadOptions = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>The EU table shipped with this build (read from the assembly, not from disk: nothing to install).</summary>
    public static PriceTable Eu()
    {
        using var stream = typeof(PriceTable).Assembly.GetManifestResourceStream(EuResourceName)
            ?? throw new InvalidOperationException($"the price table {EuResourceName} is not embedded in {typeof(PriceTable).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), EuResourceName);
    }

    /// <summary>Reads a table and checks it is complete; a missing key or a price that is not positive is an error naming it.</summary>
    public static PriceTable Parse(string json, string name)
    {
        PriceTable? table;
        try
        {
            table = JsonSerializer.Deserialize<PriceTable>(json, ReadOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{name}: {e.Message}", e);
        }
        if (table is null) throw new InvalidDataException($"{name}: empty");
        var problems = table.Problems().ToList();
        if (problems.Count > 0) throw new InvalidDataException($"{name}: {string.Join("; ", problems)}");
        return table;
    }

    /// <summary>What is wrong with the table: a table with a gap would price a line at $0 without saying so.</summary>
    public IEnumerable<string> Problems()
    {
        if (Currency != "USD") yield return $"currency must be USD (found '{Currency}')";
        if (Sources.Count == 0) yield return "sources must name where the prices come from";
        if (Regions.Count == 0) yield return "regions is empty";
        foreach (var (key, value) in Global.Prices().Where(p => p.Value < 0)) yield return $"global.{key} must not be negative (found {value})";
        foreach (var (region, prices) in Regions)
        {
            if (!Configuration.DrConfiguration.IsRegionName(region)) yield return $"regions.{region} is not a region name";
            if (prices.RdsPostgresInstanceHour.Count == 0) yield return $"regions.{region}.rdsPostgresInstanceHour is empty";
            foreach (var (key, value) in prices.Prices().Where(p => p.Value <= 0)) yield return $"regions.{region}.{key} must be greater than 0 (found {value})";
        }
    }
}

/// <summary>Prices that do not depend on the region (Route 53 is a global service; RTC is one price everywhere).</summary>
public sealed record GlobalPrices
{
    /// <summary>A Route 53 health check of an AWS endpoint, per month, without optional features.</summary>
    public required decimal Route53HealthCheckMonth { get; init; }

    /// <summary>Each optional feature of such a check (HTTPS, fast interval, string matching, latency), per month.</summary>
    public required decimal Route53OptionalFeatureMonth { get; init; }

    /// <summary>S3 Replication Time Control, per GB replicated.</summary>
    public required decimal S3ReplicationTimeControlGb { get; init; }

    public required decimal SnsPublishesPerMillion { get; init; }

    /// <summary>Publishes per month the SNS free tier covers.</summary>
    public required long SnsFreePublishesMonth { get; init; }

    internal IEnumerable<KeyValuePair<string, decimal>> Prices() =>
    [
        new("route53HealthCheckMonth", Route53HealthCheckMonth),
        new("route53OptionalFeatureMonth", Route53OptionalFeatureMonth),
        new("s3ReplicationTimeControlGb", S3ReplicationTimeControlGb),
        new("snsPublishesPerMillion", SnsPublishesPerMillion),
        new("snsFreePublishesMonth", SnsFreePublishesMonth),
    ];
}

/// <summary>One region's prices. Every key is required: a region either has them all or the table does not load.</summary>
public sealed record RegionPrices
{
    /// <summary>AWS's display name (Europe (Frankfurt)).</summary>
    public required string Name { get; init; }

    /// <summary>RDS for PostgreSQL, Single-AZ, on-demand, per instance class, per hour.</summary>
    public required IReadOnlyDictionary<string, decimal> RdsPostgresInstanceHour { get; init; }

    /// <summary>RDS storage per storage type (gp2, gp3), per GB-month allocated.</summary>
    public required IReadOnlyDictionary<string, decimal> RdsStorageGbMonth { get; init; }

    /// <summary>RDS snapshot storage per GB-month (what AWS Backup charges for an RDS snapshot in a vault).</summary>
    public required decimal RdsBackupStorageGbMonth { get; init; }

    /// <summary>Data transfer out of this region to another AWS region, per GB (billed in the sending region).</summary>
    public required decimal InterRegionTransferOutGb { get; init; }

    /// <summary>S3 Standard, first 50 TB, per GB-month.</summary>
    public required decimal S3StandardGbMonth { get; init; }

    /// <summary>S3 PUT, COPY, POST, LIST requests per 1,000 (replicated objects are PUT in the destination).</summary>
    public required decimal S3PutPer1000 { get; init; }

    /// <summary>A CloudWatch alarm on a standard-resolution metric, per month.</summary>
    public required decimal CloudWatchAlarmMonth { get; init; }

    /// <summary>A customer managed KMS key, per month.</summary>
    public required decimal KmsKeyMonth { get; init; }

    /// <summary>An Application Load Balancer, per hour (LCUs extra).</summary>
    public required decimal AlbHour { get; init; }

    /// <summary>Fargate (Linux/x86), per vCPU-hour.</summary>
    public required decimal FargateVcpuHour { get; init; }

    /// <summary>Fargate (Linux/x86), per GB of memory per hour.</summary>
    public required decimal FargateGbHour { get; init; }

    internal IEnumerable<KeyValuePair<string, decimal>> Prices() =>
        RdsPostgresInstanceHour.Select(p => new KeyValuePair<string, decimal>($"rdsPostgresInstanceHour.{p.Key}", p.Value))
            .Concat(RdsStorageGbMonth.Select(p => new KeyValuePair<string, decimal>($"rdsStorageGbMonth.{p.Key}", p.Value)))
            .Concat(
            [
                new("rdsBackupStorageGbMonth", RdsBackupStorageGbMonth),
                new("interRegionTransferOutGb", InterRegionTransferOutGb),
                new("s3StandardGbMonth", S3StandardGbMonth),
                new("s3PutPer1000", S3PutPer1000),
                new("cloudWatchAlarmMonth", CloudWatchAlarmMonth),
                new("kmsKeyMonth", KmsKeyMonth),
                new("albHour", AlbHour),
                new("fargateVcpuHour", FargateVcpuHour),
                new("fargateGbHour", FargateGbHour),
            ]);
}
