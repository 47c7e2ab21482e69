using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Store;

/// <summary>
/// The recorded roles of the regions and the replication mode, in the state store: what the
/// orchestrator believes, whatever the provider, kept across runs and shared by the CLI and the
/// controller. One key per region, so setting one role never rewrites another.
/// </summary>
/// <param name="configured">Roles to assume for a region the store has no role for yet (a cloud environment is not
/// created by us, so nothing recorded its starting roles: the configuration's are the starting point).</param>
public sealed class StoreTopology(Func<StateStore> store, IReadOnlyList<string> regions, string homeRegion,
    IReadOnlyDictionary<string, RegionRole>? configured = null) : ITopologyPort
{
    public const string RoleKeyPrefix = "topology.role.";
    public const string ReplicationModeKey = "topology.replication-mode";

    public async Task<TopologySnapshot> GetAsync(CancellationToken ct)
    {
        var s = store();
        var roles = new Dictionary<string, RegionRole>();
        foreach (var region in regions)
        {
            var stored = await s.GetAsync(RoleKeyPrefix + region, ct);
            roles[region] = stored is { } v && Enum.TryParse<RegionRole>(v.Value, ignoreCase: true, out var role) ? role
                : configured?.GetValueOrDefault(region, RegionRole.Unknown) ?? RegionRole.Unknown;
        }
        var mode = await s.GetAsync(ReplicationModeKey, ct) is { } m && Enum.TryParse<ReplicationMode>(m.Value, ignoreCase: true, out var parsed)
            ? parsed : ReplicationMode.Async;
        return new TopologySnapshot(regions, roles, mode, homeRegion);
    }

    public Task SetRoleAsync(string region, RegionRole role, CancellationToken ct)
    {
        if (!regions.Contains(region)) throw new ArgumentException($"unknown region '{region}'; regions: {string.Join(", ", regions)}", nameof(region));
        return store().SetAsync(RoleKeyPrefix + region, role.ToString().ToLowerInvariant(), ct);
    }

    public async Task RecordAsync(IReadOnlyDictionary<string, RegionRole> roles, ReplicationMode mode, CancellationToken ct)
    {
        foreach (var (region, role) in roles) await SetRoleAsync(region, role, ct);
        await store().SetAsync(ReplicationModeKey, mode.ToString().ToLowerInvariant(), ct);
    }
}
