using Regami.Dr.Core.Status;

namespace Regami.Dr.Core.Drills;

/// <summary>A drill never starts on a broken system: what is wrong with it, as sentences (empty when healthy).</summary>
public static class DrillPreflight
{
    public static IReadOnlyList<string> Problems(SystemStatus s)
    {
        var problems = new List<string>();
        if (s.PrimaryRegion is null) problems.Add("no region accepts writes");
        foreach (var r in s.Regions.Where(r => !r.Healthy))
            problems.Add($"{r.Name} ({r.Role.ToString().ToLowerInvariant()}) is unhealthy: database {r.Database.State}, compute {r.Compute.Running}/{r.Compute.Desired}");
        if (!s.Replication.Streaming) problems.Add("the standby is not streaming");
        if (s.Traffic.ActiveRegion != s.PrimaryRegion) problems.Add($"DNS answers {s.Traffic.ActiveRegion ?? "nothing"}, not the primary {s.PrimaryRegion}");
        if (s.Regions.Count(r => r.Database.Writable) > 1) problems.Add("two databases accept writes");
        return problems;
    }
}

/// <summary>A drill could not start (the system is not healthy): nothing was changed.</summary>
public sealed class DrillRefusedException(string reason) : Exception(reason);
