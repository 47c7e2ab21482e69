using System.Text.Json;
using Regami.Dr.Core.Ports;

namespace Regami.Dr.Store;

/// <summary>Keeps the last replication lag observed while the primary answered, for the RPO guard.</summary>
public sealed class StoreLagMemory(StateStore store) : ILagMemory
{
    public Task RememberAsync(LagSample sample, CancellationToken ct) =>
        store.SetAsync(StateStore.LastObservedLagKey, JsonSerializer.Serialize(sample), ct);

    public async Task<LagSample?> LastAsync(CancellationToken ct)
    {
        var stored = await store.GetAsync(StateStore.LastObservedLagKey, ct);
        if (stored is null) return null;
        try { return JsonSerializer.Deserialize<LagSample>(stored.Value.Value); }
        catch (JsonException) { return null; }
    }
}
