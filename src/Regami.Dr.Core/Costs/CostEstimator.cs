using System.Globalization;
using Regami.Dr.Core.Configuration;

namespace Regami.Dr.Core.Costs;

/// <summary>An input the price table cannot price (an instance class or a region it does not list); names the configuration field.</summary>
public sealed class CostEstimateException(string field, string problem) : Exception($"{field}: {problem}")
{
    public string Field { get; } = field;
    public string Problem { get; } = problem;
}

/// <summary>
/// Prices the DR footprint the configuration describes from a price table: pure, no clock, no
/// I/O. The footprint is what exists only because of the DR plan: the standby region's replica,
/// storage, load balancer, compute, key and backup copies, the cross-region traffic that feeds
/// them, the health checks and alarms. The primary's own estate runs with or without DR and is
/// not counted.
/// </summary>
public static class CostEstimator
{
    /// <summary>AWS prices a month as 730 hours.</summary>
    public const int HoursPerMonth = 730;

    /// <summary>Route 53 checks at 30 s, or at 10 s with the fast-interval option.</summary>
    private static readonly TimeSpan StandardInterval = TimeSpan.FromSeconds(30);

    /// <param name="walGbPerMonthGiven">A measured WAL volume that replaces cost.walGbPerMonth (`--wal-gb-per-month`).</param>
    /// <exception cref="CostEstimateException">The table lacks the standby or primary region, the instance class or the storage type.</exception>
    public static CostEstimate Estimate(DrConfiguration config, PriceTable table, double? walGbPerMonthGiven = null)
    {
        if (walGbPerMonthGiven is { } given && !(given is >= 0 and < 10_000_000))
            throw new ArgumentOutOfRangeException(nameof(walGbPerMonthGiven), given, "WAL volume must be 0 or more GB");
        var cost = config.Cost;
        var primary = config.PrimaryRegion.Name;
        var standby = config.StandbyRegion.Name;
        var sp = RegionOf(config, table, standby);
        var pp = RegionOf(config, table, primary);
        var date = table.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        if (!sp.RdsPostgresInstanceHour.TryGetValue(cost.ReplicaInstanceClass, out var instanceHour))
            throw new CostEstimateException("cost.replicaInstanceClass",
                $"{cost.ReplicaInstanceClass} is not in the price table of {date} ({standby}); known: {string.Join(", ", InstanceClasses.Sorted(sp.RdsPostgresInstanceHour.Keys))}");
        if (!sp.RdsStorageGbMonth.TryGetValue(cost.StorageType, out var storageGbMonth))
            throw new CostEstimateException("cost.storageType",
                $"{cost.StorageType} is not in the price table of {date} ({standby}); known: {string.Join(", ", sp.RdsStorageGbMonth.Keys.Order(StringComparer.Ordinal))}");

        var wal = walGbPerMonthGiven ?? cost.WalGbPerMonth;
        var walSource = walGbPerMonthGiven is null ? "configured" : "given";
        var backups = BackupCopyModel.From(config.Backups, cost.EffectiveBackupGb, cost.BackupDailyChangePercent);
        var tasks = cost.StandbyComputeTasks ?? config.Compute.StandbyInstances;
        var fast = config.HealthCheck.RequestInterval < StandardInterval;
        var features = (cost.IsHttps ? 1 : 0) + (fast ? 1 : 0) + cost.HealthCheckExtraFeatures;
        var checkMonth = table.Global.Route53HealthCheckMonth + features * table.Global.Route53OptionalFeatureMonth;
        var taskHour = (decimal)cost.TaskVcpu * sp.FargateVcpuHour + (decimal)cost.TaskMemoryGb * sp.FargateGbHour;
        var billablePublishes = Math.Max(0, cost.SnsPublishesPerMonth - table.Global.SnsFreePublishesMonth);

        var items = new List<CostLineItem>
        {
            Item("replicaInstance", $"Standby read replica {cost.ReplicaInstanceClass}", standby, HoursPerMonth, "hour", instanceHour,
                "RDS for PostgreSQL, Single-AZ, on-demand, running all month; reserved instances or savings plans would lower it (not modelled)"),
            Item("replicaStorage", $"Replica storage {cost.StorageType}", standby, cost.StorageGb, "GB-month", storageGbMonth,
                $"allocated storage, as large as the primary's; {cost.StorageType} baseline IOPS and throughput included, extra provisioned IOPS not modelled"),
            Item("walTransfer", "Cross-region WAL transfer", primary, wal, "GB", pp.InterRegionTransferOutGb,
                $"{(walSource == "configured" ? "estimated (cost.walGbPerMonth)" : "given (--wal-gb-per-month)")}; the replica's stream from {primary} to {standby}, billed in {primary} as inter-region transfer out and counted here because only DR causes it"),
            Item("healthChecks", "Route 53 health checks", "global", cost.HealthChecks, "check-month", checkMonth,
                $"AWS endpoints: {Usd(table.Global.Route53HealthCheckMonth)} each + {Usd(table.Global.Route53OptionalFeatureMonth)} per optional feature: {Features(cost, fast, config.HealthCheck.RequestInterval)}"),
            Item("s3ReplicaStorage", "S3 replica storage (Standard)", standby, cost.UploadsGb, "GB-month", sp.S3StandardGbMonth,
                "the uploads bucket's replica in the standby region, S3 Standard first 50 TB"),
            Item("s3ReplicationTransfer", "S3 replication transfer", primary, cost.UploadsChangeGbPerMonth, "GB", pp.InterRegionTransferOutGb,
                $"new and changed objects copied from {primary} to {standby} (inter-region transfer out)"),
            Item("s3ReplicationTimeControl", "S3 Replication Time Control", "global", cost.UploadsReplicationTimeControl ? cost.UploadsChangeGbPerMonth : 0, "GB",
                table.Global.S3ReplicationTimeControlGb,
                cost.UploadsReplicationTimeControl ? "per GB replicated, for the 15-minute replication SLA (its replication metrics are CloudWatch metrics, not modelled)" : "RTC off (cost.uploadsReplicationTimeControl: false)"),
            Item("s3ReplicationRequests", "S3 replication PUT requests", standby, cost.UploadsObjectsPerMonth / 1000.0, "1,000 requests", sp.S3PutPer1000,
                $"{cost.UploadsObjectsPerMonth:N0} objects a month written into the replica bucket"),
            Item("backupCopyTransfer", "Backup copies: cross-region transfer", primary, backups.TransferGbPerMonth, "GB", pp.InterRegionTransferOutGb,
                $"incremental snapshot copies to the {standby} vault; the first full copy ({cost.EffectiveBackupGb:0.#} GB, {Usd((decimal)cost.EffectiveBackupGb * pp.InterRegionTransferOutGb)}) crosses once and is not monthly"),
            Item("backupCopyStorage", "Backup copies: storage in the standby vault", standby, backups.StoredGb, "GB-month", sp.RdsBackupStorageGbMonth,
                BackupNote(backups)),
            Item("standbyCompute", "Standby compute (ECS on Fargate)", standby, tasks * (double)HoursPerMonth, "task-hour", taskHour,
                tasks == 0
                    ? "0 tasks: the standby service stays at desired 0 until a failover starts it, so $0 (drills and failovers run it for minutes; not modelled)"
                    : $"{tasks} task(s) of {cost.TaskVcpu:0.##} vCPU / {cost.TaskMemoryGb:0.##} GB running all month (Linux/x86)"),
            Item("standbyLoadBalancer", "Standby load balancer (ALB)", standby, cost.StandbyLoadBalancers * (double)HoursPerMonth, "hour", sp.AlbHour,
                "the idle ALB the SECONDARY failover record points at; its LCUs (health checks only) are negligible and not modelled"),
            Item("cloudWatchAlarms", "CloudWatch alarms", standby, cost.Alarms, "alarm-month", sp.CloudWatchAlarmMonth,
                "standard resolution (replica lag, the primary's health check); the free tier's 10 alarms are not deducted"),
            Item("kmsKeys", "KMS key for the encrypted replica", standby, cost.KmsKeys, "key-month", sp.KmsKeyMonth,
                "customer managed key in the standby region; its requests are negligible"),
            Item("snsNotifications", "SNS notifications", "global", billablePublishes / 1_000_000.0, "million publishes", table.Global.SnsPublishesPerMillion,
                $"{cost.SnsPublishesPerMonth:N0} publishes a month; the first {table.Global.SnsFreePublishesMonth:N0} are free"),
        };

        var total = items.Sum(i => i.MonthlyUsd);
        return new CostEstimate
        {
            Environment = config.Environment,
            Provider = config.Provider,
            PrimaryRegion = primary,
            StandbyRegion = standby,
            Currency = table.Currency,
            HoursPerMonth = HoursPerMonth,
            LineItems = items,
            TotalMonthlyUsd = total,
            Plan = PlanComparison.Of(total, cost.PlanMonthlyLowUsd, cost.PlanMonthlyHighUsd),
            PriceTable = new PriceTableInfo(table.Date, table.Currency, table.Basis, table.Caveat, table.Sources),
            WalSource = walSource,
            Assumptions = Assumptions(config, wal, walSource, backups, tasks),
            Excluded =
            [
                $"the primary region ({primary}): its database, storage, compute, load balancer and backups run with or without DR",
                "failovers, drills and failbacks: the standby's compute runs for minutes, and a failback's new replica briefly doubles the database",
                "support plans, taxes, and discounts (reserved instances, savings plans, free tiers except SNS's)",
            ],
        };
    }

