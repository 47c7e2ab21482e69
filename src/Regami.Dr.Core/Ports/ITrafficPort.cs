namespace Regami.Dr.Core.Ports;

/// <summary>The outcome of a real write through the public name (DNS → load balancer → app → database).</summary>
public sealed record PublicWriteResult(bool Succeeded, string? Address, string? Region, int? StatusCode, string Detail);

/// <summary>
/// Health-checked failover DNS plus a routing control per region (Route 53 + ARC; lab: the
/// lab's DNS server). A region whose routing control is off receives no traffic.
/// </summary>
public interface ITrafficPort
{
    Task<IReadOnlyDictionary<string, bool>> GetRoutingControlsAsync(CancellationToken ct);

    Task SetRoutingControlAsync(string region, bool on, CancellationToken ct);

    /// <summary>
    /// Tells the traffic layer that <paramref name="region"/> was verified healthy a moment ago by
    /// the caller (a runbook that just saw its load balancer healthy and its database the only
    /// writer), so its record may count as healthy now instead of after the next
    /// failure-threshold of fresh health checks — the way a Route 53 ARC routing control is the
    /// record's health. Ordinary probing goes on: a region that fails its checks afterwards turns
    /// unhealthy as before. Returns what was done, one sentence (a provider that cannot mark says so).
    /// </summary>
    Task<string> MarkHealthyAsync(string region, string evidence, CancellationToken ct);

    /// <summary>The region the public name resolves to right now, as a client sees it.</summary>
    Task<string?> ResolveActiveRegionAsync(CancellationToken ct);

    Task<PublicWriteResult> WriteThroughPublicNameAsync(string payload, CancellationToken ct);

    /// <summary>The longest a health-checked record may take to change its answer (interval × threshold + slack).</summary>
    TimeSpan WorstCaseSwitchTime { get; }
}
