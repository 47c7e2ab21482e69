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

    /// <summary>The region the public name resolves to right now, as a client sees it.</summary>
    Task<string?> ResolveActiveRegionAsync(CancellationToken ct);

    Task<PublicWriteResult> WriteThroughPublicNameAsync(string payload, CancellationToken ct);

    /// <summary>The longest a health-checked record may take to change its answer (interval × threshold + slack).</summary>
    TimeSpan WorstCaseSwitchTime { get; }
}
