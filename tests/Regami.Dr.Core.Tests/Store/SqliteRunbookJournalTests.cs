using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Store;

namespace Regami.Dr.Core.Tests.Store;

public class SqliteRunbookJournalTests : IDisposable
{
    private static readonly DateTimeOffset Now = StoreTimes.Now;
    private static readonly Dictionary<string, string> ToCentral = new() { ["to"] = "eu-central-1", ["force"] = "false" };
    private readonly TempStateDirectory _dir = new();
    private readonly StateStore _store;

    public SqliteRunbookJournalTests() => _store = StateStore.Open(_dir.Path, StoreTimes.Clock());

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    private IRunbookJournal Journal => _store.Journal;

    [Fact]
    public async Task Starting_a_run_journals_it_as_running_with_an_id_from_kind_and_time()
    {
        var run = await Journal.StartRunAsync("failover", ToCentral, "ops@bastion", 4711, Now, default);

        Assert.Matches("^failover-20261124T213000Z-[0-9a-f]{4}$", run.Id);
        Assert.Equal(RunOutcome.Running, run.Outcome);
        Assert.Empty(run.Steps);

        var stored = await Journal.GetAsync(run.Id, default);
        Assert.NotNull(stored);
        Assert.Equal(("failover", "ops@bastion", (int?)4711, Now, RunOutcome.Running, (DateTimeOffset?)null),
            (stored.Kind, stored.Actor, stored.Pid, stored.StartedAt, stored.Outcome, stored.FinishedAt));
        Assert.Equal(ToCentral.OrderBy(p => p.Key), stored.Parameters.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task Every_write_is_visible_to_another_process_as_soon_as_it_returns()
    {
        // Journal before act: what the engine wrote must be on disk before it acts.
        var run = await Journal.StartRunAsync("failover", ToCentral, "ops@bastion", 4711, Now, default);
        await Journal.RecordStepAsync(run.Id, new StepRecord(1, "fence-old-primary", StepOutcome.Started, Now, null, 0, null), default);

        using var otherProcess = StateStore.Open(_dir.Path, StoreTimes.Clock());
        var seen = await otherProcess.Journal.GetAsync(run.Id, default);

        Assert.Equal(StepOutcome.Started, Assert.Single(seen!.Steps).Outcome);
    }

    [Fact]
    public async Task A_step_row_is_overwritten_as_it_progresses()
    {
        var run = await Journal.StartRunAsync("failover", ToCentral, "ops@bastion", 4711, Now, default);

        await Journal.RecordStepAsync(run.Id, new StepRecord(2, "promote-standby", StepOutcome.Started, Now, null, 0, "promote eu-central-1"), default);
        await Journal.RecordStepAsync(run.Id, new StepRecord(2, "promote-standby", StepOutcome.Succeeded, Now, Now.AddSeconds(3.2), 2, "promoted after 2 attempts"), default);
        await Journal.RecordStepAsync(run.Id, new StepRecord(1, "fence-old-primary", StepOutcome.Skipped, Now.AddSeconds(-1), Now.AddSeconds(-1), 0, "already read-only"), default);

        var steps = (await Journal.GetAsync(run.Id, default))!.Steps;
        Assert.Equal([1, 2], steps.Select(s => s.Index));
        var promote = steps[1];
        Assert.Equal(new StepRecord(2, "promote-standby", StepOutcome.Succeeded, Now, Now.AddSeconds(3.2), 2, "promoted after 2 attempts"), promote);
        Assert.Equal(TimeSpan.FromSeconds(3.2), promote.Duration);
    }

    [Fact]
    public async Task Steps_and_finishes_for_an_unknown_run_are_refused()
    {
        var step = new StepRecord(1, "promote-standby", StepOutcome.Started, Now, null, 0, null);

        var e = await Assert.ThrowsAsync<KeyNotFoundException>(() => Journal.RecordStepAsync("failover-nope", step, default));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Journal.FinishRunAsync("failover-nope", RunOutcome.Failed, null, Now, default));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Journal.ResumeRunAsync("failover-nope", 1, default));
        Assert.Null(await Journal.GetAsync("failover-nope", default));
        Assert.Equal("run failover-nope is not in the runbook journal", e.Message);
    }

    [Fact]
    public async Task Finishing_records_outcome_detail_and_time()
    {
        var run = await Journal.StartRunAsync("failover", ToCentral, "ops@bastion", 4711, Now, default);

        await Journal.FinishRunAsync(run.Id, RunOutcome.Refused, "guard.rpo: lag 412 s > 300 s", Now.AddSeconds(2), default);

        var stored = (await Journal.GetAsync(run.Id, default))!;
        Assert.Equal((RunOutcome.Refused, "guard.rpo: lag 412 s > 300 s", (DateTimeOffset?)Now.AddSeconds(2)), (stored.Outcome, stored.Detail, stored.FinishedAt));
        await Assert.ThrowsAsync<ArgumentException>(() => Journal.FinishRunAsync(run.Id, RunOutcome.Running, null, Now, default));
    }

