namespace Regami.Dr.Lab.Postgres;

/// <summary>
/// What <c>pg_controldata</c> says about a data directory (running or not).
/// <see cref="MinRecoveryEndLocation"/> is null when it is <c>0/0</c> (no minimum recovery point).
/// </summary>
public sealed record ControlData(string ClusterState, string LatestCheckpointLocation, int TimelineId, string? MinRecoveryEndLocation)
{
    public const string ShutDown = "shut down";
    public const string ShutDownInRecovery = "shut down in recovery";

    /// <summary>A clean shutdown: what pg_rewind requires of its target.</summary>
    public bool IsCleanlyShutDown => ClusterState is ShutDown or ShutDownInRecovery;

    /// <summary>All fields of the output, for callers that need more than the four above (not part of equality).</summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();

    public bool Equals(ControlData? other) =>
        other is not null && ClusterState == other.ClusterState && LatestCheckpointLocation == other.LatestCheckpointLocation
        && TimelineId == other.TimelineId && MinRecoveryEndLocation == other.MinRecoveryEndLocation;

    public override int GetHashCode() => HashCode.Combine(ClusterState, LatestCheckpointLocation, TimelineId, MinRecoveryEndLocation);

    /// <summary>Parses pg_controldata's output (run with LC_ALL=C: the labels are translated otherwise).</summary>
    public static ControlData Parse(string output)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in output.Split('\n'))
        {
            var colon = raw.IndexOf(':');
            if (colon <= 0) continue;
            fields[raw[..colon].Trim()] = raw[(colon + 1)..].Trim();
        }
        string Field(string name) => fields.TryGetValue(name, out var v)
            ? v
            : throw new FormatException($"pg_controldata output has no \"{name}\" line: {string.Join(" | ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(3))}");
        var tli = Field("Latest checkpoint's TimeLineID");
        if (!int.TryParse(tli, out var timeline)) throw new FormatException($"pg_controldata: TimeLineID '{tli}' is not a number");
        var minRecovery = fields.GetValueOrDefault("Minimum recovery ending location");
        return new ControlData(Field("Database cluster state"), Field("Latest checkpoint location"), timeline,
            minRecovery is null or "0/0" ? null : minRecovery) { Fields = fields };
    }
}
