namespace Regami.Dr.Core.Ports;

/// <summary>A region's database as the orchestrator sees it.</summary>
/// <param name="Running">The server process exists (it may still be hung).</param>
/// <param name="ReplicaLagBytes">On a primary: how far its standby's replay is behind, when one is connected.</param>
public sealed record DatabaseObservation(
    string Region,
    bool Reachable,
    bool Running,
    bool InRecovery,
    bool Writable,
    string? Lsn,
    long? ReplicaLagBytes,
    double? ReplicaLagSeconds,
    bool? ReplicaStreaming,
    string? Error)
{
    public bool IsReplica => Reachable && InRecovery;

    /// <summary>
    /// Whether the database accepts writes, three-valued. <see cref="Writable"/> alone reads "could not ask"
    /// as "no", which is safe only where the provider knows the process is gone (the lab's stopped or killed
    /// server); a running server that does not answer (hung, or a control plane out of reach) may still take
    /// writes from whoever reaches it, so it is <see cref="WriteAcceptance.Unknown"/>, never fenced.
    /// </summary>
    public WriteAcceptance Writes => Writable ? WriteAcceptance.Accepts : Reachable || !Running ? WriteAcceptance.Refuses : WriteAcceptance.Unknown;
}

/// <summary>Does a database accept writes: yes, no, or nobody could tell (see <see cref="DatabaseObservation.Writes"/>).</summary>
public enum WriteAcceptance { Refuses, Accepts, Unknown }

/// <summary>How a rebuild made a former primary a replica.</summary>
public enum RebuildPath
{
    /// <summary>The target was a standby already on the source's timeline: only its standby settings were (re)written.</summary>
    AlreadyStandby,
    /// <summary>pg_rewind ran (it may have found nothing to rewind: see the detail).</summary>
    Rewind,
    /// <summary>pg_rewind was impossible; the data directory was moved aside and copied anew with pg_basebackup.</summary>
    Reclone,
}

/// <summary>When a former primary may be rebuilt with a full copy instead of pg_rewind.</summary>
public enum ReclonePolicy
{
    /// <summary>Rewind only (a clean switchover never needs more).</summary>
    Never,
    /// <summary>Rewind; a fresh copy only when rewind is impossible (the failback default).</summary>
    WhenRewindImpossible,
    /// <summary>Always a fresh copy (`failback --reclone`).</summary>
    Always,
}

/// <summary>The outcome of a rebuild, for the drill report: which path, how long, and what the tools said.</summary>
public sealed record RebuildOutcome(RebuildPath Path, TimeSpan Duration, string Detail);

/// <summary>
/// The database capability of a provider (lab: PostgreSQL with pg_promote / pg_rewind; AWS: RDS).
/// Every method is idempotent where it can be and says what it did in a sentence.
/// </summary>
public interface IDatabasePort
{
    Task<DatabaseObservation> ObserveAsync(string region, CancellationToken ct);

    /// <summary>Promote a replica and wait until it accepts writes.</summary>
    Task<string> PromoteAsync(string region, CancellationToken ct);

    /// <summary>After this the region's database accepts no writes from anyone (lab: stopped; killed if it would not stop).</summary>
    Task<string> FenceAsync(string region, CancellationToken ct);

    /// <summary>Planned: the primary refuses new writes and ends open sessions; returns its WAL position.</summary>
    Task<string> StopWritesAsync(string region, CancellationToken ct);

    Task WaitUntilReplayedAsync(string standbyRegion, string lsn, TimeSpan timeout, CancellationToken ct);

    /// <summary>The last checkpoint of a stopped server (what its standby must have replayed).</summary>
    Task<string> LastCheckpointAsync(string region, CancellationToken ct);

    /// <summary>Make a stopped former primary a replica of <paramref name="primaryRegion"/> (rewind, else re-clone as the policy allows). Does not start it.</summary>
    Task<RebuildOutcome> RebuildAsReplicaAsync(string region, string primaryRegion, ReclonePolicy reclone, CancellationToken ct);

    Task<string> StartAsync(string region, CancellationToken ct);

    Task WaitUntilCaughtUpAsync(string primaryRegion, string standbyRegion, long maxLagBytes, TimeSpan timeout, CancellationToken ct);

    /// <summary>Sync replication names <paramref name="standbyRegion"/> on the primary; null = async.</summary>
    Task SetSynchronousStandbyAsync(string primaryRegion, string? standbyRegion, CancellationToken ct);
}
