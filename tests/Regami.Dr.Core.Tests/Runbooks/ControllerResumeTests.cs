using Microsoft.Extensions.Logging.Abstractions;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Leases;
using Regami.Dr.Core.Providers;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Core.Tests.Drills;
using Regami.Dr.Core.Topology;
using Regami.Dr.Server.Controller;

namespace Regami.Dr.Core.Tests.Runbooks;

/// <summary>
/// A controller that died between fence and promote left a failover interrupted: whoever leads
/// next finishes it (guards again, done steps skipped), so the pair does not stay without a primary.
/// </summary>
public sealed class ControllerResumeTests
{
    [Fact]
    public async Task The_next_leader_finishes_a_failover_a_crashed_controller_left_between_fence_and_promote()
    {
        var regions = new FakeRegions(TimeProvider.System);
        var journal = new InMemoryJournal();
        var audit = new InMemoryAudit();
        var runbookLease = new InMemoryLease();
        var ports = new DrPorts(regions, regions, regions, regions, regions);
        await regions.RememberAsync(new Core.Ports.LagSample(DateTimeOffset.UtcNow, FakeRegions.Home, FakeRegions.Away, 0, 0), default);

        // The dead controller's run: fenced traffic and compute, then the process vanished (its lock went with it).
        var run = await journal.StartRunAsync(FailoverRunbook.Kind, new Dictionary<string, string> { ["from"] = FakeRegions.Home, ["to"] = FakeRegions.Away, ["force"] = "false" },
            ControllerLoop.Actor, 999_999, DateTimeOffset.UtcNow - TimeSpan.FromSeconds(20), default);
        foreach (var (i, name) in new[] { (1, "check-target"), (2, "rpo-guard"), (3, "fence-traffic") })
            await journal.RecordStepAsync(run.Id, new StepRecord(i, name, StepOutcome.Succeeded, DateTimeOffset.UtcNow - TimeSpan.FromSeconds(19), DateTimeOffset.UtcNow - TimeSpan.FromSeconds(18), 1, "ok"), default);
        await journal.RecordStepAsync(run.Id, new StepRecord(4, "fence-compute", StepOutcome.Started, DateTimeOffset.UtcNow - TimeSpan.FromSeconds(18), null, 0, "scaling"), default);
        lock (regions.Gate)
        {
            regions.Regions[FakeRegions.Home].RoutingControl = false;
            (regions.Regions[FakeRegions.Home].Running, regions.Regions[FakeRegions.Home].Writable) = (false, false);
        }

        var alerts = new RecordingAlerts();
        var deps = new ControllerDependencies(ports, new RunbookCatalog(ports, new FailoverPolicy()), journal, audit, runbookLease, new AlwaysLeader(),
            alerts, null, new EveryoneHealthy([FakeRegions.Home, FakeRegions.Away]), TimeProvider.System);
        var options = new ControllerOptions { Policy = new ControllerPolicy(), Regions = [FakeRegions.Home, FakeRegions.Away], Owner = "controller@next pid 2", ListenUrl = new Uri("http://127.0.0.1:1/"), TokenFile = "/dev/null" };
        var loop = new ControllerLoop(options, deps, new ControllerMetrics(), new ControllerState(), NullLogger.Instance);

        await loop.TickAsync(default);

        var finished = await journal.GetAsync(run.Id, default);
        Assert.Equal(RunOutcome.Succeeded, finished!.Outcome);
        Assert.True(regions.Regions[FakeRegions.Away].Writable);
        Assert.Equal(RegionRole.Primary, (await regions.GetAsync(default)).Roles[FakeRegions.Away]);
        Assert.Contains(audit.Events, e => e.Entry.Action == "runbook.failover" && e.Entry.Outcome == "resumed");
        Assert.Equal(StepOutcome.Succeeded, finished.Steps.Single(s => s.Name == "rpo-guard").Outcome);   // asked again
        Assert.Contains(alerts.Raised, a => a.Contains("resumed by the leader"));
    }

    private sealed class AlwaysLeader : IControllerLease
    {
        private readonly DateTimeOffset since = DateTimeOffset.UtcNow;
        public string Name => "test";
        public Task<bool> TryAcquireOrRenewAsync(string owner, TimeSpan ttl, CancellationToken ct) => Task.FromResult(true);
        public Task ReleaseAsync(string owner, CancellationToken ct) => Task.CompletedTask;
        public Task<LeaseHolder?> CurrentAsync(CancellationToken ct) => Task.FromResult<LeaseHolder?>(new LeaseHolder("controller@next pid 2", since, DateTimeOffset.MaxValue));
    }

    private sealed class EveryoneHealthy(IReadOnlyList<string> regions) : IHealthSource
    {
        public Task<IReadOnlyList<ProbeResult>> ProbeAsync(CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<ProbeResult>>(regions.Select(r => new ProbeResult(r, "test", true, "ok")).ToList());
    }

    private sealed class RecordingAlerts : IAlertSink
    {
        public List<string> Raised { get; } = [];
        public Task RaiseAsync(Severity severity, string key, string title, string body, CancellationToken ct) { lock (Raised) Raised.Add(title); return Task.CompletedTask; }
        public Task ResolveAsync(string key, string note, CancellationToken ct) => Task.CompletedTask;
        public Task TickAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
