namespace Regami.Dr.Core.Drills;

/// <summary>Live counters of a running drill workload, for progress output and the drill's waits.</summary>
/// <param name="Sent">Writes started so far.</param>
/// <param name="LastSeq">The last seq started (FirstSeq − 1 before the first).</param>
/// <param name="SkippedWrites">Scheduled writes dropped because the schedule fell more than MaxScheduleLag behind.</param>
public sealed record WorkloadProgress(
    long Sent,
    long Acknowledged,
    long Refused,
    long Unknown,
    int InFlight,
    long LastSeq,
    long SkippedWrites,
    string? LastAddress,
    string? LastRegion,
    string? LastError)
{
    /// <summary>Writes not acknowledged (refused or unknown).</summary>
    public long Failed => Refused + Unknown;
}
