using System.Text.Json.Serialization;
using Regami.Dr.Core.Ports;

namespace Regami.Dr.Core.Drills;

// The drill report: `regami-dr drill --output json` and report.json (schemas/drill-report.schema.json).
// Serialized camelCase by DrillReportJson; the contract's names are relied on by scripts, the rest are extras.

/// <summary>The drill's objectives, in seconds. Defaults are the plan's: RTO 15 min, RPO 5 min.</summary>
public sealed record DrillTargets(double RtoSeconds, double RpoSeconds)
{
    public static readonly DrillTargets Plan = new(15 * 60, 5 * 60);

    public static DrillTargets From(TimeSpan rto, TimeSpan rpo) => new(rto.TotalSeconds, rpo.TotalSeconds);
}

/// <summary>One verification of the drill (smoke test, data consistency, audit chain...).</summary>
public sealed record DrillCheck(
    string Name,
    bool Passed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail = null);

/// <summary>One step of the drill's timeline.</summary>
public sealed record DrillTimelineEvent(DateTimeOffset At, string Event);

/// <summary>Where the reports were written.</summary>
public sealed record DrillReportPaths(string? Json, string? Markdown, string? Html);

/// <summary>What the drill ran on, for the auditor (from <see cref="IDrillHostFacts"/>).</summary>
public sealed record DrillEnvironment(
    string RegamiDrVersion,
    string? PostgresVersion,
    string DotnetVersion,
    string Machine,
    string Os,
    int ProcessorCount);

/// <summary>Writes per <see cref="BucketMilliseconds"/> by send time, from <see cref="From"/>: the data of the report's chart.</summary>
public sealed record DrillWriteChart(
    int BucketMilliseconds,
    DateTimeOffset From,
    IReadOnlyList<int> Acknowledged,
    IReadOnlyList<int> Refused,
    IReadOnlyList<int> Unknown)
{
    public const int DefaultBucketMilliseconds = 100;

    /// <summary>Buckets from the first to the last send time (empty when there are no attempts).</summary>
    public static DrillWriteChart FromAttempts(IReadOnlyList<WriteAttempt> attempts, DateTimeOffset? from = null,
        int bucketMilliseconds = DefaultBucketMilliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketMilliseconds, 1);
        if (attempts.Count == 0)
            return new DrillWriteChart(bucketMilliseconds, from ?? DateTimeOffset.UnixEpoch, [], [], []);
        var start = from ?? attempts.Min(a => a.SentAt);
        var last = attempts.Max(a => a.SentAt);
        var count = (int)Math.Max(0, (last - start).TotalMilliseconds / bucketMilliseconds) + 1;
        var ack = new int[count];
        var refused = new int[count];
        var unknown = new int[count];
        foreach (var a in attempts)
        {
            if (a.SentAt < start) continue;
            var i = (int)((a.SentAt - start).TotalMilliseconds / bucketMilliseconds);
            var counts = a.Outcome switch { WriteOutcome.Acknowledged => ack, WriteOutcome.Refused => refused, _ => unknown };
            counts[i]++;
        }
        return new DrillWriteChart(bucketMilliseconds, start, ack, refused, unknown);
    }
}

/// <summary>
/// The part of the RTO that is ours: RTO − (detection window + DNS TTL + the first request). Detection is the
/// health checks' threshold, the TTL is how long clients may keep the old answer, the first request is the
/// client's own round trip; everything else (deciding, fencing, promoting, compute, routing, verifying) is orchestration.
/// </summary>
public sealed record DrillOverhead(double Seconds, double DetectionSeconds, double DnsTtlSeconds, double FirstRequestSeconds)
{
    /// <summary>Null when the service never recovered.</summary>
    public static DrillOverhead? From(DrillMeasurement m, double dnsTtlSeconds)
    {
        if (m.Rto is not { } rto) return null;
        double Phase(string name) => m.Phases.Where(p => p.Name == name).Sum(p => p.Seconds);
        var detection = Phase(DrillPhaseNames.Detection);
        var first = Phase(DrillPhaseNames.FirstSuccess);
        var ours = rto.TotalSeconds - detection - dnsTtlSeconds - first;
        return new DrillOverhead(DrillMeasured.Round(Math.Max(0, ours)), DrillMeasured.Round(detection), dnsTtlSeconds, DrillMeasured.Round(first));
    }
}

