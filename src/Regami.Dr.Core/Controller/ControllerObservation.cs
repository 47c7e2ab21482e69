using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Controller;

/// <summary>One region as the controller saw it this tick.</summary>
/// <param name="Healthy">The health check verdict across vantage points (thresholds applied).</param>
/// <param name="UnhealthyVantages">How many vantage points consider it unhealthy.</param>
public sealed record RegionView(
    string Region,
    RegionRole RecordedRole,
    bool Healthy,
    int UnhealthyVantages,
    int Vantages,
    string HealthDetail,
    DatabaseObservation Database)
{
    /// <summary>The latest probe of some vantage point failed: healthy or not, the region may be going down (<see cref="RegionHealthVerdict.Suspect"/>).</summary>
    public bool Suspect { get; init; }
}

/// <summary>Everything one decision is based on; written to the audit trail so a decision can be explained later.</summary>
public sealed record ControllerObservation(
    DateTimeOffset At,
    IReadOnlyList<RegionView> Regions,
    LagSample? LastKnownLag,
    string? RunbookInProgress,
    DateTimeOffset? LastFailoverAt,
    bool HoldsLease,
    string? LeaseHolder)
{
    public RegionView? Primary => Regions.FirstOrDefault(r => r.RecordedRole == RegionRole.Primary);
    public RegionView? StandbyCandidate => Regions.FirstOrDefault(r => r.RecordedRole != RegionRole.Primary);
}
