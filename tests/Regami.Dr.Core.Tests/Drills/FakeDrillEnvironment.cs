using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Status;
using Regami.Dr.Core.Tests.Runbooks;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Tests.Drills;

/// <summary>One region of <see cref="FakeRegions"/>: its database, its rows and its compute.</summary>
internal sealed class FakeRegion(string name, RegionRole role)
{
    public string Name { get; } = name;
    public RegionRole Role { get; set; } = role;
    public bool Running { get; set; } = true;
    public bool InRecovery { get; set; } = role != RegionRole.Primary;
    public bool Writable { get; set; } = role == RegionRole.Primary;
    public bool RoutingControl { get; set; } = true;
    public int Instances { get; set; }
    public HashSet<long> Rows { get; } = [];

    /// <summary>Its server (or its control plane) does not answer: observed as running but unreachable, and a fence does nothing.</summary>
    public bool Unanswering { get; set; }

    /// <summary>
    /// Observing it waits until this task completes (a hung server holding its caller for the
    /// observation's timeout, deaf to cancellation like a driver waiting for its own connect
    /// timeout), then answers as <see cref="Unanswering"/> says; null answers at once.
    /// </summary>
    public Task? ObservationHeldUntil { get; set; }

    /// <summary>At most this many of its instances pass their health check (the others still boot); null: all.</summary>
    public int? HealthyAtMost { get; set; }
}

/// <summary>
/// Two regions in memory behind Core's ports — database, compute, traffic, topology, lag memory —
/// plus what a drill reads of them (status, rows). Writes replicate at once to a running standby
/// unless replication was cut; nothing here decides what a drill or runbook does.
/// </summary>
internal sealed class FakeRegions : IDatabasePort, IComputePort, ITrafficPort, ITopologyPort, ILagMemory, IStatusReader, IRecordsInspector
{
    public const string Home = "eu-west-3";
    public const string Away = "eu-central-1";

    private readonly TimeProvider time;
    private LagSample? lastLag;

    public FakeRegions(TimeProvider time)
    {
        this.time = time;
        Regions[Home] = new FakeRegion(Home, RegionRole.Primary) { Instances = ActiveInstances };
        Regions[Away] = new FakeRegion(Away, RegionRole.Standby) { Instances = StandbyInstances };
    }

    public object Gate { get; } = new();
    public Dictionary<string, FakeRegion> Regions { get; } = [];
    public bool ReplicationCut { get; set; }

    /// <summary>The writable, running region the public name would send a write to, if any.</summary>
    public FakeRegion? Writer => Regions.Values.FirstOrDefault(r => r.RoutingControl && r.Running && r.Writable);

    private FakeRegion? StreamingStandbyOf(FakeRegion primary) =>
        ReplicationCut ? null : Regions.Values.FirstOrDefault(r => r != primary && r.Running && r.InRecovery);

    /// <summary>One write through the public name, as the fake workload and the runbook's verify step send it.</summary>
    public WriteAttempt Write(long seq)
    {
        var now = time.GetUtcNow();
        lock (Gate)
        {
            if (Writer is not { } writer) return new WriteAttempt(seq, now, WriteOutcome.Refused, now, 503, null, null, "127.0.0.1", "no writable region");
            writer.Rows.Add(seq);
            StreamingStandbyOf(writer)?.Rows.Add(seq);
            return new WriteAttempt(seq, now, WriteOutcome.Acknowledged, now, 201, writer.Name, now, "127.0.0.1");
        }
    }

    // --- IDatabasePort

    public async Task<DatabaseObservation> ObserveAsync(string region, CancellationToken ct)
    {
        // Not cancellable, on purpose: Npgsql may wait for its own connect timeout on a hung server.
        if (Regions[region].ObservationHeldUntil is { } held) await held;
        return Observe(region);
    }

