namespace Regami.Dr.Core.Drills;

/// <summary>
/// The moments of one drill's recovery, from the fault to the first acknowledged write, as taken from the
/// drill runner, the controller's journal and the workload. Only the fault is required; a mark that was not
/// observed stays null and its phase is left out (the next phase absorbs its time, see <see cref="DrillMeasurement.MeasurePhases"/>).
/// </summary>
/// <param name="FaultInjected">When the scenario's fault was injected (or the planned switchover started).</param>
public sealed record DrillMarks(DateTimeOffset FaultInjected)
{
    /// <summary>The health checks declared the primary unhealthy (threshold reached).</summary>
    public DateTimeOffset? Detected { get; init; }

    /// <summary>The controller decided to fail over (its guards passed).</summary>
    public DateTimeOffset? Decided { get; init; }

    /// <summary>The old primary was fenced (read-only or stopped).</summary>
    public DateTimeOffset? Fenced { get; init; }

    /// <summary>A restore scenario's restored instance answered (the backup restored, its WAL replayed).</summary>
    public DateTimeOffset? Restored { get; init; }

    /// <summary>The standby database was promoted and writable (a restore scenario: the restored instance adopted as the primary).</summary>
    public DateTimeOffset? Promoted { get; init; }

    /// <summary>The standby region's compute was scaled up and healthy.</summary>
    public DateTimeOffset? ComputeReady { get; init; }

    /// <summary>The public name answered the new region.</summary>
    public DateTimeOffset? TrafficSwitched { get; init; }

    /// <summary>
    /// A restore scenario that copies rows back: the lost rows were back on the primary. The service may have
    /// answered all along; the RTO then runs to this mark, since the data was not recovered before it.
    /// </summary>
    public DateTimeOffset? DataRestored { get; init; }

    /// <summary>
    /// The first acknowledged write after recovery. Normally left null: it is measured from the workload
    /// (<see cref="DrillMeasurement.MeasureRecovery"/>); set it only to override that.
    /// </summary>
    public DateTimeOffset? FirstSuccess { get; init; }
}

/// <summary>The names of the RTO phases, in order, as they appear in reports.</summary>
public static class DrillPhaseNames
{
    public const string Detection = "detection";
    public const string Decision = "decision";
    public const string Fencing = "fencing";
    public const string Restore = "restore";
    public const string Promotion = "promotion";
    public const string Compute = "compute";
    public const string TrafficSwitch = "traffic switch";
    public const string CopyBack = "copy back";
    public const string FirstSuccess = "first success";

    public static readonly IReadOnlyList<string> All =
        [Detection, Decision, Fencing, Restore, Promotion, Compute, TrafficSwitch, CopyBack, FirstSuccess];
}
