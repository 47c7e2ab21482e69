using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Store;

namespace Regami.Dr.Core.Tests.Runbooks;

/// <summary>
/// Resuming safely: guards are asked again, a stale run or one the world has moved past is not
/// resumed on its own, a run stops at a step boundary when its caller loses the right to act, and
/// a "running" run whose process died is interrupted, not running forever.
/// </summary>
public sealed class ResumeSafetyTests
{
    private readonly InMemoryJournal journal = new();
    private readonly InMemoryAudit audit = new();
    private readonly InMemoryLease lease = new();
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 29, 13, 0, 0, TimeSpan.Zero));
    private RunbookEngine Engine() => new(journal, audit, lease, time, ProcessHostFacts.Current, "tester@host");

    private static RunbookStep Step(string name, Func<Task<string>> execute, bool guard = false) => new()
    {
        Name = name,
        Description = $"does {name}",
        Execute = (_, _) => execute(),
        IsGuard = guard,
    };

    private static Runbook Book(params RunbookStep[] steps) => new("failover", new Dictionary<string, string> { ["to"] = "b" }, steps);

    [Fact]
    public async Task A_resumed_run_asks_its_guards_again_but_does_not_redo_finished_actions()
    {
        var calls = new List<string>();
        var failPromote = true;
        var guardPasses = true;
        RunbookStep[] Steps() =>
        [
            Step("rpo-guard", () => { calls.Add("guard"); return guardPasses ? Task.FromResult("lag ok") : throw new GuardRefusedException("rpo", "lag now too high"); }, guard: true),
            Step("fence", () => { calls.Add("fence"); return Task.FromResult("fenced"); }),
            Step("promote", () => { calls.Add("promote"); return failPromote ? throw new InvalidOperationException("promote timed out") : Task.FromResult("promoted"); }),
        ];
        var first = await Engine().RunAsync(Book(Steps()), "test", new RunbookRunOptions(), null, default);
        Assert.Equal(RunOutcome.Failed, first.Outcome);

        calls.Clear();
        failPromote = false;
        guardPasses = false;   // the world changed while the run was stopped
        var refused = await Engine().RunAsync(Book(Steps()), "test", new RunbookRunOptions { ResumeRunId = first.RunId }, null, default);
        Assert.Equal(RunOutcome.Refused, refused.Outcome);
        Assert.Equal(["guard"], calls);

        calls.Clear();
        guardPasses = true;
        var resumed = await Engine().RunAsync(Book(Steps()), "test", new RunbookRunOptions { ResumeRunId = first.RunId }, null, default);
        Assert.True(resumed.Succeeded);
        Assert.Equal(["guard", "promote"], calls);   // the guard again, the fence not redone
    }

    [Fact]
    public async Task Losing_the_right_to_act_stops_the_run_at_the_next_step_boundary_as_interrupted_and_resumable()
    {
        var calls = new List<string>();
        string? stop = null;
        var book = Book(
            Step("fence", () => { calls.Add("fence"); stop = "this controller no longer holds the lease (held by controller@b)"; return Task.FromResult("fenced"); }),
            Step("promote", () => { calls.Add("promote"); return Task.FromResult("promoted"); }));

        var result = await Engine().RunAsync(book, "test", new RunbookRunOptions { BeforeStep = _ => Task.FromResult(stop) }, null, default);

        Assert.Equal(RunOutcome.Interrupted, result.Outcome);
        Assert.Equal(["fence"], calls);
        Assert.Equal("promote", result.FailedStep);
        Assert.Contains("no longer holds the lease", result.Detail);
        var run = await journal.GetAsync(result.RunId!, default);
        Assert.Equal(RunOutcome.Interrupted, run!.Outcome);
        Assert.Contains(audit.Events, e => e.Entry.Outcome == "interrupted" && e.Entry.Details!.Contains("resumable"));
        Assert.Null(lease.Holder);   // released: the next leader can take over

        stop = null;
        var resumed = await Engine().RunAsync(book, "test", new RunbookRunOptions { ResumeRunId = result.RunId, BeforeStep = _ => Task.FromResult(stop) }, null, default);
        Assert.True(resumed.Succeeded);
        Assert.Equal(["fence", "promote"], calls);
    }

    private static RunRecord Run(string id, DateTimeOffset started, RunOutcome outcome = RunOutcome.Interrupted, string kind = "failover", string actor = "controller") =>
        new(id, kind, new Dictionary<string, string> { ["from"] = "a", ["to"] = "b" }, actor, 1, started, outcome == RunOutcome.Running ? null : started + TimeSpan.FromSeconds(5), outcome, "stopped",
            [new StepRecord(1, "fence-traffic", StepOutcome.Succeeded, started, started + TimeSpan.FromSeconds(1), 1, "ok")]);

    [Fact]
    public void A_run_is_resumed_on_its_own_only_while_recent_and_nothing_ran_after_it_and_always_when_named()
    {
        var now = time.GetUtcNow();
        var policy = new RunbookPolicy { MaxResumeAge = TimeSpan.FromHours(1) };
        var recent = Run("failover-1", now - TimeSpan.FromMinutes(10));
        Assert.True(ResumeRules.Judge(recent, now, policy, [recent], named: false).Resume);

        var stale = Run("failover-2", now - TimeSpan.FromHours(3));
        var verdict = ResumeRules.Judge(stale, now, policy, [stale], named: false);
        Assert.False(verdict.Resume);
        Assert.Contains("longer than runbooks.maxResumeAge (60 min)", verdict.Reason);
        Assert.True(ResumeRules.Judge(stale, now, policy, [stale], named: true).Resume);

        var later = Run("switchover-3", now - TimeSpan.FromMinutes(5), RunOutcome.Succeeded, "switchover", "sre@laptop");
        verdict = ResumeRules.Judge(recent, now, policy, [later, recent], named: false);
        Assert.False(verdict.Resume);
        Assert.Contains("switchover-3", verdict.Reason);
        Assert.Contains("may have changed", verdict.Reason);
    }

    [Fact]
    public async Task A_running_run_whose_lock_is_free_died_and_is_marked_interrupted_and_one_holding_it_is_left_alone()
    {
        var started = await journal.StartRunAsync("failover", new Dictionary<string, string>(), "controller", 4242, time.GetUtcNow(), default);
        await journal.RecordStepAsync(started.Id, new StepRecord(3, "fence-compute", StepOutcome.Started, time.GetUtcNow(), null, 0, "scaling"), default);

        lease.Holder = "failover by controller (pid 4242)";
        var alive = await RunLiveness.SettleAsync(journal, lease, await journal.GetAsync(started.Id, default), time.GetUtcNow(), default);
        Assert.Equal(RunOutcome.Running, alive!.Outcome);

        lease.Holder = null;   // the process died: the system released its lock (a reused pid would not matter)
        var dead = await RunLiveness.SettleAsync(journal, lease, await journal.GetAsync(started.Id, default), time.GetUtcNow(), default);
        Assert.Equal(RunOutcome.Interrupted, dead!.Outcome);
        Assert.Contains("died during step 3 fence-compute", dead.Detail);
    }
}
