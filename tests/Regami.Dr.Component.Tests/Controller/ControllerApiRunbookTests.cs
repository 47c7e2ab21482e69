using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Regami.Dr.Component.Tests.Infrastructure;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Core.Tests.Drills;
using Regami.Dr.Core.Tests.Store;
using Names = Regami.Dr.Core.Runbooks.FailoverRunbook.StepNames;

namespace Regami.Dr.Component.Tests.Controller;

/// <summary>
/// Runbooks started through the controller's HTTP API: they run on the host's lifetime, not the
/// request's (a client that gives up must not leave a half-done failover), only on the leader,
/// and answer 202 with the run to follow at /api/runs/{id}.
/// </summary>
public sealed class ControllerApiRunbookTests : IAsyncDisposable
{
    private readonly TempStateDirectory dir = new();
    private readonly FakeRegions regions = new(TimeProvider.System);
    private readonly List<TestController> controllers = [];

    private string LeasePath => Path.Combine(dir.Path, "controller.lease");

    private async Task<TestController> StartAsync(string name, Regami.Dr.Core.Ports.IDatabasePort? database = null)
    {
        var c = await TestController.StartAsync(regions, Path.Combine(dir.Path, name), LeasePath, $"{name} pid {Environment.ProcessId}", database);
        controllers.Add(c);
        return c;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in controllers) await c.DisposeAsync();
        dir.Dispose();
    }

    [Fact]
    public async Task A_client_that_gives_up_right_after_POST_failover_does_not_cancel_the_run()
    {
        var gate = new PromoteGate(regions);
        var leader = await StartAsync("controller-a", gate);

        // The lab's client: it gives up (and drops its connection) while the run is at promote-standby.
        var client = new HttpClient { BaseAddress = leader.Url };
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestController.Token);
        using var giveUp = new CancellationTokenSource();
        var post = client.PostAsJsonAsync("/api/failover", new { to = FakeRegions.Away }, giveUp.Token);
        await gate.Entered.WaitAsync(TimeSpan.FromSeconds(20));
        await giveUp.CancelAsync();
        try { (await post).Dispose(); } catch (OperationCanceledException) { /* gave up before the answer */ }
        client.Dispose();
        // Give a request-bound run every chance to see the disconnect before the promotion may go on.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        gate.Release();

        var run = await Eventually.WaitForAsync(async () => (await leader.Store.Journal.ListAsync(1, default)).SingleOrDefault(),
            r => r is { Outcome: not RunOutcome.Running }, TimeSpan.FromSeconds(30), "the failover run finished");
        Assert.False(gate.Cancelled, "the promotion was cancelled with the request");
        Assert.Equal(RunOutcome.Succeeded, run!.Outcome);
        Assert.Equal(FailoverRunbook.Kind, run.Kind);
        Assert.Contains(run.Steps, s => s.Name == FailoverRunbook.StepNames.PromoteStandby && s.Outcome == StepOutcome.Succeeded);
        Assert.All(run.Steps, s => Assert.Contains(s.Outcome, new[] { StepOutcome.Succeeded, StepOutcome.Skipped }));
        lock (regions.Gate)
        {
            // Not the lab's outage: the new primary writable with its instances, traffic on it, the old one fenced.
            var away = regions.Regions[FakeRegions.Away];
            Assert.True(away.Writable);
            Assert.Equal(regions.ActiveInstances, away.Instances);
            Assert.Equal(FakeRegions.Away, regions.Writer?.Name);
            Assert.False(regions.Regions[FakeRegions.Home].Running);
        }
        // The request is audited with its caller: the engine's events carry it as the actor.
        // The engine journals the run's end, then audits it: wait for the audit event rather than race it.
        var audit = await Eventually.WaitForAsync(() => leader.Store.Audit.ListAsync(null, null, default),
            events => events.Any(e => e.Entry.Action == RunbookAuditActions.Run(FailoverRunbook.Kind) && e.Entry.Outcome == "succeeded"),
            TimeSpan.FromSeconds(10), "the run's end in the audit trail");
        Assert.Contains(audit, e => e.Entry.Actor == "api@127.0.0.1" && e.Entry.Action == RunbookAuditActions.Run(FailoverRunbook.Kind)
                                    && e.Entry.Outcome == "succeeded" && e.Entry.Command.StartsWith("POST /api/failover to=eu-central-1"));
    }

    [Fact]
    public async Task POST_failover_answers_202_with_the_run_and_GET_api_runs_follows_it_until_it_finished()
    {
        var gate = new PromoteGate(regions);
        var leader = await StartAsync("controller-a", gate);

        using var answer = await leader.Client.PostAsJsonAsync("/api/failover", new { to = FakeRegions.Away });
        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
        var accepted = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
        var runId = accepted.GetProperty("runId").GetString()!;
        Assert.StartsWith("failover-", runId);
        Assert.Equal($"/api/runs/{runId}", answer.Headers.Location?.OriginalString);
        Assert.Equal("running", accepted.GetProperty("outcome").GetString());
        Assert.Equal(FakeRegions.Home, accepted.GetProperty("from").GetString());
        Assert.Equal(FakeRegions.Away, accepted.GetProperty("to").GetString());

        // While the run is held at the promotion, it reads as running, with its steps so far.
        await gate.Entered.WaitAsync(TimeSpan.FromSeconds(20));
        var running = JsonDocument.Parse(await leader.Client.GetStringAsync(answer.Headers.Location)).RootElement;
        Assert.Equal("running", running.GetProperty("outcome").GetString());
        Assert.False(running.GetProperty("finished").GetBoolean());
        Assert.Contains(running.GetProperty("steps").EnumerateArray(), s => s.GetProperty("name").GetString() == FailoverRunbook.StepNames.PromoteStandby
                                                                           && s.GetProperty("outcome").GetString() == "started");
        gate.Release();

        var run = await leader.FinishedRunAsync(answer.Headers.Location!.OriginalString);
        Assert.Equal(runId, run.GetProperty("id").GetString());
        Assert.Equal("succeeded", run.GetProperty("outcome").GetString());
        Assert.Equal("api@127.0.0.1", run.GetProperty("actor").GetString());
        Assert.True(run.GetProperty("durationSeconds").GetDouble() >= 0);
        var steps = run.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(
            [Names.CheckTarget, Names.RpoGuard, Names.StartCompute, Names.FenceTraffic, Names.FenceCompute, Names.FenceDatabase,
             Names.PromoteStandby, Names.ScaleCompute, Names.AssertSingleWriter, Names.RouteTraffic, Names.VerifyPublicWrite],
            steps.Select(s => s.GetProperty("name").GetString()));
        Assert.All(steps, s =>
        {
            Assert.Contains(s.GetProperty("outcome").GetString(), new[] { "succeeded", "skipped" });
            Assert.True(s.GetProperty("durationSeconds").GetDouble() >= 0);
            Assert.False(string.IsNullOrEmpty(s.GetProperty("detail").GetString()));
        });
        var promote = steps.Single(s => s.GetProperty("name").GetString() == FailoverRunbook.StepNames.PromoteStandby);
        Assert.True(promote.GetProperty("durationSeconds").GetDouble() > 0);

        // The list shows it too; an unknown id is 404; nothing to do once it is the primary.
        var list = JsonDocument.Parse(await leader.Client.GetStringAsync("/api/runs")).RootElement;
        Assert.Equal(runId, list[0].GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await leader.Client.GetAsync("/api/runs/failover-nope")).StatusCode);
        using var again = await leader.Client.PostAsJsonAsync("/api/failover", new { to = FakeRegions.Away });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("nothingToDo", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_follower_answers_409_naming_the_leader_and_starts_nothing()
    {
        var leader = await StartAsync("controller-a");
        await Eventually.WaitUntilAsync(async () => await leader.TryControllerAsync() is { } c && c.GetProperty("holdsLease").GetBoolean(),
            TimeSpan.FromSeconds(10), "controller-a holds the lease");
        var follower = await StartAsync("controller-b");

        foreach (var path in new[] { "/api/failover", "/api/switchover", "/api/failback" })
        {
            using var answer = await follower.Client.PostAsJsonAsync(path, new { to = FakeRegions.Away });
            Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
            var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(leader.Owner, body.GetProperty("leader").GetString());
            Assert.Equal(follower.Owner, body.GetProperty("self").GetString());
            Assert.Contains(leader.Owner, body.GetProperty("error").GetString());
            Assert.StartsWith("local file ", body.GetProperty("lease").GetString());
        }

        Assert.Empty(await follower.Store.Journal.ListAsync(10, default));
        Assert.Empty(await leader.Store.Journal.ListAsync(10, default));
        lock (regions.Gate) Assert.Equal(FakeRegions.Home, regions.Writer?.Name);
        // Each refused request is audited with its caller.
        var audit = await follower.Store.Audit.ListAsync(null, null, default);
        Assert.Contains(audit, e => e.Entry.Actor == "api@127.0.0.1" && e.Entry.Action == RunbookAuditActions.Run(FailoverRunbook.Kind)
                                    && e.Entry.Outcome == "refused" && e.Entry.Details!.Contains(leader.Owner));
    }

    [Fact]
    public async Task Unknown_region_is_400_a_missing_token_401_and_a_held_runbook_lock_409_all_before_any_run()
    {
        var leader = await StartAsync("controller-a");

        using var unknown = await leader.Client.PostAsJsonAsync("/api/failover", new { to = "mars-north-1" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("mars-north-1", await unknown.Content.ReadAsStringAsync());

        using var anonymous = new HttpClient { BaseAddress = leader.Url };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/failover", new { to = FakeRegions.Away })).StatusCode);

        await using (var held = await leader.Store.Lease.TryAcquireAsync("switchover by ops@laptop (pid 42)", default))
        {
            Assert.NotNull(held);
            using var busy = await leader.Client.PostAsJsonAsync("/api/switchover", new { to = FakeRegions.Away });
            Assert.Equal(HttpStatusCode.Conflict, busy.StatusCode);
            Assert.Contains("ops@laptop", await busy.Content.ReadAsStringAsync());
        }

        Assert.Empty(await leader.Store.Journal.ListAsync(10, default));
        lock (regions.Gate) Assert.Equal(FakeRegions.Home, regions.Writer?.Name);
    }

    [Fact]
    public async Task Switchover_and_failback_through_the_API_are_202_runs_on_the_leader_too()
    {
        var leader = await StartAsync("controller-a");

        using var switchover = await leader.Client.PostAsJsonAsync("/api/switchover", new { to = FakeRegions.Away });
        Assert.Equal(HttpStatusCode.Accepted, switchover.StatusCode);
        var run = await leader.FinishedRunAsync(switchover.Headers.Location!.OriginalString);
        Assert.Equal(SwitchoverRunbook.Kind, run.GetProperty("kind").GetString());
        Assert.Equal("succeeded", run.GetProperty("outcome").GetString());
        lock (regions.Gate) Assert.Equal(FakeRegions.Away, regions.Writer?.Name);

        // Failback brings the primary home (eu-west-3), whatever made it leave.
        using var failback = await leader.Client.PostAsJsonAsync("/api/failback", new { });
        Assert.Equal(HttpStatusCode.Accepted, failback.StatusCode);
        var back = await leader.FinishedRunAsync(failback.Headers.Location!.OriginalString);
        Assert.Equal(FailbackRunbook.Kind, back.GetProperty("kind").GetString());
        Assert.Equal("succeeded", back.GetProperty("outcome").GetString());
        lock (regions.Gate) Assert.Equal(FakeRegions.Home, regions.Writer?.Name);
    }
}
