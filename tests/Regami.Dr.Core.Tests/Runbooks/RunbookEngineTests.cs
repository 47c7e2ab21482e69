using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Store;

namespace Regami.Dr.Core.Tests.Runbooks;

public sealed class RunbookEngineTests
{
    private readonly InMemoryJournal journal = new();
    private readonly InMemoryAudit audit = new();
    private readonly InMemoryLease lease = new();
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 24, 21, 30, 0, TimeSpan.Zero));
    private RunbookEngine Engine() => new(journal, audit, lease, time, ProcessHostFacts.Current, "tester@host");

    private static RunbookStep Step(string name, Func<Task<string>> execute, Func<Task<string?>>? alreadyDone = null, StepOptions? options = null) => new()
    {
        Name = name,
        Description = $"does {name}",
        Execute = (_, _) => execute(),
        AlreadyDone = alreadyDone is null ? null : (_, _) => alreadyDone(),
        Options = options ?? StepOptions.Default,
    };

    private static Runbook Book(params RunbookStep[] steps) => new("test", new Dictionary<string, string> { ["to"] = "b" }, steps);

    [Fact]
    public async Task Steps_run_in_order_and_each_is_journaled_as_started_before_it_acts()
    {
        var seenAtExecute = new List<string>();
        var book = Book(
            Step("one", () => { seenAtExecute.Add(journal.Log[^1]); return Task.FromResult("did one"); }),
            Step("two", () => { seenAtExecute.Add(journal.Log[^1]); return Task.FromResult("did two"); }));

        var result = await Engine().RunAsync(book, "test", new RunbookRunOptions(), null, default);

        Assert.True(result.Succeeded);
        Assert.Equal(["one:Started", "two:Started"], seenAtExecute);
        Assert.Equal(["start test-1", "one:Started", "one:Succeeded", "two:Started", "two:Succeeded", "finish Succeeded"], journal.Log);
        Assert.Equal(["did one", "did two"], result.Steps.Select(s => s.Detail));
        Assert.True((await audit.VerifyAsync(default)).Valid);
        Assert.Contains(audit.Events, e => e.Entry.Action == "step.one" && e.Entry.Outcome == "succeeded" && e.Entry.Actor == "tester@host");
    }

    [Fact]
    public async Task A_step_whose_effect_already_holds_is_skipped_and_never_executed()
    {
        var executed = false;
        var book = Book(Step("promote", () => { executed = true; return Task.FromResult("x"); }, () => Task.FromResult<string?>("already writable")));
        var result = await Engine().RunAsync(book, "test", new RunbookRunOptions(), null, default);
        Assert.False(executed);
        Assert.Equal(StepOutcome.Skipped, result.Steps.Single().Outcome);
        Assert.Equal("already writable", result.Steps.Single().Detail);
    }

    [Fact]
    public async Task A_failed_step_stops_the_run_and_a_resume_continues_from_it_without_redoing_finished_steps()
    {
        var calls = new List<string>();
        var failSecond = true;
        RunbookStep[] Steps() =>
        [
            Step("one", () => { calls.Add("one"); return Task.FromResult("ok"); }),
            Step("two", () => { calls.Add("two"); return failSecond ? throw new InvalidOperationException("disk on fire") : Task.FromResult("ok"); }),
            Step("three", () => { calls.Add("three"); return Task.FromResult("ok"); }),
        ];

        var first = await Engine().RunAsync(Book(Steps()), "test", new RunbookRunOptions(), null, default);
        Assert.Equal(RunOutcome.Failed, first.Outcome);
        Assert.Equal("two", first.FailedStep);
        Assert.Contains("disk on fire", first.Detail);
        Assert.Equal(["one", "two"], calls);
        Assert.Null(lease.Holder);

        failSecond = false;
        calls.Clear();
        var unfinished = await journal.FindUnfinishedAsync("test", default);
        Assert.NotNull(unfinished);
        var second = await Engine().RunAsync(Book(Steps()), "test", new RunbookRunOptions { ResumeRunId = unfinished!.Id }, null, default);
        Assert.True(second.Succeeded);
        Assert.True(second.Resumed);
        Assert.Equal(first.RunId, second.RunId);
        Assert.Equal(["two", "three"], calls);
    }

    [Fact]
    public async Task A_guard_refusal_is_not_retried_and_ends_the_run_as_refused()
    {
        var attempts = 0;
        var book = Book(Step("rpo-guard", () => { attempts++; throw new GuardRefusedException("rpo", "lag 400 s > 300 s"); },
            options: new StepOptions(TimeSpan.FromSeconds(5), MaxRetryAttempts: 3, RetryDelay: TimeSpan.Zero)));
        var result = await Engine().RunAsync(book, "test", new RunbookRunOptions(), null, default);
        Assert.Equal(RunOutcome.Refused, result.Outcome);
        Assert.Equal(1, attempts);
        Assert.Contains(audit.Events, e => e.Entry.Outcome == "refused" && e.Entry.Details!.Contains("lag 400 s"));
    }

    [Fact]
    public async Task A_transient_failure_is_retried_up_to_the_step_limit()
    {
        var attempts = 0;
        var book = Book(Step("flaky", () => ++attempts < 3 ? throw new IOException("connection reset") : Task.FromResult("third time lucky"),
            options: new StepOptions(TimeSpan.FromSeconds(5), MaxRetryAttempts: 2, RetryDelay: TimeSpan.Zero)));
        var result = await Engine().RunAsync(book, "test", new RunbookRunOptions(), null, default);
        Assert.True(result.Succeeded);
        Assert.Equal(3, result.Steps.Single().Attempts);
    }

    [Fact]
    public async Task A_step_that_exceeds_its_timeout_fails_and_the_journal_says_where()
    {
        // Polly v8 timeouts are cooperative: the step is cancelled through its token (every port call takes one).
        var book = Book(new RunbookStep
        {
            Name = "hang",
            Description = "hangs",
            Options = new StepOptions(TimeSpan.FromSeconds(5)),
            // The step hangs until cancelled; the fake clock passes its timeout while it hangs.
            Execute = async (_, ct) =>
            {
                time.Advance(TimeSpan.FromSeconds(6));
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                return "never";
            },
        });
        var result = await Engine().RunAsync(book, "test", new RunbookRunOptions(), null, default);
        Assert.Equal(RunOutcome.Failed, result.Outcome);
        Assert.Contains("timed out", result.Detail);
        var run = await journal.GetAsync(result.RunId!, default);
        Assert.Equal(StepOutcome.Failed, run!.Steps.Single().Outcome);
    }

    [Fact]
    public async Task A_dry_run_writes_nothing_and_tells_which_steps_would_run()
    {
        var executed = false;
        var book = Book(
            Step("fence", () => { executed = true; return Task.FromResult("x"); }, () => Task.FromResult<string?>("already fenced")),
            Step("promote", () => { executed = true; return Task.FromResult("x"); }));
        var result = await Engine().RunAsync(book, "test", new RunbookRunOptions { DryRun = true }, null, default);
        Assert.False(executed);
        Assert.Empty(journal.Log);
        Assert.Empty(audit.Events);
        Assert.Equal([PlannedStepState.AlreadyDone, PlannedStepState.WouldRun], result.Plan!.Select(p => p.State));
    }

    [Fact]
    public async Task A_second_runbook_while_one_holds_the_lease_is_refused_naming_the_holder()
    {
        lease.Holder = "failover by ops@laptop (pid 42)";
        var e = await Assert.ThrowsAsync<RunbookBusyException>(() => Engine().RunAsync(Book(Step("x", () => Task.FromResult("x"))), "test", new RunbookRunOptions(), null, default));
        Assert.Contains("ops@laptop", e.Message);
        Assert.Empty(journal.Log);
    }

    [Fact]
    public async Task The_after_step_hook_sees_each_step_once_it_is_journaled()
    {
        var seen = new List<(int, string, string)>();
        var book = Book(Step("one", () => Task.FromResult("a")), Step("two", () => Task.FromResult("b")));
        await Engine().RunAsync(book, "test", new RunbookRunOptions { AfterStepJournaled = (i, n) => seen.Add((i, n, journal.Log[^1])) }, null, default);
        Assert.Equal([(1, "one", "one:Succeeded"), (2, "two", "two:Succeeded")], seen);
    }

    [Fact]
    public async Task The_run_started_hook_gets_the_journaled_run_id_before_the_first_step_acts()
    {
        var seen = new List<string>();
        var book = Book(Step("one", () => { seen.Add("one acts"); return Task.FromResult("a"); }));
        var result = await Engine().RunAsync(book, "test", new RunbookRunOptions { OnRunStarted = id => seen.Add($"started {id} ({journal.Log[^1]})") }, null, default);
        Assert.Equal([$"started {result.RunId} (start {result.RunId})", "one acts"], seen);
    }

    [Fact]
    public async Task The_run_started_hook_gets_the_resumed_run_id_and_is_not_called_when_the_lease_is_taken()
    {
        var fail = true;
        var book = () => Book(Step("one", () => fail ? throw new InvalidOperationException("no") : Task.FromResult("a")));
        var first = await Engine().RunAsync(book(), "test", new RunbookRunOptions(), null, default);
        fail = false;
        string? resumedId = null;
        await Engine().RunAsync(book(), "test", new RunbookRunOptions { ResumeRunId = first.RunId, OnRunStarted = id => resumedId = id }, null, default);
        Assert.Equal(first.RunId, resumedId);

        lease.Holder = "someone else";
        string? busyId = null;
        await Assert.ThrowsAsync<RunbookBusyException>(() => Engine().RunAsync(book(), "test", new RunbookRunOptions { OnRunStarted = id => busyId = id }, null, default));
        Assert.Null(busyId);
    }

    [Fact]
    public void A_runbook_with_a_duplicate_step_name_is_invalid()
    {
        var book = Book(Step("x", () => Task.FromResult("")), Step("x", () => Task.FromResult("")));
        Assert.Contains("step name x is used twice", book.Validate());
    }
}
