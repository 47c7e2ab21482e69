namespace Regami.Dr.Core.Costs;

/// <summary>
/// The <c>cost:</c> section of regami-dr.yaml: the sizes `regami-dr cost` prices the DR footprint
/// from. The rest of the footprint comes from the plan itself (the standby region, the health-check
/// interval, the backup schedules and retention, compute.standbyInstances). The defaults describe
/// the written plan's estate: a db.r6g.large replica with 100 GB of gp3, 50 GB of WAL a month.
/// </summary>
public sealed class CostInputs
{
    /// <summary>The RDS instance class of the standby read replica (a key of the price table).</summary>
    public string ReplicaInstanceClass { get; set; } = "db.r6g.large";

    /// <summary>Allocated storage of the replica in GB (the same as the primary's: a replica cannot be smaller).</summary>
    public double StorageGb { get; set; } = 100;

    /// <summary>The replica's storage type: gp3 (default) or gp2.</summary>
    public string StorageType { get; set; } = "gp3";

    /// <summary>
    /// WAL shipped to the standby per month, in GB: the cross-region transfer of the replica. An
    /// estimate; `regami-dr cost --wal-gb-per-month N` prices a measured figure instead.
    /// </summary>
    public double WalGbPerMonth { get; set; } = 50;

    /// <summary>The uploads bucket's data replicated to (and stored in) the standby region, in GB.</summary>
    public double UploadsGb { get; set; } = 100;

    /// <summary>New or changed objects replicated per month, in GB (what crosses regions).</summary>
    public double UploadsChangeGbPerMonth { get; set; } = 10;

    /// <summary>Objects replicated per month (each is a PUT request in the standby bucket).</summary>
    public long UploadsObjectsPerMonth { get; set; } = 100_000;

    /// <summary>Whether replication uses S3 Replication Time Control (the 15-minute SLA, per GB).</summary>
    public bool UploadsReplicationTimeControl { get; set; } = true;

    /// <summary>The size of one full snapshot copy in GB; empty = <see cref="StorageGb"/> (snapshots hold used blocks, so this is an upper bound).</summary>
    public double? BackupGb { get; set; }

    /// <summary>
    /// The share of the database's blocks, in percent, that one day of writes changes: what an
    /// incremental snapshot copy of the next day holds. Blocks changed twice count once, so a copy a
    /// month later holds less than 30 days' worth (docs/cost.md).
    /// </summary>
    public double BackupDailyChangePercent { get; set; } = 0.5;

    /// <summary>Route 53 health checks of the failover records (the plan: one per region, 2).</summary>
    public int HealthChecks { get; set; } = 2;

    /// <summary>HTTPS (the plan; an optional feature Route 53 charges for) or HTTP.</summary>
    public string HealthCheckProtocol { get; set; } = "HTTPS";

    /// <summary>Other optional features per check: string matching, latency measurement (0 to 2). The fast interval follows healthCheck.requestInterval.</summary>
    public int HealthCheckExtraFeatures { get; set; }

    /// <summary>Tasks the standby region runs before a failover; empty = compute.standbyInstances (the plan: 0, the service stopped).</summary>
    public int? StandbyComputeTasks { get; set; }

    /// <summary>vCPU of one task (Fargate sizes: 0.25 to 16).</summary>
    public double TaskVcpu { get; set; } = 0.5;

    /// <summary>Memory of one task in GB.</summary>
    public double TaskMemoryGb { get; set; } = 1;

    /// <summary>Load balancers kept in the standby region for its failover record (an ALB bills by the hour, idle or not).</summary>
    public int StandbyLoadBalancers { get; set; } = 1;

    /// <summary>CloudWatch alarms of the DR plan (the plan: replica lag and the primary's health check, 2).</summary>
    public int Alarms { get; set; } = 2;

    /// <summary>Customer managed KMS keys in the standby region (the encrypted replica's key, 1).</summary>
    public int KmsKeys { get; set; } = 1;

    /// <summary>SNS notifications published per month (alerts; well inside the free tier).</summary>
    public long SnsPublishesPerMonth { get; set; } = 1_000;

