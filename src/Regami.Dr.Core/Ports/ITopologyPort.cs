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
public sealed record LagSample(DateTimeOffset At, string Primary, string Standby, long? Bytes, double? Seconds)
{
    /// <summary>
    /// The one way a lag sample is built from what the primary says about its standby, with the
    /// idle-lag rule of <see cref="ReplicationLag.Seconds"/> (0 bytes behind is 0 s, whatever the
    /// replay timestamps say). Null when the primary cannot tell: unreachable, in recovery, or no
    /// standby connected.
    /// </summary>
    public static LagSample? FromPrimary(DatabaseObservation primary, string standby, DateTimeOffset at) =>
        primary is { Reachable: true, InRecovery: false, ReplicaLagBytes: { } bytes }
            ? new LagSample(at, primary.Region, standby, bytes, ReplicationLag.Seconds(bytes, primary.ReplicaLagSeconds, replayTimestampAgeSeconds: null))
            : null;
}

public interface ILagMemory
{
    Task RememberAsync(LagSample sample, CancellationToken ct);
    Task<LagSample?> LastAsync(CancellationToken ct);
}
