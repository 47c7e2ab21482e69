using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Core.Runbooks;

/// <summary>
/// Whether a run the journal says is running really is: its liveness is the runbook lock it
/// holds (released by the system when its process dies), not a bare pid that a new process may
/// reuse. A "running" run whose lock is free died mid-run: it is marked Interrupted, resumable.
/// </summary>
public static class RunLiveness
{
    /// <summary>True while some run holds the runbook lock.</summary>
    public static async Task<bool> AnyRunAliveAsync(IRunbookLease lease, CancellationToken ct) =>
        await lease.CurrentHolderAsync(ct) is not null;

    /// <summary>
    /// Marks <paramref name="run"/> Interrupted when it is journaled as running but nobody holds the
    /// runbook lock, and returns the run as it now stands (null stays null).
    /// </summary>
    public static async Task<RunRecord?> SettleAsync(IRunbookJournal journal, IRunbookLease lease, RunRecord? run, DateTimeOffset now, CancellationToken ct)
    {
        if (run is not { Outcome: RunOutcome.Running }) return run;
        if (await AnyRunAliveAsync(lease, ct)) return run;
        var stoppedAt = run.Steps.LastOrDefault(s => s.Outcome == StepOutcome.Started);
        var detail = $"its process (pid {run.Pid?.ToString() ?? "?"}) died{(stoppedAt is null ? "" : $" during step {stoppedAt.Index} {stoppedAt.Name}")}: the runbook lock was free";
        await journal.FinishRunAsync(run.Id, RunOutcome.Interrupted, detail, now, ct);
        return await journal.GetAsync(run.Id, ct);
    }
}
