using System.Text.Json;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Lab.State;

/// <summary>
/// Labs created before the roles moved to the state store kept them in lab.json. The first read
/// of a store that has no roles yet imports them from there, so such a lab keeps the roles it
/// had (after a failover, too) instead of falling back to the configuration's.
/// </summary>
public sealed class LegacyRoleImport(ITopologyPort inner, LabPaths paths) : ITopologyPort
{
    private bool checkedLegacy;

    public async Task<TopologySnapshot> GetAsync(CancellationToken ct)
    {
        var snapshot = await inner.GetAsync(ct);
        if (checkedLegacy || snapshot.Roles.Values.Any(r => r != RegionRole.Unknown)) return snapshot;
        checkedLegacy = true;
        if (Read(paths.StateFile) is not { } legacy) return snapshot;
        await inner.RecordAsync(legacy.Roles, legacy.Mode, ct);
        return await inner.GetAsync(ct);
    }

    public Task SetRoleAsync(string region, RegionRole role, CancellationToken ct) => inner.SetRoleAsync(region, role, ct);

    public Task RecordAsync(IReadOnlyDictionary<string, RegionRole> roles, ReplicationMode mode, CancellationToken ct) => inner.RecordAsync(roles, mode, ct);

    private static (Dictionary<string, RegionRole> Roles, ReplicationMode Mode)? Read(string stateFile)
    {
        if (!File.Exists(stateFile)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(stateFile));
            var roles = new Dictionary<string, RegionRole>();
            if (doc.RootElement.TryGetProperty("regions", out var regions))
                foreach (var r in regions.EnumerateObject())
                    if (r.Value.TryGetProperty("role", out var role) && Enum.TryParse<RegionRole>(role.GetString(), true, out var parsed))
                        roles[r.Name] = parsed;
            var mode = doc.RootElement.TryGetProperty("replicationMode", out var m) && Enum.TryParse<ReplicationMode>(m.GetString(), true, out var pm) ? pm : ReplicationMode.Async;
            return roles.Count > 0 ? (roles, mode) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
