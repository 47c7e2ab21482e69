using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Core.Runbooks;

/// <summary>A region a repair must leave alone, and why.</summary>
/// <param name="RunId">The unfinished run that holds it.</param>
public sealed record RepairHold(string Region, string RunId, string Reason);

/// <summary>
/// What repair paths (`lab up`, `heal`) must not restart: the region an unfinished run began to fence
/// or stop. Restarting it would undo the run half-way — a second writable primary, or the killed old
/// primary serving again while the standby is promoted — so the run is handed to the controller (or
/// the operator) to finish instead. A run that stopped after its guards alone touched nothing and holds nothing.
/// </summary>
public static class RepairHolds
{
    /// <summary>The steps that take a region out of service; once one has started, the region belongs to the run.</summary>
    public static readonly IReadOnlySet<string> FencingSteps = new HashSet<string>(StringComparer.Ordinal)
    {
        FailoverRunbook.StepNames.FenceTraffic,
        FailoverRunbook.StepNames.FenceCompute,
        FailoverRunbook.StepNames.FenceDatabase,
        SwitchoverRunbook.StepNames.StopWrites,
        SwitchoverRunbook.StepNames.StopOldPrimary,
    };

    /// <param name="recentRuns">The journal's recent runs, finished or not. An unfinished run that a later run
    /// completed after (a failback, a fresh failover) no longer holds anything: the world moved on.</param>
    public static IReadOnlyList<RepairHold> From(IReadOnlyList<RunRecord> recentRuns) =>
        recentRuns.Where(r => r.Outcome is RunOutcome.Running or RunOutcome.Failed or RunOutcome.Interrupted)
            .Where(r => !recentRuns.Any(later => later.StartedAt > r.StartedAt && later.Outcome == RunOutcome.Succeeded))
            .Where(r => r.Parameters.TryGetValue("from", out _))
            .Select(r => (Run: r, Fence: r.Steps.FirstOrDefault(s => FencingSteps.Contains(s.Name) && s.Outcome is StepOutcome.Started or StepOutcome.Succeeded)))
            // A running run holds its source from its first step: it may fence it any moment, and a
            // repair racing it (found by the fault campaign: `lab up` while the controller failed over)
            // would restart or query what it is stopping.
            .Where(x => x.Fence is not null || x.Run.Outcome == RunOutcome.Running)
            .Select(x => new RepairHold(x.Run.Parameters["from"], x.Run.Id,
                $"the unfinished {x.Run.Kind} {x.Run.Id} ({x.Run.Outcome.ToString().ToLowerInvariant()}{(x.Fence is { } f ? $", {f.Name} {f.Outcome.ToString().ToLowerInvariant()}" : "")}) is taking it out of service; "
                + $"the controller's leader finishes it, or `regami-dr runbook resume {x.Run.Id}` (`runbook abandon {x.Run.Id}` gives it back)"))
            .GroupBy(h => h.Region).Select(g => g.First()).ToList();
}
