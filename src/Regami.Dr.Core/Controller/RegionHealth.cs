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
    private readonly Dictionary<(string Region, string Vantage), HealthCheckStatus> checks = [];

    public void Record(ProbeResult probe)
    {
        if (!checks.TryGetValue((probe.Region, probe.Vantage), out var check))
            checks[(probe.Region, probe.Vantage)] = check = new HealthCheckStatus($"{probe.Region}@{probe.Vantage}", failureThreshold, time);
        check.Record(probe.Succeeded, probe.Reason);
    }

    /// <summary>Forgets a region's history (e.g. once a runbook has verified it end to end as the new primary).</summary>
    public void Reset(string region)
    {
        foreach (var key in checks.Keys.Where(k => k.Region == region).ToList()) checks.Remove(key);
    }

    public RegionHealthVerdict Verdict(string region)
    {
        var mine = checks.Where(kv => kv.Key.Region == region).Select(kv => kv.Value.Current).ToList();
        if (mine.Count == 0) return new RegionHealthVerdict(region, true, 0, 0, "not probed yet");
        var unhealthy = mine.Count(s => !s.IsHealthy);
        var healthy = unhealthy <= unhealthyShare * mine.Count;
        var worst = mine.OrderBy(s => s.IsHealthy).ThenByDescending(s => s.ConsecutiveFailures).First();
        return new RegionHealthVerdict(region, healthy, unhealthy, mine.Count, worst.Describe(), mine.Any(s => s.ConsecutiveFailures > 0));
    }
}
