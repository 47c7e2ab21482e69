using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Server.Api;

/// <summary>What became of a request to start a runbook through the API, once it is known.</summary>
public abstract record RunbookStart
{
    private RunbookStart() { }

    /// <summary>The run is journaled under <paramref name="RunId"/> and goes on in the background.</summary>
    public sealed record Started(string RunId) : RunbookStart;

    /// <summary>Another runbook holds the runbook lock; nothing was started.</summary>
    public sealed record Busy(string Reason) : RunbookStart;

    /// <summary>The request cannot go ahead as asked (<see cref="RunbookRequestException"/>); nothing was started.</summary>
    public sealed record Refused(string Reason, bool Unsafe) : RunbookStart;

    /// <summary>It failed before it was journaled; nothing was started.</summary>
    public sealed record Failed(string Reason) : RunbookStart;
}

/// <summary>
/// Runbooks started through the HTTP API run here: in the background, on the host's lifetime, never
/// on the request's token — a client that gives up, or a proxy that drops the connection, must not
/// stop a failover between fencing and promotion. The request waits only until the run is journaled
/// (its id is then the answer) or refused; the run's progress is read from the journal.
/// </summary>
public sealed class ApiRunbooks(CancellationToken lifetime, ILogger logger)
{
    private readonly ConcurrentDictionary<Task, string> running = new();

    /// <summary>The host's lifetime the runs get as their token.</summary>
    public CancellationToken Lifetime => lifetime;

    /// <summary>Runs in flight (started and not ended).</summary>
    public int InFlight => running.Count;

    /// <summary>
    /// Starts <paramref name="run"/> in the background with the host's lifetime and waits until it
    /// reports its journaled run id through the callback it is given, or ends without one.
    /// </summary>
    /// <param name="what">For the log, e.g. <c>failover eu-west-3 → eu-central-1</c>.</param>
    public async Task<RunbookStart> StartAsync(string what, Func<Action<string>, CancellationToken, Task<RunbookResult>> run)
    {
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = Task.Run(() => run(id => started.TrySetResult(id), lifetime), CancellationToken.None);
        running[task] = what;
        _ = task.ContinueWith(t => Ended(t, what), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        await Task.WhenAny(started.Task, task);
        if (started.Task.IsCompleted) return new RunbookStart.Started(started.Task.Result);
        try
        {
            var result = await task;
            return new RunbookStart.Failed($"{what} ended before it was journaled: {result.Detail}");
        }
        catch (RunbookBusyException e) { return new RunbookStart.Busy(e.Message); }
        catch (RunbookRequestException e) { return new RunbookStart.Refused(e.Message, e.Unsafe); }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested) { return new RunbookStart.Failed("the controller is shutting down"); }
        catch (Exception e) { return new RunbookStart.Failed($"{what} could not start: {e.Message}"); }
    }

    /// <summary>
    /// At shutdown, after the lifetime is cancelled: waits (at most <paramref name="limit"/>) for the
    /// runs in flight to journal where they stopped.
    /// </summary>
    public async Task DrainAsync(TimeSpan limit)
    {
        var tasks = running.Keys.ToArray();
        if (tasks.Length == 0) return;
        logger.LogWarning("waiting for {Count} API-started runbook run(s) to record where they stopped", tasks.Length);
        try { await Task.WhenAll(tasks).WaitAsync(limit); }
        catch (TimeoutException) { logger.LogError("API-started runbook run(s) still running after {Limit} s: {Runs}", limit.TotalSeconds, string.Join(", ", running.Values)); }
        catch (Exception) { /* each run's end is logged by Ended */ }
    }

    private void Ended(Task<RunbookResult> t, string what)
    {
        running.TryRemove(t, out _);
        if (t.IsCompletedSuccessfully)
        {
            var r = t.Result;
            if (r.Outcome == RunOutcome.Succeeded) logger.LogInformation("{What}: run {RunId} succeeded in {Seconds:0.0} s", what, r.RunId, r.Duration.TotalSeconds);
            else logger.LogWarning("{What}: run {RunId} {Outcome} at step {Step}: {Detail}", what, r.RunId, r.Outcome.ToString().ToLowerInvariant(), r.FailedStep, r.Detail);
        }
        else if (t.Exception?.GetBaseException() is { } e and not RunbookBusyException and not RunbookRequestException)
            logger.LogError(e, "{What}: {Error}", what, e.Message);
    }
}

/// <summary>A journaled run as <c>GET /api/runs/{id}</c> shows it; durations in seconds.</summary>
public sealed record RunView(
    string Id,
    string Kind,
    RunOutcome Outcome,
    bool Finished,
    IReadOnlyDictionary<string, string> Parameters,
    string Actor,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    double? DurationSeconds,
    string? Detail,
    IReadOnlyList<StepView> Steps)
{
    public static RunView From(RunRecord r) => new(r.Id, r.Kind, r.Outcome, r.Outcome != RunOutcome.Running, r.Parameters, r.Actor,
        r.StartedAt, r.FinishedAt, (r.FinishedAt - r.StartedAt)?.TotalSeconds, r.Detail,
        r.Steps.Select(s => new StepView(s.Index, s.Name, s.Outcome, s.StartedAt, s.FinishedAt, s.Duration?.TotalSeconds, s.Attempts, s.Detail)).ToList());
}

/// <summary>One step of a <see cref="RunView"/>.</summary>
public sealed record StepView(int Index, string Name, StepOutcome Outcome, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, double? DurationSeconds, int Attempts, string? Detail);