/// <summary>The measured figures of the report (the contract's <c>measured</c>, plus extras).</summary>
public sealed record DrillMeasured(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? RtoSeconds,
    double RpoSeconds,
    int AcknowledgedWrites,
    int LostAcknowledgedWrites,
    int RecoveredWrites,
    int UnexpectedWrites,
    int FailedWrites,
    IReadOnlyList<DrillPhase> Phases,
    int AttemptedWrites,
    int RefusedAttempts,
    int UnknownAttempts,
    IReadOnlyList<long> LostSeqs,
    IReadOnlyList<long> UnexpectedSeqs,
    DateTimeOffset FaultInjectedAt,
    DateTimeOffset? RecoveredAt,
    int OutagePeriods,
    string Recovery,
    DateTimeOffset? LastSafeCommitAt)
{
    /// <summary>The orchestration overhead (<see cref="DrillOverhead"/>); null when the DNS TTL is unknown or the service never recovered.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DrillOverhead? Overhead { get; init; }

    /// <summary>How many seqs <see cref="LostSeqs"/> and <see cref="UnexpectedSeqs"/> list at most.</summary>
    public const int MaxListedSeqs = 100;

    public static DrillMeasured From(DrillMeasurement m) => new(
        m.Rto is { } rto ? Round(rto.TotalSeconds) : null,
        Round(m.Rpo.TotalSeconds),
        m.Writes.Acknowledged,
        m.Writes.Lost.Count,
        m.Writes.Recovered.Count,
        m.Writes.Unexpected.Count,
        m.Writes.Failed.Count,
        m.Phases.Select(p => p with { Seconds = Round(p.Seconds) }).ToList(),
        m.Writes.Attempted,
        m.RefusedAttempts,
        m.UnknownAttempts,
        m.Writes.Lost.Take(MaxListedSeqs).ToList(),
        m.Writes.Unexpected.Take(MaxListedSeqs).ToList(),
        m.FaultInjectedAt,
        m.Recovery.RecoveredAt,
        m.Recovery.OutagePeriods,
        m.Recovery.Reason,
        m.DataLoss.LastSafeCommitAt);

    /// <summary>Seconds to the millisecond: what a report can honestly claim.</summary>
    internal static double Round(double seconds) => Math.Round(seconds, 3, MidpointRounding.AwayFromZero);
}

/// <summary>What a restore scenario restored, and how the data came back (the report's <c>restore</c>).</summary>
/// <param name="Instance">The restored instance's name.</param>
/// <param name="Source">What it was restored from: <c>snapshot ID</c>, <c>time T</c>, <c>latest (ID + all archived WAL)</c>.</param>
/// <param name="FromRegion">The region whose backup repository it was restored from.</param>
/// <param name="RecoveryPoint">The newest point in time the restored data holds: the snapshot's consistent point, the time restored to, or the newest acknowledged write found.</param>
/// <param name="Recovery"><c>promoted</c> (restore promote made it the primary) or <c>rows copied back</c>.</param>
/// <param name="RowsDestroyed">Rows the fault destroyed, when known.</param>
/// <param name="RowsCopiedBack">Rows copied back into the primary (the copy-back recovery).</param>
public sealed record DrillRestore(
    string Instance,
    string Region,
    string Source,
    string BackupId,
    string FromRegion,
    DateTimeOffset? RecoveryPoint,
    double RestoreSeconds,
    string Recovery,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? RowsDestroyed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? RowsCopiedBack);

/// <summary>Everything a drill observed, from which <see cref="DrillReport.From(DrillObservations)"/> measures and judges.</summary>
public sealed record DrillObservations
{
    public required string Scenario { get; init; }
    public DrillTargets Targets { get; init; } = DrillTargets.Plan;
    public required DrillMarks Marks { get; init; }
    /// <summary>Every write of the workload (<see cref="IDrillWorkload.Attempts"/>).</summary>
    public required IReadOnlyList<WriteAttempt> Attempts { get; init; }
    /// <summary>Seqs present on the new primary after recovery, restricted to the workload's seq range.</summary>
    public required IReadOnlySet<long> PresentSeqs { get; init; }
    public IReadOnlyList<DrillCheck> Checks { get; init; } = [];
    public IReadOnlyList<DrillTimelineEvent> Timeline { get; init; } = [];
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }
    /// <summary>e.g. "async", or "sync (new primary runs async until a standby is back)".</summary>
    public string? ReplicationMode { get; init; }
    public DrillEnvironment? Environment { get; init; }
    public DrillReportPaths? Reports { get; init; }
    /// <summary>A restore scenario's restore; null for the failover scenarios.</summary>
    public DrillRestore? Restore { get; init; }
    /// <summary>The public name's TTL, for the orchestration overhead (<see cref="DrillOverhead"/>); null when unknown.</summary>
    public double? DnsTtlSeconds { get; init; }
}

