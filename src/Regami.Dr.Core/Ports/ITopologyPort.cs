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
public sealed record LagSample(DateTimeOffset At, string Primary, string Standby, long? Bytes, double? Seconds, bool? StandbyStreaming = null)
{
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
