using Regami.Dr.Core.Traffic;

namespace Regami.Dr.Core.Controller;

/// <summary>One probe of one region from one vantage point.</summary>
/// <summary>Where a region's health check points, from one vantage point.</summary>
public sealed record HealthTarget(string Region, string Vantage, Uri Url);

public sealed record ProbeResult(string Region, string Vantage, bool Succeeded, string Reason);

/// <summary>A region's health across vantage points, thresholds applied.</summary>
/// <param name="Suspect">Some vantage point's latest probe failed (below the threshold or not): the region may be going down.</param>
public sealed record RegionHealthVerdict(string Region, bool Healthy, int UnhealthyVantages, int Vantages, string Detail, bool Suspect = false);

/// <summary>
/// Route 53-style health per (region, vantage point): a check changes state only after
/// <c>failureThreshold</c> consecutive results of the other kind. A region is unhealthy when more
/// than the policy's share of its vantage points say so (default: a majority) — one flaky or
/// partitioned prober cannot fail a region over while the others still see it.
/// </summary>
public sealed class RegionHealth(int failureThreshold, double unhealthyShare, TimeProvider time)
{
    // Indexed by region, then vantage: a verdict reads its own region's checks in one pass, and a
    // reset drops one entry. With 10,000 checks a tick this bookkeeping must stay linear and
    // allocation-free (issue 12 item 5); a flat (region, vantage) map made every verdict scan and
    // sort all regions' checks.
    private readonly Dictionary<string, Dictionary<string, HealthCheckStatus>> regions = new(StringComparer.Ordinal);

    public void Record(ProbeResult probe)
    {
        if (!regions.TryGetValue(probe.Region, out var checks))
            regions[probe.Region] = checks = new Dictionary<string, HealthCheckStatus>(StringComparer.Ordinal);
        if (!checks.TryGetValue(probe.Vantage, out var check))
            checks[probe.Vantage] = check = new HealthCheckStatus($"{probe.Region}@{probe.Vantage}", failureThreshold, time);
        check.Record(probe.Succeeded, probe.Reason);
    }

    /// <summary>Forgets a region's history (e.g. once a runbook has verified it end to end as the new primary).</summary>
    public void Reset(string region) => regions.Remove(region);

    public RegionHealthVerdict Verdict(string region)
    {
        if (!regions.TryGetValue(region, out var checks) || checks.Count == 0)
            return new RegionHealthVerdict(region, true, 0, 0, "not probed yet");
        var unhealthy = 0;
        var suspect = false;
        HealthCheckSnapshot? worst = null;
        foreach (var check in checks.Values)
        {
            var s = check.Current;
            if (!s.IsHealthy) unhealthy++;
            if (s.ConsecutiveFailures > 0) suspect = true;
            if (worst is null || IsWorse(s, worst)) worst = s;
        }
        var healthy = unhealthy <= unhealthyShare * checks.Count;
        return new RegionHealthVerdict(region, healthy, unhealthy, checks.Count, worst!.Describe(), suspect);
    }

    /// <summary>Unhealthy before healthy, then more consecutive failures first; a tie keeps the one seen
    /// first (vantages in the order they were first recorded), as a stable sort would.</summary>
    private static bool IsWorse(HealthCheckSnapshot a, HealthCheckSnapshot b) =>
        a.IsHealthy != b.IsHealthy ? !a.IsHealthy : a.ConsecutiveFailures > b.ConsecutiveFailures;
}
