using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Leases;
using Regami.Dr.Core.Providers;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Tests.Drills;
using Regami.Dr.Core.Tests.Runbooks;
using Regami.Dr.Server.Controller;

namespace Regami.Dr.Core.Tests.Controller;

/// <summary>The controller loop carries out the pre-warm: the standby's compute at the first failed check, back once the primary is calm.</summary>
public sealed class ControllerPrewarmTests
{
    [Fact]
    public async Task A_single_failed_check_starts_the_standbys_compute_and_a_calm_primary_scales_it_back_after_the_hold()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var regions = new FakeRegions(time);
        var audit = new InMemoryAudit();
        var ports = new DrPorts(regions, regions, regions, regions, regions);
        var probes = new ScriptedHealth();
        var deps = new ControllerDependencies(ports, new RunbookCatalog(ports, new FailoverPolicy()), new InMemoryJournal(), audit, new InMemoryLease(), new AlwaysLeader(time),
            new NoAlerts(), null, probes, time);
        var policy = new ControllerPolicy { PrewarmOnSuspect = true, PrewarmHold = TimeSpan.FromSeconds(30) };
        var options = new ControllerOptions { Policy = policy, Regions = [FakeRegions.Home, FakeRegions.Away], Owner = "controller@test", ListenUrl = new Uri("http://127.0.0.1:1/"), TokenFile = "/dev/null" };
        var metrics = new ControllerMetrics();
        var loop = new ControllerLoop(options, deps, metrics, new ControllerState(), NullLogger.Instance);

        await loop.TickAsync(default);
        Assert.Equal(regions.StandbyInstances, regions.Regions[FakeRegions.Away].Instances);

        probes.HomeOk = false; // one failure: below the threshold, no failover, but suspect
        var d = await loop.TickAsync(default);
        Assert.False(d.IsFailover);
        Assert.Equal(regions.ActiveInstances, regions.Regions[FakeRegions.Away].Instances);
        Assert.Contains(audit.Events, e => e.Entry.Action == ControllerAuditActions.Prewarm && e.Entry.Outcome == "started" && e.Entry.Region == FakeRegions.Away);
        Assert.Equal(1, metrics.Prewarms.WithLabels("started").Value);

        // Calm again: the compute stays through the hold, then goes back to standby size.
        probes.HomeOk = true;
        await loop.TickAsync(default);
        time.Advance(TimeSpan.FromSeconds(29));
        await loop.TickAsync(default);
        Assert.Equal(regions.ActiveInstances, regions.Regions[FakeRegions.Away].Instances);
        time.Advance(TimeSpan.FromSeconds(2));
        await loop.TickAsync(default);
        Assert.Equal(regions.StandbyInstances, regions.Regions[FakeRegions.Away].Instances);
        Assert.Contains(audit.Events, e => e.Entry.Action == ControllerAuditActions.Prewarm && e.Entry.Outcome == "scaled-back");
    }

    internal sealed class ScriptedHealth : IHealthSource
    {
        public bool HomeOk { get; set; } = true;
        public Task<IReadOnlyList<ProbeResult>> ProbeAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<ProbeResult>>(
        [
            new ProbeResult(FakeRegions.Home, "test", HomeOk, HomeOk ? "HTTP 200" : "HTTP 503"),
            new ProbeResult(FakeRegions.Away, "test", true, "HTTP 200"),
        ]);
    }

    internal sealed class AlwaysLeader(TimeProvider time) : IControllerLease
    {
        private readonly DateTimeOffset since = time.GetUtcNow();
        public string Name => "test";
        public Task<bool> TryAcquireOrRenewAsync(string owner, TimeSpan ttl, CancellationToken ct) => Task.FromResult(true);
        public Task ReleaseAsync(string owner, CancellationToken ct) => Task.CompletedTask;
        public Task<LeaseHolder?> CurrentAsync(CancellationToken ct) => Task.FromResult<LeaseHolder?>(new LeaseHolder("controller@test", since, DateTimeOffset.MaxValue));
    }

    internal sealed class NoAlerts : IAlertSink
    {
        public Task RaiseAsync(Severity severity, string key, string title, string body, CancellationToken ct) => Task.CompletedTask;
        public Task ResolveAsync(string key, string note, CancellationToken ct) => Task.CompletedTask;
        public Task TickAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