    private DatabaseObservation Observe(string region)
    {
        lock (Gate)
        {
            var r = Regions[region];
            if (r.Unanswering)
                return new DatabaseObservation(region, false, true, false, false, null, null, null, null, "no answer within 1.5 s");
            var streaming = r.Writable && StreamingStandbyOf(r) is not null;
            return new DatabaseObservation(region, r.Running, r.Running, r.InRecovery, r.Running && r.Writable, "0/3000000",
                r.Writable ? (streaming ? 0 : null) : null, r.Writable && streaming ? 0 : null, r.Writable ? streaming : null, r.Running ? null : "not running");
        }
    }

    public Task<string> PromoteAsync(string region, CancellationToken ct) => Act(region, r => { r.InRecovery = false; r.Writable = true; }, "promoted");
    public Task<string> FenceAsync(string region, CancellationToken ct) =>
        Regions[region].Unanswering ? Task.FromResult($"NOT fenced: {region} does not answer") : Act(region, r => { r.Running = false; r.Writable = false; }, "stopped");
    public Task<string> StopWritesAsync(string region, CancellationToken ct) => Act(region, r => r.Writable = false, "0/3000000");
    public Task WaitUntilReplayedAsync(string standbyRegion, string lsn, TimeSpan timeout, CancellationToken ct) => Task.CompletedTask;
    public Task<string> LastCheckpointAsync(string region, CancellationToken ct) => Task.FromResult("0/3000000");
    public Task<string> StartAsync(string region, CancellationToken ct) => Act(region, r => r.Running = true, "started");
    public Task WaitUntilCaughtUpAsync(string primaryRegion, string standbyRegion, long maxLagBytes, TimeSpan timeout, CancellationToken ct) => Task.CompletedTask;
    public Task SetSynchronousStandbyAsync(string primaryRegion, string? standbyRegion, CancellationToken ct) => Task.CompletedTask;

    public Task<RebuildOutcome> RebuildAsReplicaAsync(string region, string primaryRegion, ReclonePolicy reclone, CancellationToken ct)
    {
        lock (Gate)
        {
            var r = Regions[region];
            r.Rows.Clear();
            r.Rows.UnionWith(Regions[primaryRegion].Rows);
            (r.InRecovery, r.Writable) = (true, false);
            ReplicationCut = false;
            return Task.FromResult(new RebuildOutcome(RebuildPath.Rewind, TimeSpan.FromSeconds(1), $"rewound {region} to {primaryRegion}"));
        }
    }

    private Task<string> Act(string region, Action<FakeRegion> change, string said)
    {
        lock (Gate) change(Regions[region]);
        return Task.FromResult($"{region} {said}");
    }

    // --- IComputePort

    public int ActiveInstances => 2;
    public int StandbyInstances => 1;
    public int ReadyInstances { get; set; } = 2;

    Task<ComputeObservation> IComputePort.ObserveAsync(string region, CancellationToken ct)
    {
        lock (Gate)
        {
            var n = Regions[region].Instances;
            var healthy = Math.Min(n, Regions[region].HealthyAtMost ?? n);
            return Task.FromResult(new ComputeObservation(n, n, healthy, healthy > 0));
        }
    }

    public Task<string> ScaleAsync(string region, int desired, CancellationToken ct) => Act(region, r => r.Instances = desired, $"scaled to {desired}");

    // --- ITrafficPort

    public Task<IReadOnlyDictionary<string, bool>> GetRoutingControlsAsync(CancellationToken ct)
    {
        lock (Gate) return Task.FromResult<IReadOnlyDictionary<string, bool>>(Regions.Values.ToDictionary(r => r.Name, r => r.RoutingControl));
    }

    public Task SetRoutingControlAsync(string region, bool on, CancellationToken ct) => Act(region, r => r.RoutingControl = on, "routed");

    public Task<string> MarkHealthyAsync(string region, string evidence, CancellationToken ct) => Task.FromResult($"{region} marked healthy");

    public Task<string?> ResolveActiveRegionAsync(CancellationToken ct)
    {
        lock (Gate) return Task.FromResult(Writer?.Name);
    }

