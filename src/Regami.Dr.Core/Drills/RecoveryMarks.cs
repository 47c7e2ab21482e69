using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Core.Drills;

/// <summary>The phase marks of a recovery, from the controller's decisions (audit) and the runbook's journaled step timings.</summary>
public static class RecoveryMarks
{
    /// <param name="run">The failover (controller) or switchover (drill) run that recovered.</param>
    /// <param name="events">Audit events since the fault.</param>
    public static DrillMarks From(RunRecord run, IReadOnlyList<AuditEvent> events, DateTimeOffset faultAt)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(events);
        DateTimeOffset? StepEnd(params string[] names) =>
            run.Steps.Where(s => names.Contains(s.Name) && s.FinishedAt is not null).Select(s => s.FinishedAt).Max();
        var decisions = events.Where(e => e.Entry.Action == ControllerAuditActions.Decision).ToList();
        // The first change of situation after the fault is the detection; the failover decision follows it.
        var decided = decisions.FirstOrDefault(e => e.Entry.Outcome == ControllerAuditActions.FailoverOutcome)?.Entry.At;
        var detected = decisions.FirstOrDefault()?.Entry.At;
        return new DrillMarks(faultAt)
        {
            Detected = detected ?? decided,
            Decided = decided ?? run.StartedAt,
            Fenced = StepEnd(FailoverRunbook.StepNames.FenceDatabase, SwitchoverRunbook.StepNames.StopOldPrimary),
            Promoted = StepEnd(FailoverRunbook.StepNames.PromoteStandby),
            ComputeReady = StepEnd(FailoverRunbook.StepNames.ScaleCompute, SwitchoverRunbook.StepNames.PrewarmCompute),
            TrafficSwitched = StepEnd(FailoverRunbook.StepNames.VerifyPublicWrite),
        };
    }

    /// <summary>A planned switchover's "fault": the primary stopped taking writes (write unavailability starts).</summary>
    public static DateTimeOffset? WritesStopped(RunRecord run) =>
        run.Steps.FirstOrDefault(s => s.Name == SwitchoverRunbook.StepNames.StopWrites)?.StartedAt;
}
