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

/// <summary>A controller loop over the in-memory regions, with scripted probes, fake time and an always-held lease.</summary>
internal sealed class ControllerHarness
{
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
    public FakeRegions Regions { get; }
    public InMemoryAudit Audit { get; } = new();
    public ScriptedHealth Probes { get; } = new();
    public ControllerMetrics Metrics { get; } = new();
    public ControllerState State { get; } = new();
    public ControllerOptions Options { get; }
    public ControllerLoop Loop { get; }

    public ControllerHarness(ControllerPolicy? policy = null)
    {
        Regions = new FakeRegions(Time);
        var ports = new DrPorts(Regions, Regions, Regions, Regions, Regions);
        var deps = new ControllerDependencies(ports, new RunbookCatalog(ports, new FailoverPolicy()), new InMemoryJournal(), Audit, new InMemoryLease(), new AlwaysLeader(Time),
            new NoAlerts(), null, Probes, Time);
        Options = new ControllerOptions { Policy = policy ?? new ControllerPolicy(), Regions = [FakeRegions.Home, FakeRegions.Away], Owner = "controller@test", ListenUrl = new Uri("http://127.0.0.1:1/"), TokenFile = "/dev/null" };
        Loop = new ControllerLoop(Options, deps, Metrics, State, NullLogger.Instance);
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

    private sealed class AlwaysLeader(TimeProvider time) : IControllerLease
    {
        private readonly DateTimeOffset since = time.GetUtcNow();
        public string Name => "test";
        public Task<bool> TryAcquireOrRenewAsync(string owner, TimeSpan ttl, CancellationToken ct) => Task.FromResult(true);
        public Task ReleaseAsync(string owner, CancellationToken ct) => Task.CompletedTask;
        public Task<LeaseHolder?> CurrentAsync(CancellationToken ct) => Task.FromResult<LeaseHolder?>(new LeaseHolder("controller@test", since, DateTimeOffset.MaxValue));
    }

    private sealed class NoAlerts : IAlertSink
    {
        public Task RaiseAsync(Severity severity, string key, string title, string body, CancellationToken ct) => Task.CompletedTask;
        public Task ResolveAsync(string key, string note, CancellationToken ct) => Task.CompletedTask;
        public Task TickAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
