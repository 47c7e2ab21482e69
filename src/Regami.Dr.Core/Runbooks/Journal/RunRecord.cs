namespace Regami.Dr.Core.Runbooks.Journal;

/// <summary>Where a runbook run stands.</summary>
public enum RunOutcome
{
    /// <summary>Started (or resumed) and not finished; if its process is gone, it crashed.</summary>
    Running,
    Succeeded,
    Failed,
    /// <summary>A guard refused to proceed (e.g. the RPO guard); a human may retry with --force.</summary>
    Refused,
    /// <summary>Stopped on request (Ctrl-C).</summary>
    Cancelled,
    /// <summary>Found unfinished after its process died.</summary>
    Interrupted,
}

/// <summary>Where one step of a run stands.</summary>
public enum StepOutcome { Started, Succeeded, Skipped, Failed, DryRun }

/// <summary>One step of a run as journaled; the row for a step is overwritten as it progresses.</summary>
/// <param name="Index">1-based position of the step in its runbook.</param>
/// <param name="Attempts">Executions so far (retries included).</param>
public sealed record StepRecord(
    int Index,
    string Name,
    StepOutcome Outcome,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    int Attempts,
    string? Detail)
{
    /// <summary>How long the step took, once it finished.</summary>
    public TimeSpan? Duration => FinishedAt - StartedAt;
}

/// <summary>One run of a runbook (failover, switchover, failback, restore) as journaled.</summary>
/// <param name="Id">E.g. <c>failover-20261124T213000Z-ab12</c>; see <see cref="RunId"/>.</param>
/// <param name="Pid">The process running it (the latest one after a resume).</param>
/// <param name="Steps">The journaled steps, by index.</param>
public sealed record RunRecord(
    string Id,
    string Kind,
    IReadOnlyDictionary<string, string> Parameters,
    string Actor,
    int? Pid,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    RunOutcome Outcome,
    string? Detail,
    IReadOnlyList<StepRecord> Steps);
