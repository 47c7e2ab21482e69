using Polly;
using Polly.Retry;
using Polly.Timeout;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Core.Runbooks;

public sealed record RunbookRunOptions
{
    public bool DryRun { get; init; }

    /// <summary>Resume this unfinished run instead of starting a new one.</summary>
    public string? ResumeRunId { get; init; }

    /// <summary>Called after each step is journaled as finished, with its 1-based index (crash tests exit the process here).</summary>
    public Action<int, string>? AfterStepJournaled { get; init; }

    /// <summary>
    /// Asked before every step (the controller: "do I still hold the lease?"). Null to go on; a
    /// reason to stop the run there, journaled as <see cref="RunOutcome.Interrupted"/> (resumable):
    /// a step boundary is the one place a run can stop without leaving a step half done.
    /// </summary>
    public Func<CancellationToken, Task<string?>>? BeforeStep { get; init; }
    /// <summary>
    /// Called once with the run id as soon as the run is journaled as started (or resumed), before
    /// its first step: a caller that runs the runbook in the background (the HTTP API) answers with it.
    /// </summary>
    public Action<string>? OnRunStarted { get; init; }
}

public enum PlannedStepState { WouldRun, AlreadyDone, DoneInJournal }

public sealed record PlannedStep(int Index, string Name, string Description, string? Region, PlannedStepState State, string? Reason);

public sealed record StepProgress(int Index, int Count, string Name, string Description, StepOutcome Outcome, string? Detail, TimeSpan? Duration);

public sealed record RunbookResult(
    string? RunId,
    string Kind,
    RunOutcome Outcome,
    IReadOnlyList<StepRecord> Steps,
    IReadOnlyList<PlannedStep>? Plan,
    string? FailedStep,
    string? Detail,
    TimeSpan Duration,
    bool Resumed)
{
    public bool Succeeded => Outcome == RunOutcome.Succeeded;
}

/// <summary>
/// Runs a runbook step by step. Ordering invariant kept here: a step is journaled as started
/// (and audited) before it acts, and journaled as finished before the next step starts, so a
/// crash leaves a journal that says exactly where to resume.
/// </summary>
/// <remarks>Durations come from <paramref name="time"/> and the process id from <paramref name="host"/>: Core reads no clock or process of its own.</remarks>
public sealed class RunbookEngine(IRunbookJournal journal, IAuditLog audit, IRunbookLease lease, TimeProvider time, IHostFacts host, string actor)
{
    public async Task<IReadOnlyList<PlannedStep>> PlanAsync(Runbook runbook, RunRecord? resumed, CancellationToken ct)
    {
        var context = new RunbookContext(resumed?.Id ?? "dry-run", runbook.Parameters, time);
        var plan = new List<PlannedStep>();
        for (var i = 0; i < runbook.Steps.Count; i++)
        {
            var step = runbook.Steps[i];
            var journaled = resumed?.Steps.FirstOrDefault(s => s.Name == step.Name && s.Outcome is StepOutcome.Succeeded or StepOutcome.Skipped);
            if (journaled is not null && !step.IsGuard)
            {
                plan.Add(new PlannedStep(i + 1, step.Name, step.Description, step.Region, PlannedStepState.DoneInJournal, $"done in run {resumed!.Id}"));
                continue;
            }
            string? done = null;
            try { done = step.AlreadyDone is null ? null : await step.AlreadyDone(context, ct); }
            catch (Exception e) when (e is not OperationCanceledException) { done = null; }
            plan.Add(new PlannedStep(i + 1, step.Name, step.Description, step.Region, done is null ? PlannedStepState.WouldRun : PlannedStepState.AlreadyDone, done));
        }
        return plan;
    }

