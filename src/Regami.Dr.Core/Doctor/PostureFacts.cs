using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Backups;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Core.Doctor;

/// <summary>A resource's encryption at rest as its provider reports it.</summary>
public sealed record EncryptionFact(string Resource, string Region, bool Encrypted, string? Key = null);

/// <summary>
/// Object storage replication of the uploads bucket: whether a rule copies it to the standby region's bucket, and within
/// how many minutes S3 promises it (Replication Time Control; null = no time promised).
/// </summary>
public sealed record ObjectReplicationFact(string SourceBucket, string Region, string? ExpectedDestination, IReadOnlyList<ReplicationRuleFact> Rules);

/// <summary>One replication rule of a bucket: enabled or not, where it copies, and its RTC minutes (null = RTC off).</summary>
public sealed record ReplicationRuleFact(string Id, bool Enabled, string DestinationBucket, int? ReplicationTimeMinutes);

/// <summary>The standby's replica: whether it exists, streams from the primary, and how far behind it is.</summary>
public sealed record ReplicaFact(string? Region, bool Exists, bool Streaming, double? LagSeconds, long? LagBytes, string Detail);

/// <summary>How long the backup engine keeps one class of backups, and where that setting was read.</summary>
public sealed record RetentionFact(BackupClass Class, RetentionPeriod Kept, string Source);

/// <summary>Evidence of backups in a region other than the primary's: how many, and what proves them.</summary>
public sealed record CopyFact(string Region, int Count, string Evidence);

/// <summary>Point-in-time recovery: on or off, and up to when the database can be restored.</summary>
public sealed record PitrFact(bool Enabled, DateTimeOffset? RestorableUntil, string Evidence);

public sealed record BackupFacts(string Engine, IReadOnlyList<RetentionFact> Retention, IReadOnlyList<CopyFact> Copies, PitrFact Pitr);

/// <summary>The numbers that make an alarm what it is; compared between what is deployed and what the plan asks.</summary>
public sealed record AlarmShape(string Metric, string Comparison, double Threshold, int PeriodSeconds, int EvaluationPeriods);

/// <summary>One plan alarm: what the plan asks (<paramref name="Expected"/>) and what is deployed (null = missing).</summary>
public sealed record AlarmFact(string Name, string Region, AlarmShape Expected, AlarmShape? Deployed, string Where);

/// <summary>A region's health check: what it requests (the plan: the database behind the app, <c>/health?check=db</c>).</summary>
public sealed record HealthCheckFact(string Region, string Target, string Path);

/// <summary>One part of the projected RTO and where its figure comes from.</summary>
public sealed record RtoPartFact(string Name, TimeSpan Duration, string Source);

/// <summary>A finished drill as the drill history records it.</summary>
public sealed record DrillOutcome(DateTimeOffset At, string Scenario, bool Passed, double? RtoSeconds);

/// <summary>What the provider itself can tell (the lab's processes and pgBackRest; AWS's APIs), one fact per rule family.</summary>
public sealed record ProviderPosture(
    Observed<IReadOnlyList<EncryptionFact>> Databases,
    Observed<IReadOnlyList<EncryptionFact>> Buckets,
    Observed<ObjectReplicationFact> ObjectReplication,
    Observed<ReplicaFact> Replica,
    Observed<BackupFacts> Backups,
    Observed<IReadOnlyList<AlarmFact>> Alarms,
    Observed<IReadOnlyList<HealthCheckFact>> HealthChecks,
    IReadOnlyList<RtoPartFact> RtoBudget);

/// <summary>
/// The provider's half of `regami-dr doctor`: reads what is deployed. Every fact is read on its own,
/// so one API out of reach makes only the rules that need it unknown.
/// </summary>
public interface IPostureReader
{
    /// <summary>The residency set regions must stay within (AWS: <c>aws.allowedRegions</c>; the lab: the EU regions it is named after).</summary>
    IReadOnlyList<string> AllowedRegions { get; }

    Task<ProviderPosture> ReadAsync(CancellationToken ct);
}

/// <summary>Everything the rules judge: the configuration, the provider's posture, and what the state store and configuration hold.</summary>
public sealed record PostureFacts
{
    public required DrConfiguration Configuration { get; init; }

    public required IReadOnlyList<string> AllowedRegions { get; init; }

    public required ProviderPosture Provider { get; init; }

    /// <summary>Finished drills, oldest first (the drill history of the state directory).</summary>
    public required Observed<IReadOnlyList<DrillOutcome>> Drills { get; init; }

    /// <summary>Restore tests, newest last.</summary>
    public required Observed<IReadOnlyList<RestoreTestResult>> RestoreTests { get; init; }

    public required IReadOnlyList<Contact> Contacts { get; init; }

    public required Observed<AuditVerification> Audit { get; init; }

    public required DateTimeOffset Now { get; init; }
}