    [Fact]
    public async Task Resuming_puts_a_failed_run_back_to_running_under_a_new_process_and_keeps_its_steps()
    {
        var run = await Journal.StartRunAsync("failover", ToCentral, "ops@bastion", 4711, Now, default);
        await Journal.RecordStepAsync(run.Id, new StepRecord(1, "fence-old-primary", StepOutcome.Succeeded, Now, Now.AddSeconds(1), 1, null), default);
        await Journal.FinishRunAsync(run.Id, RunOutcome.Failed, "promote-standby: timed out", Now.AddSeconds(60), default);

        await Journal.ResumeRunAsync(run.Id, 5150, default);

        var stored = (await Journal.GetAsync(run.Id, default))!;
        Assert.Equal((RunOutcome.Running, (int?)5150, (DateTimeOffset?)null, (string?)null), (stored.Outcome, stored.Pid, stored.FinishedAt, stored.Detail));
        Assert.Single(stored.Steps);
    }

    [Fact]
    public async Task A_succeeded_run_cannot_be_resumed()
    {
        var run = await Journal.StartRunAsync("switchover", ToCentral, "ops@bastion", 4711, Now, default);
        await Journal.FinishRunAsync(run.Id, RunOutcome.Succeeded, null, Now.AddSeconds(30), default);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Journal.ResumeRunAsync(run.Id, 5150, default));

        Assert.Equal($"run {run.Id} already succeeded; there is nothing to resume", e.Message);
    }

    [Fact]
    public async Task Find_unfinished_returns_the_newest_running_failed_or_interrupted_run()
    {
        var failedFailover = await Journal.StartRunAsync("failover", ToCentral, "ops@bastion", 1, Now, default);
        await Journal.FinishRunAsync(failedFailover.Id, RunOutcome.Failed, "x", Now.AddMinutes(1), default);
        var interruptedFailback = await Journal.StartRunAsync("failback", ToCentral, "ops@bastion", 2, Now.AddMinutes(2), default);
        await Journal.FinishRunAsync(interruptedFailback.Id, RunOutcome.Interrupted, "process 2 died", Now.AddMinutes(3), default);
        foreach (var (outcome, minute) in new[] { (RunOutcome.Succeeded, 4), (RunOutcome.Cancelled, 5), (RunOutcome.Refused, 6) })
        {
            var done = await Journal.StartRunAsync("failover", ToCentral, "ops@bastion", 3, Now.AddMinutes(minute), default);
            await Journal.FinishRunAsync(done.Id, outcome, null, Now.AddMinutes(minute), default);
        }

        Assert.Equal(interruptedFailback.Id, (await Journal.FindUnfinishedAsync(null, default))?.Id);
        Assert.Equal(failedFailover.Id, (await Journal.FindUnfinishedAsync("failover", default))?.Id);
        Assert.Null(await Journal.FindUnfinishedAsync("restore", default));

        var running = await Journal.StartRunAsync("failover", ToCentral, "controller", 4, Now.AddMinutes(7), default);
        Assert.Equal(running.Id, (await Journal.FindUnfinishedAsync("failover", default))?.Id);
    }

    [Fact]
    public async Task List_returns_the_newest_runs_first_with_their_steps()
    {
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var run = await Journal.StartRunAsync("failover", ToCentral, "ops@bastion", i, Now.AddMinutes(i), default);
            await Journal.RecordStepAsync(run.Id, new StepRecord(1, "fence-old-primary", StepOutcome.Succeeded, Now, Now, 1, null), default);
            ids.Add(run.Id);
        }

        var listed = await Journal.ListAsync(3, default);

        Assert.Equal([ids[3], ids[2], ids[1]], listed.Select(r => r.Id));
        Assert.All(listed, r => Assert.Single(r.Steps));
    }

    [Fact]
    public async Task Runs_started_in_the_same_second_get_different_ids()
    {
        var ids = new HashSet<string>();
        for (var i = 0; i < 20; i++)
            ids.Add((await Journal.StartRunAsync("drill", ToCentral, "ops@bastion", i, Now, default)).Id);

        Assert.Equal(20, ids.Count);
    }

    [Fact]
    public async Task A_kind_that_cannot_be_part_of_an_id_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Journal.StartRunAsync("Fail Over", ToCentral, "ops@bastion", 1, Now, default));
    }
}
