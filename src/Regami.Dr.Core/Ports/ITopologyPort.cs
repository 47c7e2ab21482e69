using Regami.Dr.Core.Status;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Ports;

/// <summary>The recorded roles of the regions: what the orchestrator believes, kept across runs.</summary>
public sealed record TopologySnapshot(
    IReadOnlyList<string> Regions,
    IReadOnlyDictionary<string, RegionRole> Roles,
    ReplicationMode ReplicationMode,
    string HomeRegion)
{
    public string? Primary => Roles.FirstOrDefault(kv => kv.Value == RegionRole.Primary).Key;
    public string? Standby => Roles.FirstOrDefault(kv => kv.Value == RegionRole.Standby).Key;
    public IEnumerable<string> Others(string region) => Regions.Where(r => r != region);
}

public interface ITopologyPort
{
    Task<TopologySnapshot> GetAsync(CancellationToken ct);
    Task SetRoleAsync(string region, RegionRole role, CancellationToken ct);

    /// <summary>Records the roles and replication mode an environment starts with (when it is created).</summary>
    Task RecordAsync(IReadOnlyDictionary<string, RegionRole> roles, ReplicationMode mode, CancellationToken ct);
}

/// <summary>A replication lag measured while the primary could still be asked: the RPO guard's input when it is gone.</summary>
/// <param name="At">When the lag was measured (not when it was read back): the RPO guard adds the time since to the lag.</param>
/// <param name="Bytes">WAL the standby has not replayed; null when not measured (CloudWatch gives seconds only).</param>
/// <param name="Seconds">The lag in seconds then, the sample's age not included; null when unknown.</param>
/// <param name="StandbyStreaming">
/// What the primary said of its standby when the sample was taken: true streaming, false not
/// connected or not streaming (its lag grows, whatever was measured); null when the source does
/// not say (CloudWatch's ReplicaLag, samples stored before this field existed).
/// </param>
/// <param name="SecondsBoundFrom">
/// Set when <see cref="Seconds"/> is not the server's figure but an upper bound carried forward
/// from the earlier sample taken at this time (<see cref="BoundedBy"/>); null when measured.
/// </param>
public sealed record LagSample(DateTimeOffset At, string Primary, string Standby, long? Bytes, double? Seconds, bool? StandbyStreaming = null, DateTimeOffset? SecondsBoundFrom = null)
{
    /// <summary>
    /// An upper bound for the seconds of a streaming standby's sample that has bytes behind but
    /// no replay_lag. PostgreSQL clears replay_lag to NULL once a standby has caught up and the
    /// primary goes quiet, and the first write after that leaves bytes behind with no figure until
    /// the standby's next reply. A primary that hangs or dies in that window would leave the RPO
    /// guard a "bytes / ? s" sample it can never pass, however short the real lag. Replay never
    /// goes backwards on a standby that kept streaming from the same primary, so what the earlier
    /// sample proved still holds: the standby misses at most the writes of its lag then plus
    /// everything since, i.e. <c>previous seconds + (this.At − previous.At)</c>. The bound grows
    /// with the gap, so an old previous sample gives a bound the guard refuses anyway.
    /// Returns this sample unchanged when it already has seconds or when the previous one does
    /// not bound it (another pair, not streaming, seconds unknown, taken later than this one).
    /// </summary>
    public LagSample BoundedBy(LagSample? previous)
    {
        if (Seconds is not null || StandbyStreaming != true || Bytes is not > 0) return this;
        if (previous is null || previous.Primary != Primary || previous.Standby != Standby
            || previous.StandbyStreaming != true || previous.At > At || previous.Bytes < 0)
            return this;
        if (ReplicationLag.Seconds(previous.Bytes, previous.Seconds, replayTimestampAgeSeconds: null) is not { } before
            || double.IsNaN(before) || before < 0)
            return this;
        return this with { Seconds = before + (At - previous.At).TotalSeconds, SecondsBoundFrom = previous.SecondsBoundFrom ?? previous.At };
    }

    /// <summary>
    /// The one way a lag sample is built from what the primary says about its standby, with the
    /// idle-lag rule of <see cref="ReplicationLag.Seconds"/> (0 bytes behind is 0 s, whatever the
    /// replay timestamps say) for a standby that streams. A standby the primary reports as not
    /// connected (no row in pg_stat_replication: the bytes, if any, come from its slot) or
    /// connected but not streaming gives a sample with <see cref="StandbyStreaming"/> false and
    /// unknown seconds, which the RPO guard refuses: its 0 bytes would say nothing of the writes
    /// it is missing now. Null when the primary cannot tell: unreachable, in recovery, or streaming
    /// without saying how far behind (RDS: the lag is CloudWatch's).
    /// </summary>
    public static LagSample? FromPrimary(DatabaseObservation primary, string standby, DateTimeOffset at)
    {
        if (primary is not { Reachable: true, InRecovery: false }) return null;
        if (primary.ReplicaStreaming != true)
            return new LagSample(at, primary.Region, standby, primary.ReplicaLagBytes, Seconds: null, StandbyStreaming: false);
        return primary.ReplicaLagBytes is { } bytes
            ? new LagSample(at, primary.Region, standby, bytes, ReplicationLag.Seconds(bytes, primary.ReplicaLagSeconds, replayTimestampAgeSeconds: null), StandbyStreaming: true)
            : null;
    }
}

public interface ILagMemory
{
    Task RememberAsync(LagSample sample, CancellationToken ct);
    Task<LagSample?> LastAsync(CancellationToken ct);
}

public static class LagMemoryExtensions
{
    /// <summary>
    /// Keeps a new sample, its unknown seconds bounded by the one remembered before it
    /// (<see cref="LagSample.BoundedBy"/>); returns what was kept. Every place that records a lag
    /// goes through here, so the guard never sees a bound in one path and a "? s" in another.
    /// </summary>
    public static async Task<LagSample> RecordAsync(this ILagMemory memory, LagSample sample, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(sample);
        var kept = sample.Seconds is null && sample.StandbyStreaming == true ? sample.BoundedBy(await memory.LastAsync(ct)) : sample;
        await memory.RememberAsync(kept, ct);
        return kept;
    }
}
