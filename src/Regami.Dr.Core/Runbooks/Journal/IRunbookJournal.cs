namespace Regami.Dr.Core.Runbooks.Journal;

/// <summary>
/// The runbook journal (port). Every write is durable before the method returns, which is what
/// the journal-before-act rule relies on: the engine journals a step as started and only then
/// acts, so after a crash the journal says exactly where to resume.
/// </summary>
public interface IRunbookJournal
{
    /// <summary>Creates a run in <see cref="RunOutcome.Running"/> with a new id (see <see cref="RunId"/>).</summary>
    Task<RunRecord> StartRunAsync(string kind, IReadOnlyDictionary<string, string> parameters, string actor, int pid, DateTimeOffset at, CancellationToken ct);

    /// <summary>
    /// Writes a step by (run, index): a later record for the same index replaces the earlier one
    /// (started, then succeeded or failed), with the attempts and timings it carries.
    /// Throws <see cref="KeyNotFoundException"/> for an unknown run.
    /// </summary>
    Task RecordStepAsync(string runId, StepRecord step, CancellationToken ct);

    /// <summary>Sets the final outcome (anything but <see cref="RunOutcome.Running"/>), detail and finish time.</summary>
    Task FinishRunAsync(string runId, RunOutcome outcome, string? detail, DateTimeOffset at, CancellationToken ct);

    /// <summary>
    /// Puts a run back to <see cref="RunOutcome.Running"/> under a new process (its finish time and
    /// detail are cleared; its steps stay). A run that succeeded cannot be resumed.
    /// </summary>
    Task ResumeRunAsync(string runId, int pid, CancellationToken ct);

    /// <summary>The run with its steps, or null.</summary>
    Task<RunRecord?> GetAsync(string runId, CancellationToken ct);

    /// <summary>
    /// The newest run (of <paramref name="kind"/>, if given) whose outcome is Running, Failed or
    /// Interrupted; the caller decides whether to resume it.
    /// </summary>
    Task<RunRecord?> FindUnfinishedAsync(string? kind, CancellationToken ct);

    /// <summary>The newest <paramref name="limit"/> runs, newest first, with their steps.</summary>
    Task<IReadOnlyList<RunRecord>> ListAsync(int limit, CancellationToken ct);
}