    public Task<PublicWriteResult> WriteThroughPublicNameAsync(string payload, CancellationToken ct)
    {
        var write = Write(-time.GetUtcNow().ToUnixTimeMilliseconds());
        return Task.FromResult(new PublicWriteResult(write.IsAcknowledged, write.Address, write.Region, write.StatusCode, $"wrote {payload}"));
    }

    public TimeSpan WorstCaseSwitchTime => TimeSpan.FromSeconds(30);

    // --- ITopologyPort and ILagMemory

    public Task<TopologySnapshot> GetAsync(CancellationToken ct)
    {
        lock (Gate)
            return Task.FromResult(new TopologySnapshot(Regions.Keys.ToList(), Regions.Values.ToDictionary(r => r.Name, r => r.Role), ReplicationMode.Async, Home));
    }

    public Task SetRoleAsync(string region, RegionRole role, CancellationToken ct) => Act(region, r => r.Role = role, "recorded");
    public Task RecordAsync(IReadOnlyDictionary<string, RegionRole> roles, ReplicationMode mode, CancellationToken ct) => Task.WhenAll(roles.Select(kv => SetRoleAsync(kv.Key, kv.Value, ct)));

    public Task RememberAsync(LagSample sample, CancellationToken ct)
    {
        lastLag = sample;
        return Task.CompletedTask;
    }

    public Task<LagSample?> LastAsync(CancellationToken ct) => Task.FromResult(lastLag);

    // --- IStatusReader

    public Task<SystemStatus> ReadAsync(CancellationToken ct)
    {
        lock (Gate)
        {
            var regions = Regions.Values.Select(r => new RegionStatus(r.Name, r.Role, r.Running && r.Instances > 0,
                new DatabaseStatus(r.Running ? "running" : "stopped", r.Running && r.Writable, "127.0.0.1", 5432, "regami", 0, 0, r.InRecovery),
                new ComputeStatus(r.Instances, r.Instances))).ToList();
            var primary = Regions.Values.FirstOrDefault(r => r.Running && r.Writable);
            var standby = primary is null ? null : StreamingStandbyOf(primary);
            return Task.FromResult(new SystemStatus("fake", primary?.Name, regions,
                new TrafficStatus("api.regami.test", Writer?.Name, 1),
                new ReplicationStatus(ReplicationMode.Async, standby is not null, 0, 0, ReplicaRegion: standby?.Name ?? Regions.Values.FirstOrDefault(r => r != primary)?.Name)));
        }
    }

    // --- IRecordsInspector

    public Task<long> MaxSeqAsync(string region, CancellationToken ct)
    {
        lock (Gate) return Task.FromResult(Regions[region].Rows.DefaultIfEmpty(0).Max());
    }

    public Task<IReadOnlySet<long>> PresentSeqsAsync(string region, SeqRange range, CancellationToken ct)
    {
        lock (Gate) return Task.FromResult<IReadOnlySet<long>>(Regions[region].Rows.Where(s => s >= range.First && s <= range.Last).ToHashSet());
    }

    public Task<IReadOnlySet<long>> ReadFencedPrimaryAsync(string region, SeqRange range, CancellationToken ct)
    {
        lock (Gate)
            if (Regions[region].Running) throw new InvalidOperationException($"{region} should be fenced (stopped) after the failover, but it runs");
        return PresentSeqsAsync(region, range, ct);
    }

    public Task<RecordsDigest> DigestAsync(string region, CancellationToken ct)
    {
        lock (Gate)
        {
            var rows = Regions[region].Rows.Order().ToList();
            return Task.FromResult(new RecordsDigest(rows.Count, rows.Count == 0 ? "" : string.Join(",", rows).GetHashCode().ToString("x8")));
        }
    }

    public Task<string?> ServerVersionAsync(string preferredRegion, CancellationToken ct) => Task.FromResult<string?>("16.4");