    /// <summary>The low end of the plan's estimate, USD per month ($130).</summary>
    public decimal PlanMonthlyLowUsd { get; set; } = 130;

    /// <summary>The high end of the plan's estimate, USD per month ($280).</summary>
    public decimal PlanMonthlyHighUsd { get; set; } = 280;

    /// <summary>The size a full snapshot copy is priced at.</summary>
    public double EffectiveBackupGb => BackupGb ?? StorageGb;

    /// <summary>Problems, each starting with its field name (the caller prefixes <c>cost.</c>).</summary>
    public IEnumerable<string> Validate()
    {
        if (!ReplicaInstanceClass.StartsWith("db.", StringComparison.Ordinal) || ReplicaInstanceClass.Count(c => c == '.') != 2)
            yield return $"replicaInstanceClass must be an RDS instance class such as db.r6g.large (found '{ReplicaInstanceClass}')";
        // RDS for PostgreSQL on gp2/gp3: 20 GiB to 64 TiB.
        if (!(StorageGb is >= 20 and <= 65_536)) yield return $"storageGb must be between 20 and 65536 (RDS gp2/gp3 limits; found {StorageGb})";
        if (StorageType is not ("gp3" or "gp2")) yield return $"storageType must be gp3 or gp2 (found '{StorageType}')";
        foreach (var (field, value) in new[] { ("walGbPerMonth", WalGbPerMonth), ("uploadsGb", UploadsGb), ("uploadsChangeGbPerMonth", UploadsChangeGbPerMonth) })
            if (!(value is >= 0 and < 10_000_000)) yield return $"{field} must be 0 or more GB (found {value})";
        if (UploadsObjectsPerMonth < 0) yield return $"uploadsObjectsPerMonth must not be negative (found {UploadsObjectsPerMonth})";
        if (BackupGb is { } b && !(b is > 0 and <= 65_536)) yield return $"backupGb must be greater than 0 and at most 65536 (found {b})";
        if (!(BackupDailyChangePercent is >= 0 and <= 100)) yield return $"backupDailyChangePercent must be between 0 and 100 (found {BackupDailyChangePercent})";
        if (HealthChecks is < 0 or > 50) yield return $"healthChecks must be between 0 and 50 (found {HealthChecks})";
        if (!IsHttps && !HealthCheckProtocol.Equals("HTTP", StringComparison.OrdinalIgnoreCase))
            yield return $"healthCheckProtocol must be HTTPS or HTTP (found '{HealthCheckProtocol}')";
        if (HealthCheckExtraFeatures is < 0 or > 2) yield return $"healthCheckExtraFeatures must be between 0 and 2: string matching and latency measurement (found {HealthCheckExtraFeatures})";
        if (StandbyComputeTasks is < 0 or > 64) yield return $"standbyComputeTasks must be between 0 and 64 (found {StandbyComputeTasks})";
        if (!(TaskVcpu is >= 0.25 and <= 16)) yield return $"taskVcpu must be between 0.25 and 16 (found {TaskVcpu})";
        if (!(TaskMemoryGb is >= 0.5 and <= 120)) yield return $"taskMemoryGb must be between 0.5 and 120 (found {TaskMemoryGb})";
        foreach (var (field, value) in new[] { ("standbyLoadBalancers", StandbyLoadBalancers), ("alarms", Alarms), ("kmsKeys", KmsKeys) })
            if (value is < 0 or > 1000) yield return $"{field} must be between 0 and 1000 (found {value})";
        if (SnsPublishesPerMonth < 0) yield return $"snsPublishesPerMonth must not be negative (found {SnsPublishesPerMonth})";
        if (PlanMonthlyLowUsd < 0) yield return $"planMonthlyLowUsd must not be negative (found {PlanMonthlyLowUsd})";
        if (PlanMonthlyHighUsd < PlanMonthlyLowUsd) yield return $"planMonthlyHighUsd must be at least planMonthlyLowUsd ({PlanMonthlyLowUsd}; found {PlanMonthlyHighUsd})";
    }

    public bool IsHttps => HealthCheckProtocol.Equals("HTTPS", StringComparison.OrdinalIgnoreCase);
}