/// <summary>The drill report (contract: schemas/drill-report.schema.json).</summary>
public sealed record DrillReport(
    string Scenario,
    bool Passed,
    DrillTargets Targets,
    DrillMeasured Measured,
    IReadOnlyList<DrillCheck> Checks,
    IReadOnlyList<DrillTimelineEvent> Timeline,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DrillReportPaths? Reports,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReplicationMode,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    double DurationSeconds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DrillEnvironment? Environment,
    DrillWriteChart Writes)
{
    /// <summary>A restore scenario's restore (<see cref="DrillObservations.Restore"/>); null for the failover scenarios.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DrillRestore? Restore { get; init; }

    public const string NoUnexpectedWritesCheck = "no unexpected writes";
    public const string FirstSuccessEvent = "first acknowledged write after recovery";

    /// <summary>
    /// Measures (<see cref="DrillMeasurement.Measure"/>) and judges: <see cref="Passed"/> = every check passed, the service
    /// recovered, RTO ≤ target and RPO ≤ target. Adds the check <see cref="NoUnexpectedWritesCheck"/> (Jepsen: a row
    /// nobody wrote is an anomaly) and the timeline event <see cref="FirstSuccessEvent"/>; the timeline is sorted by time.
    /// </summary>
    public static DrillReport From(DrillObservations observations)
    {
        ArgumentNullException.ThrowIfNull(observations);
        var measurement = DrillMeasurement.Measure(observations.Attempts, observations.PresentSeqs, observations.Marks);
        return From(observations, measurement);
    }

    /// <summary>As <see cref="From(DrillObservations)"/>, with a measurement already made from the same observations.</summary>
    public static DrillReport From(DrillObservations o, DrillMeasurement measurement)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(measurement);
        var writes = measurement.Writes;

        var checks = o.Checks.ToList();
        if (!checks.Any(c => c.Name == NoUnexpectedWritesCheck))
        {
            checks.Add(new DrillCheck(NoUnexpectedWritesCheck, writes.Unexpected.Count == 0,
                writes.Unexpected.Count == 0
                    ? $"every row of the workload's seq range on the new primary was attempted by it ({writes.Ok.Count + writes.Recovered.Count} rows)"
                    : $"{writes.Unexpected.Count} rows present but never attempted: seqs {FormatSeqs(writes.Unexpected)}"));
        }

        var timeline = o.Timeline.ToList();
        if (measurement.Recovery.RecoveredAt is { } recoveredAt)
            timeline.Add(new DrillTimelineEvent(recoveredAt, $"{FirstSuccessEvent} (RTO {DrillMeasured.Round(measurement.Rto!.Value.TotalSeconds)} s)"));
        timeline = timeline.OrderBy(e => e.At).ToList(); // stable: equal times keep their order

        var passed = checks.All(c => c.Passed) && measurement.MeetsTargets(o.Targets);
        return new DrillReport(
            o.Scenario,
            passed,
            o.Targets,
            DrillMeasured.From(measurement) with { Overhead = o.DnsTtlSeconds is { } ttl ? DrillOverhead.From(measurement, ttl) : null },
            checks,
            timeline,
            o.Reports,
            o.ReplicationMode,
            o.StartedAt,
            o.FinishedAt,
            DrillMeasured.Round((o.FinishedAt - o.StartedAt).TotalSeconds),
            o.Environment,
            DrillWriteChart.FromAttempts(o.Attempts))
        {
            Restore = o.Restore,
        };
    }

    /// <summary>Up to 20 seqs, then "… (N more)".</summary>
    internal static string FormatSeqs(IReadOnlyList<long> seqs, int max = 20) =>
        string.Join(", ", seqs.Take(max)) + (seqs.Count > max ? $", … ({seqs.Count - max} more)" : "");
}