    private static RegionPrices RegionOf(DrConfiguration config, PriceTable table, string region)
    {
        if (table.Regions.TryGetValue(region, out var prices)) return prices;
        var index = config.Regions.FindIndex(r => r.Name == region);
        throw new CostEstimateException($"regions[{index}].name",
            $"{region} is not in the price table of {table.Date:yyyy-MM-dd}; known: {string.Join(", ", table.Regions.Keys.Order(StringComparer.Ordinal))}");
    }

    /// <summary>One line: the monthly figure is rounded to the cent here, so the total is the sum of what is printed.</summary>
    private static CostLineItem Item(string key, string name, string region, double quantity, string unit, decimal unitPrice, string note) =>
        new(key, name, region, Math.Round(quantity, 3), unit, unitPrice, Math.Round((decimal)quantity * unitPrice, 2, MidpointRounding.AwayFromZero), note);

    private static string Features(CostInputs cost, bool fast, TimeSpan interval)
    {
        var list = new List<string>();
        if (cost.IsHttps) list.Add("HTTPS");
        if (fast) list.Add($"fast interval (healthCheck.requestInterval {DurationText.Format(interval)} < 30s; Route 53 checks every 10 s at best)");
        if (cost.HealthCheckExtraFeatures > 0) list.Add($"{cost.HealthCheckExtraFeatures} more (cost.healthCheckExtraFeatures)");
        return list.Count == 0 ? "none (HTTP, 30 s)" : string.Join(", ", list);
    }

