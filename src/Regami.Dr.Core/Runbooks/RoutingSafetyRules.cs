using Regami.Dr.Core.Ports;

namespace Regami.Dr.Core.Runbooks;

/// <summary>
/// Route 53 ARC's safety rules in our own words, checked on every routing-control change a
/// runbook makes (whatever the provider): a change that would leave no region routed, or route
/// to two regions while both databases accept writes, is refused with the rule's name. The
/// runbooks' own order (fence, promote, assert one writer, then route) keeps them satisfied; the
/// rules catch what a bug, a resumed run in a changed world or a human in between would break.
/// </summary>
public sealed class RoutingSafetyRules(ITrafficPort inner, IDatabasePort databases, ITopologyPort topology) : ITrafficPort
{
    public const string AtLeastOneRouted = "at-least-one-region-routed";
    public const string NoTwoWritersRouted = "no-two-writable-regions-routed";

    public async Task SetRoutingControlAsync(string region, bool on, CancellationToken ct)
    {
        var controls = new Dictionary<string, bool>(await inner.GetRoutingControlsAsync(ct)) { [region] = on };
        var regions = (await topology.GetAsync(ct)).Regions;
        if (!on && regions.All(r => !controls.GetValueOrDefault(r, true)))
            throw new GuardRefusedException(AtLeastOneRouted, $"refused by safety rule {AtLeastOneRouted}: turning {region}'s routing control off would leave no region routed");
        if (on) await RefuseTwoWritersRoutedAsync(region, controls, regions, ct);
        await inner.SetRoutingControlAsync(region, on, ct);
    }

    /// <summary>A region counted healthy is a region routed: the same rule as turning its control on.</summary>
    public async Task<string> MarkHealthyAsync(string region, string evidence, CancellationToken ct)
    {
        var controls = await inner.GetRoutingControlsAsync(ct);
        await RefuseTwoWritersRoutedAsync(region, controls, (await topology.GetAsync(ct)).Regions, ct);
        return await inner.MarkHealthyAsync(region, evidence, ct);
    }

    private async Task RefuseTwoWritersRoutedAsync(string region, IReadOnlyDictionary<string, bool> controls, IReadOnlyList<string> regions, CancellationToken ct)
    {
        var routed = regions.Where(r => controls.GetValueOrDefault(r, true)).ToList();
        if (routed.Count <= 1) return;
        var writable = (await Task.WhenAll(routed.Select(r => databases.ObserveAsync(r, ct)))).Where(d => d.Writable).Select(d => d.Region).ToList();
        if (writable.Count > 1)
            throw new GuardRefusedException(NoTwoWritersRouted, $"refused by safety rule {NoTwoWritersRouted}: routing {region} would send clients to {string.Join(" and ", writable)}, which both accept writes");
    }

    public Task<IReadOnlyDictionary<string, bool>> GetRoutingControlsAsync(CancellationToken ct) => inner.GetRoutingControlsAsync(ct);
    public Task<string?> ResolveActiveRegionAsync(CancellationToken ct) => inner.ResolveActiveRegionAsync(ct);
    public Task<PublicWriteResult> WriteThroughPublicNameAsync(string payload, CancellationToken ct) => inner.WriteThroughPublicNameAsync(payload, ct);
    public TimeSpan WorstCaseSwitchTime => inner.WorstCaseSwitchTime;
}
