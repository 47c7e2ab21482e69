using Regami.Dr.Lab;

namespace Regami.Dr.Cli.Drills;

/// <summary>A drill scenario: which fault, and whether the controller (unplanned) or a switchover (planned) recovers.</summary>
public sealed record DrillScenario(string Name, FaultKind? Fault, bool Planned, string Description, bool CutReplicationFirst = false)
{
    public static readonly IReadOnlyList<DrillScenario> All =
    [
        new("region-outage", FaultKind.RegionOutage, false, "the primary region dies: database, API instances and load balancer killed"),
        new("db-crash", FaultKind.KillDb, false, "the primary database crashes (SIGKILL of the postmaster)"),
        new("db-hang", FaultKind.HangDb, false, "the primary database hangs (SIGSTOP): connections open but nothing answers"),
        new("planned-switchover", null, true, "a planned switchover to the standby region and back, zero data loss"),
        new("lossy-failover", FaultKind.KillDb, false,
            "replication is cut, writes go on, then the primary crashes: with async replication the failover loses the unreplicated writes, and the drill counts every one (checked against the old primary)",
            CutReplicationFirst: true),
    ];

    public static DrillScenario? Find(string name) => All.FirstOrDefault(s => s.Name == name);
}

/// <summary>Durations on the command line: 90 (seconds), 90s, 15m, 1h, or ISO 8601 (PT15M).</summary>
public static class DurationText
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        text = text.Trim();
        if (text.StartsWith("P", StringComparison.OrdinalIgnoreCase))
        {
            try { value = System.Xml.XmlConvert.ToTimeSpan(text.ToUpperInvariant()); return value >= TimeSpan.Zero; }
            catch (FormatException) { return false; }
        }
        var unit = text.Length > 0 && char.IsLetter(text[^1]) ? char.ToLowerInvariant(text[^1]) : 's';
        var number = char.IsLetter(text.LastOrDefault()) ? text[..^1] : text;
        if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 0 || double.IsInfinity(n))
            return false;
        double? seconds = unit switch { 's' => n, 'm' => n * 60, 'h' => n * 3600, _ => null };
        if (seconds is null) return false;
        value = TimeSpan.FromSeconds(seconds.Value);
        return true;
    }
}