    private static string BackupNote(BackupCopyModel m) =>
        m.Classes.Count == 0
            ? "no scheduled backup class (backups.schedules all off)"
            : $"one full copy {m.FullGb:0.#} GB + " + string.Join(" + ", m.Classes.Select(c => $"{c.Class.ToString().ToLowerInvariant()} {c.Kept} × {c.IncrementGb:0.##} GB")) +
              $"; incremental copies, {m.DailyChangeShare * 100:0.##}% of blocks changed a day, a block changed twice stored once (docs/cost.md)";

    private static List<CostAssumption> Assumptions(DrConfiguration config, double wal, string walSource, BackupCopyModel backups, int tasks)
    {
        var c = config.Cost;
        string N(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        return
        [
            new("regions", $"{config.PrimaryRegion.Name} primary, {config.StandbyRegion.Name} standby", "the standby region's prices apply to the standby footprint"),
            new("cost.replicaInstanceClass", c.ReplicaInstanceClass),
            new("cost.storageGb", $"{N(c.StorageGb)} GB {c.StorageType}"),
            new("cost.walGbPerMonth", $"{N(wal)} GB", walSource == "configured" ? "configured estimate" : $"given with --wal-gb-per-month; configured: {N(c.WalGbPerMonth)} GB"),
            new("cost.uploadsGb", $"{N(c.UploadsGb)} GB"),
            new("cost.uploadsChangeGbPerMonth", $"{N(c.UploadsChangeGbPerMonth)} GB, {c.UploadsObjectsPerMonth.ToString("N0", CultureInfo.InvariantCulture)} objects",
                c.UploadsReplicationTimeControl ? "with Replication Time Control" : "without Replication Time Control"),
            new("cost.backupGb", $"{N(c.EffectiveBackupGb)} GB", c.BackupGb is null ? "= cost.storageGb" : null),
            new("cost.backupDailyChangePercent", $"{N(c.BackupDailyChangePercent)}%"),
            new("backups", backups.Classes.Count == 0 ? "no scheduled class" :
                string.Join(", ", backups.Classes.Select(k => $"{k.Class.ToString().ToLowerInvariant()} kept {k.Retention} ({k.RunsPerYear}/year, {k.Kept} kept)"))),
            new("cost.healthChecks", $"{c.HealthChecks} {c.HealthCheckProtocol.ToUpperInvariant()}", $"healthCheck.requestInterval {DurationText.Format(config.HealthCheck.RequestInterval)}"),
            new("cost.standbyComputeTasks", tasks.ToString(CultureInfo.InvariantCulture), c.StandbyComputeTasks is null ? "= compute.standbyInstances" : null),
            new("cost.standbyLoadBalancers", c.StandbyLoadBalancers.ToString(CultureInfo.InvariantCulture)),
            new("cost.alarms", c.Alarms.ToString(CultureInfo.InvariantCulture)),
            new("cost.kmsKeys", c.KmsKeys.ToString(CultureInfo.InvariantCulture)),
            new("cost.snsPublishesPerMonth", c.SnsPublishesPerMonth.ToString("N0", CultureInfo.InvariantCulture)),
            new("hoursPerMonth", HoursPerMonth.ToString(CultureInfo.InvariantCulture), "AWS's convention"),
        ];
    }

    private static string Usd(decimal v) => "$" + v.ToString("0.00##", CultureInfo.InvariantCulture);
}

/// <summary>RDS instance classes in the order a person scans them: by family, then by size (large before xlarge before 2xlarge).</summary>
public static class InstanceClasses
{
    private static readonly string[] Sizes = ["nano", "micro", "small", "medium", "large", "xlarge"];

    public static IEnumerable<string> Sorted(IEnumerable<string> classes) =>
        classes.OrderBy(Family, StringComparer.Ordinal).ThenBy(SizeRank).ThenBy(c => c, StringComparer.Ordinal);

    private static string Family(string c) => c.LastIndexOf('.') is var dot and > 0 ? c[..dot] : c;

    private static int SizeRank(string c)
    {
        var size = c[(c.LastIndexOf('.') + 1)..];
        var known = Array.IndexOf(Sizes, size);
        if (known >= 0) return known;
        // 2xlarge, 4xlarge, …: after xlarge, by their multiple.
        return size.EndsWith("xlarge", StringComparison.Ordinal) && int.TryParse(size[..^"xlarge".Length], out var n) ? Sizes.Length + n : int.MaxValue;
    }
}
