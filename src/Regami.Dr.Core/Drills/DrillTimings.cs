namespace Regami.Dr.Core.Drills;

/// <summary>How long the drill waits for each thing it needs to see, and how often it looks.</summary>
public sealed record DrillTimings
{
    /// <summary>For the workload's first acknowledgements (and for writes the primary alone acknowledges after a replication cut).</summary>
    public TimeSpan WorkloadAcknowledged { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The controller gets the RTO target plus this to finish its failover…</summary>
    public TimeSpan ControllerFailoverSlack { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>…but never more than this.</summary>
    public TimeSpan ControllerFailoverMax { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>For acknowledgements through the new region after recovery.</summary>
    public TimeSpan WritesAfterRecovery { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>For the regions to hold the same rows after failback (the standby replays the last writes).</summary>
    public TimeSpan Consistency { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan Poll { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan ConsistencyPoll { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often a wait says where the workload stands.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many journal runs are searched for the controller's failover.</summary>
    public int RecentRuns { get; init; } = 5;

    /// <summary>The least number of writes each wait for acknowledgements asks for (besides a second's worth at the drill's rate).</summary>
    public int MinimumWrites { get; init; } = 10;

    public TimeSpan ControllerFailoverWithin(DrillTargets targets) =>
        TimeSpan.FromSeconds(Math.Min(targets.RtoSeconds + ControllerFailoverSlack.TotalSeconds, ControllerFailoverMax.TotalSeconds));
}