    public Task<string> CutReplicationAsync(string standbyRegion, CancellationToken ct)
    {
        lock (Gate) ReplicationCut = true;
        return Task.FromResult($"{standbyRegion} receives no WAL");
    }
}

/// <summary>
/// The drill's own ports over <see cref="FakeRegions"/>. A fault starts a fake controller that, like the
/// real one, audits its decisions and runs Core's failover runbook a few (fake) seconds later.
/// </summary>
internal sealed class FakeDrillEnvironment : IFaultInjector, IEnvironmentLifecycle, IPublicNameSmokeTests, IDrillReportSink, IDrillHostFacts, IDrillWorkloadFactory
{
    public static readonly TimeSpan DetectionDelay = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan DecisionDelay = TimeSpan.FromSeconds(2);

    private readonly FakeTimeProvider time;

    public FakeDrillEnvironment(FakeTimeProvider time)
    {
        this.time = time;
        Regions = new FakeRegions(time);
        Ports = new DrillPorts(new DrPorts(Regions, Regions, Regions, Regions, Regions), Journal, Audit, Lease,
            this, this, Regions, this, Regions, this, this, this);
    }

    public FakeRegions Regions { get; }
    public InMemoryJournal Journal { get; } = new();
    public InMemoryAudit Audit { get; } = new();
    public InMemoryLease Lease { get; } = new();
    public DrillPorts Ports { get; }
    public List<FaultKind> Faults { get; } = [];
    public Task? Controller { get; private set; }
    public int Downs { get; private set; }
    public DrillReport? Published { get; private set; }

    // --- IFaultInjector (and the controller that reacts to it)

    public Task<FaultResult> InjectAsync(FaultKind kind, string? region, CancellationToken ct)
    {
        region ??= FakeRegions.Home;
        Faults.Add(kind);
        if (kind == FaultKind.Heal) return Task.FromResult(new FaultResult(kind, region, time.GetUtcNow(), ["nothing hung"]));
        // The controller's last lag sample, taken while the primary still answered (with replication
        // cut, the primary reports its standby not streaming).
        if (LagSample.FromPrimary(Regions.ObserveAsync(region, ct).Result, FakeRegions.Away, time.GetUtcNow()) is { } sample)
            Regions.RememberAsync(sample, ct);
        lock (Regions.Gate) (Regions.Regions[region].Running, Regions.Regions[region].Writable) = (false, false);
        Controller = FailOverAsync(region, FakeRegions.Away);
        return Task.FromResult(new FaultResult(kind, region, time.GetUtcNow(), [$"killed {region}"]));
    }

    /// <summary>The policy the fake controller decides and fails over with (the configuration's, in the real one).</summary>
    public FailoverPolicy Policy { get; set; } = new();

    /// <summary>A controller whose RPO guard lets everything through (the bug a lossy drill must catch).</summary>
    public bool ControllerIgnoresRpoGuard { get; set; }

    private async Task FailOverAsync(string from, string to, bool atOnce = false)
    {
        if (!atOnce) await Task.Delay(DetectionDelay, time);
        await Decide(AuditOutcome.Info, $"{from} failed its checks");
        if (!atOnce) await Task.Delay(DecisionDelay, time);
        // Like FailoverDecision: the RPO guard on the last known lag, audited with the guards' verdicts.
        var verdict = RpoGuardDecision.Evaluate(await Regions.LastAsync(default), time.GetUtcNow(), Policy.RpoGuard);
        if (!verdict.Pass && !ControllerIgnoresRpoGuard)
        {
            var guards = new[] { GuardResult.Refuse(FailoverDecision.RpoGuardName, verdict.Reason) };
            await Audit.AppendAsync(new AuditEntry(time.GetUtcNow(), "controller", "monitor", from, ControllerAuditActions.Decision, "alert-sev1",
                JsonSerializer.Serialize(new { situation = $"{from} down; not failing over: {verdict.Reason}", action = "Alert", guards },
                    new JsonSerializerOptions(JsonSerializerDefaults.Web))), default);
            return;
        }
        await Decide(ControllerAuditActions.FailoverOutcome, $"failing over to {to}");
        var engine = new RunbookEngine(Journal, Audit, Lease, time, this, "controller");
        await engine.RunAsync(FailoverRunbook.Build(from, to, ControllerIgnoresRpoGuard, Ports.Recovery, Policy), "controller: automatic failover",
            new RunbookRunOptions(), null, CancellationToken.None);
    }