    public async Task<RunbookResult> RunAsync(Runbook runbook, string command, RunbookRunOptions options, IProgress<StepProgress>? progress, CancellationToken ct)
    {
        var problems = runbook.Validate();
        if (problems.Count > 0) throw new ArgumentException("invalid runbook: " + string.Join("; ", problems));
        var started = time.GetTimestamp();

        RunRecord? resumed = options.ResumeRunId is null ? null
            : await journal.GetAsync(options.ResumeRunId, ct) ?? throw new ArgumentException($"no runbook run {options.ResumeRunId}");

        if (options.DryRun)
        {
            var plan = await PlanAsync(runbook, resumed, ct);
            return new RunbookResult(resumed?.Id, runbook.Kind, RunOutcome.Succeeded, [], plan, null, "dry run: nothing was changed", time.GetElapsedTime(started), resumed is not null);
        }

        var holder = $"{(resumed is null ? runbook.Kind : $"run {resumed.Id}")} by {actor} (pid {host.ProcessId}, since {time.GetUtcNow():HH:mm:ss} UTC)";
        await using var handle = await lease.TryAcquireAsync(holder, ct)
            ?? throw new RunbookBusyException(await lease.CurrentHolderAsync(ct) ?? "unknown holder");
        var runId = resumed?.Id ?? "";

        if (resumed is null)
        {
            var run = await journal.StartRunAsync(runbook.Kind, runbook.Parameters, actor, host.ProcessId, time.GetUtcNow(), ct);
            runId = run.Id;
        }
        else await journal.ResumeRunAsync(runId, host.ProcessId, ct);
        options.OnRunStarted?.Invoke(runId);
        await AuditAsync(command, null, RunbookAuditActions.Run(runbook.Kind), resumed is null ? "started" : "resumed",
            $"run {runId}; parameters {string.Join(", ", runbook.Parameters.Select(kv => $"{kv.Key}={kv.Value}"))}", ct);

        var context = new RunbookContext(runId, runbook.Parameters, time);
        var records = new List<StepRecord>();
        for (var i = 0; i < runbook.Steps.Count; i++)
        {
            var step = runbook.Steps[i];
            var index = i + 1;
            if (options.BeforeStep is { } before && await before(ct) is { } stop)
            {
                var why = $"stopped before step {index} {step.Name}: {stop}";
                await journal.FinishRunAsync(runId, RunOutcome.Interrupted, why, time.GetUtcNow(), CancellationToken.None);
                await AuditAsync(command, null, RunbookAuditActions.Run(runbook.Kind), "interrupted", $"run {runId} {why}; resumable", CancellationToken.None);
                return new RunbookResult(runId, runbook.Kind, RunOutcome.Interrupted, records, null, step.Name, why, time.GetElapsedTime(started), resumed is not null);
            }
            var previous = resumed?.Steps.FirstOrDefault(s => s.Name == step.Name);
            // Guards are asked again on every resume: what they checked may no longer hold.
            if (previous is { Outcome: StepOutcome.Succeeded or StepOutcome.Skipped } && !step.IsGuard)
            {
                records.Add(previous);
                progress?.Report(new StepProgress(index, runbook.Steps.Count, step.Name, step.Description, StepOutcome.Skipped, $"done earlier in this run ({previous.Outcome.ToString().ToLowerInvariant()})", TimeSpan.Zero));
                continue;
            }

            var startedAt = time.GetUtcNow();
            var stepStarted = time.GetTimestamp();
            string? already;
            try { already = step.AlreadyDone is null ? null : await step.AlreadyDone(context, ct); }
            catch (Exception e) when (e is not OperationCanceledException) { already = null; }
            if (already is not null)
            {
                var skipped = new StepRecord(index, step.Name, StepOutcome.Skipped, startedAt, time.GetUtcNow(), 0, already);
                await journal.RecordStepAsync(runId, skipped, ct);
                await AuditAsync(command, step.Region, RunbookAuditActions.Step(step.Name), "skipped", already, ct);
                records.Add(skipped);
                progress?.Report(new StepProgress(index, runbook.Steps.Count, step.Name, step.Description, StepOutcome.Skipped, already, time.GetElapsedTime(stepStarted)));
                options.AfterStepJournaled?.Invoke(index, step.Name);
                continue;
            }

            // Journal before acting.
            await journal.RecordStepAsync(runId, new StepRecord(index, step.Name, StepOutcome.Started, startedAt, null, 0, step.Description), ct);
            await AuditAsync(command, step.Region, RunbookAuditActions.Step(step.Name), "started", step.Description, ct);
            progress?.Report(new StepProgress(index, runbook.Steps.Count, step.Name, step.Description, StepOutcome.Started, null, null));

            var attempts = 0;
            try
            {
                var detail = await Pipeline(step).ExecuteAsync(async token =>
                {
                    attempts++;
                    var d = await step.Execute(context, token);
                    if (step.Verify is not null && await step.Verify(context, token) is { } problem)
                        throw new StepVerificationException($"{d}; but verification failed: {problem}");
                    return d;
                }, ct);
                var done = new StepRecord(index, step.Name, StepOutcome.Succeeded, startedAt, time.GetUtcNow(), attempts, detail);
                await journal.RecordStepAsync(runId, done, ct);
                await AuditAsync(command, step.Region, RunbookAuditActions.Step(step.Name), "succeeded", detail, ct);
                records.Add(done);
                progress?.Report(new StepProgress(index, runbook.Steps.Count, step.Name, step.Description, StepOutcome.Succeeded, detail, time.GetElapsedTime(stepStarted)));
                options.AfterStepJournaled?.Invoke(index, step.Name);
            }
            catch (Exception e)
            {
                var cancelled = e is OperationCanceledException && ct.IsCancellationRequested;
                var refused = e is GuardRefusedException;
                var reason = e switch
                {
                    TimeoutRejectedException => $"timed out after {step.Options.Timeout.TotalSeconds:0.#} s ({attempts} attempt(s))",
                    _ => e.Message,
                };
                var failed = new StepRecord(index, step.Name, StepOutcome.Failed, startedAt, time.GetUtcNow(), attempts, reason);
                // Record the failure even when the caller cancelled: the journal must say where it stopped.
                await journal.RecordStepAsync(runId, failed, CancellationToken.None);
                await AuditAsync(command, step.Region, RunbookAuditActions.Step(step.Name), refused ? "refused" : cancelled ? "cancelled" : "failed", reason, CancellationToken.None);
                var outcome = refused ? RunOutcome.Refused : cancelled ? RunOutcome.Cancelled : RunOutcome.Failed;
                await journal.FinishRunAsync(runId, outcome, $"{step.Name}: {reason}", time.GetUtcNow(), CancellationToken.None);
                await AuditAsync(command, null, RunbookAuditActions.Run(runbook.Kind), outcome.ToString().ToLowerInvariant(), $"run {runId} stopped at step {index} {step.Name}: {reason}", CancellationToken.None);
                records.Add(failed);
                progress?.Report(new StepProgress(index, runbook.Steps.Count, step.Name, step.Description, StepOutcome.Failed, reason, time.GetElapsedTime(stepStarted)));
                return new RunbookResult(runId, runbook.Kind, outcome, records, null, step.Name, reason, time.GetElapsedTime(started), resumed is not null);
            }
        }

        await journal.FinishRunAsync(runId, RunOutcome.Succeeded, null, time.GetUtcNow(), CancellationToken.None);
        await AuditAsync(command, null, RunbookAuditActions.Run(runbook.Kind), "succeeded", $"run {runId} finished in {time.GetElapsedTime(started).TotalSeconds:0.00} s", CancellationToken.None);
        return new RunbookResult(runId, runbook.Kind, RunOutcome.Succeeded, records, null, null, null, time.GetElapsedTime(started), resumed is not null);
    }

    private ResiliencePipeline<string> Pipeline(RunbookStep step)
    {
        var builder = new ResiliencePipelineBuilder<string> { TimeProvider = time };
        if (step.Options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<string>
            {
                MaxRetryAttempts = step.Options.MaxRetryAttempts,
                Delay = step.Options.RetryDelay ?? TimeSpan.FromSeconds(1),
                BackoffType = DelayBackoffType.Constant,
                // A guard's refusal is an answer, not a transient failure.
                ShouldHandle = new PredicateBuilder<string>().Handle<Exception>(e => e is not GuardRefusedException and not OperationCanceledException),
            });
        }
        builder.AddTimeout(step.Options.Timeout);
        return builder.Build();
    }

    private Task AuditAsync(string command, string? region, string action, string outcome, string? details, CancellationToken ct) =>
        audit.AppendAsync(new AuditEntry(time.GetUtcNow(), actor, command, region, action, outcome, details), ct);

}

public sealed class StepVerificationException(string message) : Exception(message);
