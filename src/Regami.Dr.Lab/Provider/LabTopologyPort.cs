using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Lab.Provider;

/// <summary>The lab's recorded roles live in its state file.</summary>
public sealed class LabTopologyPort(LabEnvironment env) : ITopologyPort
{
    public Task<TopologySnapshot> GetAsync(CancellationToken ct)
    {
        var state = env.Store.Load() ?? throw new State.LabException($"no lab at {env.Paths.Root}; start one with `regami-dr lab up`");
        var regions = env.Options.Regions.Select(r => r.Name).ToList();
        var roles = regions.ToDictionary(r => r, r => state.Regions.TryGetValue(r, out var rs) ? rs.Role : RegionRole.Unknown);
        return Task.FromResult(new TopologySnapshot(regions, roles, state.ReplicationMode, env.Options.PrimaryRegion.Name));
    }

    public async Task SetRoleAsync(string region, RegionRole role, CancellationToken ct)
    {
        using var _ = await env.Store.LockAsync(TimeSpan.FromSeconds(30), ct);
        var state = env.Store.Load() ?? throw new State.LabException($"no lab at {env.Paths.Root}");
        state.Region(region).Role = role;
        env.Store.Save(state);
    }
}
