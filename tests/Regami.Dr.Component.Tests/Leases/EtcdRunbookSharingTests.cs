using Regami.Dr.Component.Tests.Infrastructure;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Server.Leases;
using Regami.Dr.Store;

namespace Regami.Dr.Component.Tests.Leases;

/// <summary>
/// Issue 10, item 1's etcd part: the runbook lock and the journal of unfinished runs in a real etcd,
/// so that a controller on another host (here: another state directory) sees a run a dead leader
/// started and finishes it.
/// </summary>
public sealed class EtcdRunbookSharingTests(EtcdServerFixture etcd) : IClassFixture<EtcdServerFixture>, IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false });
    private readonly string _root = $"/regami-dr-test/{Guid.NewGuid():N}/";
    private readonly List<string> _dirs = [];

    public void Dispose()
    {
        _http.Dispose();
        foreach (var d in _dirs) try { Directory.Delete(d, recursive: true); } catch (IOException) { }
    }

    private EtcdRunbookLease Lock(HttpClient? http = null) =>
        new(etcd.Server.ClientUrl, http ?? _http, TimeProvider.System, _root + "runbook-lock") { Ttl = TimeSpan.FromSeconds(2) };

    private (StateStore Store, EtcdMirroredJournal Journal) Host()
    {
        var dir = Path.Combine(Path.GetTempPath(), "regami-dr-etcd-journal-" + Guid.NewGuid().ToString("N")[..8]);
        _dirs.Add(dir);
        var store = StateStore.Open(dir, TimeProvider.System);
        return (store, new EtcdMirroredJournal(store.Journal, store.LocalJournal.ImportAsync, etcd.Server.ClientUrl, _http, _root + "runs/"));
    }

    [Fact]
    public async Task One_holder_at_a_time_across_hosts_and_released_at_once()
    {
        var onA = Lock();
        var onB = Lock();
        await using var held = await onA.TryAcquireAsync("failover-1 on host A", default);
        Assert.NotNull(held);
        Assert.Null(await onB.TryAcquireAsync("failover-2 on host B", default));
        Assert.Equal("failover-1 on host A", await onB.CurrentHolderAsync(default));

        await held!.DisposeAsync();
        Assert.Null(await onB.CurrentHolderAsync(default));
        await using var second = await onB.TryAcquireAsync("failover-2 on host B", default);
        Assert.NotNull(second);
    }

    [Fact]
    public async Task A_holder_that_stops_renewing_loses_the_lock_after_its_ttl_and_the_run_counts_as_dead()
    {
        var dying = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var handle = await Lock(dying).TryAcquireAsync("failover-1 on host A", default);
        Assert.NotNull(handle);
        // Held across several renewals (TTL 2 s, renewed every ~0.7 s).
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal("failover-1 on host A", await Lock().CurrentHolderAsync(default));

        dying.Dispose(); // the host is gone: no keepalive reaches etcd any more
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (await Lock().CurrentHolderAsync(default) is not null && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Null(await Lock().CurrentHolderAsync(default));
        await using var taken = await Lock().TryAcquireAsync("failover-1 resumed on host B", default);
        Assert.NotNull(taken);
    }

    [Fact]
    public async Task A_run_a_dead_leader_left_unfinished_is_seen_and_finished_on_another_host()
    {
        var (storeA, hostA) = Host();
        var (storeB, hostB) = Host();
        using var a = storeA;
        using var b = storeB;
        var t = DateTimeOffset.UtcNow;
        var run = await hostA.StartRunAsync("failover", new Dictionary<string, string> { ["from"] = "eu-west-3", ["to"] = "eu-central-1" }, "controller", 101, t, default);
        await hostA.RecordStepAsync(run.Id, new StepRecord(1, "check-target", StepOutcome.Succeeded, t, t.AddSeconds(0.1), 1, "ok"), default);
        await hostA.RecordStepAsync(run.Id, new StepRecord(2, "fence-traffic", StepOutcome.Started, t.AddSeconds(0.2), null, 1, null), default);
        // Host A dies here. Host B's own store has never heard of the run; etcd has.
        Assert.Null(await storeB.Journal.GetAsync(run.Id, default));

        var seen = await hostB.FindUnfinishedAsync("failover", default);
        Assert.NotNull(seen);
        Assert.Equal(run.Id, seen!.Id);
        Assert.Equal(["check-target", "fence-traffic"], seen.Steps.Select(s => s.Name));
        Assert.Contains(await hostB.ListAsync(10, default), r => r.Id == run.Id);

        await hostB.ResumeRunAsync(run.Id, 202, default);   // imported into B's store, then resumed there
        var imported = await storeB.Journal.GetAsync(run.Id, default);
        Assert.Equal(RunOutcome.Running, imported!.Outcome);
        Assert.Equal(202, imported.Pid);
        Assert.Equal(2, imported.Steps.Count);
        await hostB.RecordStepAsync(run.Id, new StepRecord(2, "fence-traffic", StepOutcome.Succeeded, t.AddSeconds(5), t.AddSeconds(5.1), 2, "ok"), default);
        await hostB.FinishRunAsync(run.Id, RunOutcome.Succeeded, null, t.AddSeconds(9), default);

        // Finished: gone from etcd, so host A (back, with its stale local copy) does not take it up again.
        Assert.Empty(await hostB.UnfinishedInEtcdAsync(default));
        Assert.Null(await hostA.FindUnfinishedAsync(null, default));
        Assert.Equal(RunOutcome.Running, (await storeA.Journal.GetAsync(run.Id, default))!.Outcome);   // A's report store is stale, not consulted for resumes
        Assert.Equal(RunOutcome.Succeeded, (await hostB.GetAsync(run.Id, default))!.Outcome);
    }
}