    private Task Decide(string outcome, string situation) =>
        Audit.AppendAsync(new AuditEntry(time.GetUtcNow(), "controller", "monitor", FakeRegions.Home, ControllerAuditActions.Decision, outcome, situation), default);

    // --- IEnvironmentLifecycle: always up here.

    public Task<EnvironmentState> ProbeAsync(CancellationToken ct) => Task.FromResult(new EnvironmentState(true, false, true));
    public Task EnsureUpAsync(ControllerRequirement controller, Action<string>? report, CancellationToken ct) => Task.CompletedTask;

    public Task DownAsync(CancellationToken ct)
    {
        Downs++;
        return Task.CompletedTask;
    }

    // --- IPublicNameSmokeTests, IDrillReportSink, IDrillHostFacts

    public async Task<IReadOnlyList<DrillCheck>> RunAsync(CancellationToken ct)
    {
        var write = await Regions.WriteThroughPublicNameAsync("smoke", ct);
        return [new DrillCheck(DrillCheckNames.SmokeWrite, write.Succeeded, $"answered by {write.Region}")];
    }

    public Task<DrillReport> PublishAsync(DrillReport report, string? directory, CancellationToken ct)
    {
        Published = report with { Reports = new DrillReportPaths("mem:report.json", "mem:report.md", "mem:report.html") };
        return Task.FromResult(Published);
    }

    public DrillEnvironment Describe(string? postgresVersion) => new("0.0.0-test", postgresVersion, ".NET", "fake-host", "fake-os", 2);
    public int ProcessId => 4242;
    public string MachineName => "fake-host";
    public string UserName => "tester";

    // --- IDrillWorkloadFactory

    public string PublicName => "api.regami.test";

    public IDrillWorkload Create(double ratePerSecond, long firstSeq)
    {
        // A controller that judges the primary down on its own while the workload starts (a loaded machine).
        if (FailsOverBeforeTheFault) Controller = FailOverAsync(FakeRegions.Home, FakeRegions.Away, atOnce: true);
        return new FakeWorkload(Regions, time, ratePerSecond, firstSeq);
    }

    /// <summary>The controller fails over as soon as the workload starts, before any fault.</summary>
    public bool FailsOverBeforeTheFault { get; set; }
}

/// <summary>Writes one seq every 1/rate (fake) seconds through <see cref="FakeRegions.Write"/>.</summary>
internal sealed class FakeWorkload(FakeRegions regions, TimeProvider time, double rate, long firstSeq) : IDrillWorkload
{
    private readonly List<WriteAttempt> attempts = [];

    public WorkloadProgress Progress
    {
        get
        {
            lock (attempts)
                return new WorkloadProgress(attempts.Count, attempts.Count(a => a.IsAcknowledged), attempts.Count(a => a.Outcome == WriteOutcome.Refused),
                    attempts.Count(a => a.Outcome == WriteOutcome.Unknown), 0, firstSeq + attempts.Count - 1, 0, "127.0.0.1", attempts.LastOrDefault()?.Region, null);
        }
    }

    public IReadOnlyList<WriteAttempt> Attempts()
    {
        lock (attempts) return attempts.ToList();
    }

    public async Task RunAsync(CancellationToken stop)
    {
        var seq = firstSeq;
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(1 / rate), time, stop);
                var attempt = regions.Write(seq++);
                lock (attempts) attempts.Add(attempt);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped by the drill: every write already has its outcome.
        }
    }
}
