using System.Runtime.InteropServices;
using Regami.Dr.Aws.Cli;
using Regami.Dr.Aws.Ports;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Aws.Drills;

/// <summary>
/// The control-plane drill on AWS. <b>region-outage</b>: the primary's routing control goes off
/// (its Route 53 health check inverted: Route 53 now sees it unhealthy, as in an outage), the
/// drill detects it as the controller does (Route 53's checkers, the failure threshold at the
/// controller's interval), runs the failover runbook for real, measures RTO from the fault to the
/// runbook's last step and takes as RPO the data at risk the guard counts (ReplicaLag plus the sample's age); then fails back.
/// <b>planned-switchover</b>: the switchover runbook and back. Each drill's RTO and RPO go to
/// CloudWatch (namespace Regami/DR). No data path is exercised: the report's recovery sentence
/// says so, and what needs a real account is in docs/aws.md.
/// </summary>
public sealed class AwsControlPlaneDrill(
    DrConfiguration config, DrPorts ports, Route53TrafficPort traffic, Core.Providers.IHealthSource health, AwsContext aws,
    IRunbookJournal journal, IAuditLog audit, IRunbookLease lease, IHostFacts host, IDrillReportSink reports, FailoverPolicy policy) : IControlPlaneDrill
{
    public const string Actor = "drill";

    public IReadOnlyList<string> Scenarios => ["region-outage", "planned-switchover"];

    private TimeProvider Time => aws.Time;

    public async Task<DrillReport> RunAsync(DrillRequest request, Action<string> say, CancellationToken ct)
    {
        if (!Scenarios.Contains(request.Scenario.Name))
            throw new DrillRefusedException($"on AWS the drill runs the control-plane scenarios {string.Join(" and ", Scenarios)}; '{request.Scenario.Name}' needs the lab's data path");
        var started = Time.GetUtcNow();
        var timeline = new List<DrillTimelineEvent>();
        void Mark(string e) { timeline.Add(new(Time.GetUtcNow(), e)); say(e); }

        var topology = await ports.Topology.GetAsync(ct);
        var primary = topology.Primary ?? throw new DrillRefusedException("no region is recorded as primary; see `regami-dr status`");
        var standby = topology.Others(primary).First();
        var before = await Task.WhenAll(ports.Database.ObserveAsync(primary, ct), ports.Database.ObserveAsync(standby, ct));
        if (!before[0].Writable) throw new DrillRefusedException($"{primary} is recorded as primary but its database does not accept writes ({before[0].Error}); a drill starts from a healthy system");
        if (!before[1].IsReplica) throw new DrillRefusedException($"{standby} is not a read replica ({before[1].Error ?? "promoted"}); run `regami-dr failback` first");
        Mark($"control-plane drill '{request.Scenario.Name}' on {config.Environment}: {primary} primary, {standby} replica");

        var engine = new RunbookEngine(journal, audit, lease, Time, host, Actor);
        var catalog = new RunbookCatalog(ports, policy);
        var phases = new List<DrillPhase>();
        DateTimeOffset faultAt;
        RunbookResult recovery;
        double rpo;
        string recoverySentence;
        if (request.Scenario.Name == "region-outage")
        {
            faultAt = Time.GetUtcNow();
            await traffic.SetRoutingControlAsync(primary, false, ct);
            Mark($"fault: routing control off for {primary} (its Route 53 health check inverted: Route 53 sees the region unhealthy)");
            var detectedAt = await DetectAsync(primary, ct);
            phases.Add(Phase("detection", faultAt, detectedAt));
            Mark($"detected: {primary} failed {config.HealthCheck.FailureThreshold} consecutive health checks");
            var lag = await ports.Lag.LastAsync(ct);
            var readAt = Time.GetUtcNow();
            // The RPO guard's bound: the lag measured plus the sample's age when it was read.
            rpo = lag is null ? double.NaN : RpoGuardDecision.DataAtRiskSeconds(lag, readAt) ?? double.NaN;
            recovery = await RunAsync(engine, catalog, new RunbookAsk(FailoverRunbook.Kind, standby), say, ct);
            recoverySentence = $"control plane only: RTO from the simulated outage to the failover runbook's last step; RPO is the data at risk the RPO guard counts, the standby's ReplicaLag plus the sample's age ({Describe(lag, readAt)}) — no application writes were measured";
        }
        else
        {
            faultAt = Time.GetUtcNow();
            recovery = await RunAsync(engine, catalog, new RunbookAsk(SwitchoverRunbook.Kind, standby), say, ct);
            rpo = 0;
            recoverySentence = "control plane only: RTO is the switchover runbook's duration; RPO is 0 because the standby reported ReplicaLag 0 after writes stopped (wait-replayed) — no application writes were measured";
        }
        phases.AddRange(recovery.Steps.Where(s => s.FinishedAt is not null).Select(s => Phase(s.Name, s.StartedAt, s.FinishedAt!.Value)));
        var recoveredAt = recovery.Succeeded ? recovery.Steps.LastOrDefault()?.FinishedAt ?? Time.GetUtcNow() : (DateTimeOffset?)null;
        double? rto = recoveredAt is { } r ? Math.Round((r - faultAt).TotalSeconds, 3) : null;
        Mark(recovery.Succeeded ? $"recovered: {recovery.Kind} run {recovery.RunId} succeeded; RTO {rto:0.0} s" : $"{recovery.Kind} run {recovery.RunId} did not finish: {recovery.FailedStep}: {recovery.Detail}");

        var checks = new List<DrillCheck> { new("runbook succeeded", recovery.Succeeded, $"{recovery.Kind} run {recovery.RunId}: {recovery.Outcome}{(recovery.Detail is null ? "" : $" — {recovery.Detail}")}") };
        checks.AddRange(await CheckServingAsync(standby, primary, ct));

        if (rto is { } rtoSeconds && !double.IsNaN(rpo))
        {
            try
            {
                var put = await aws.ActAsync(aws.Commands.PutDrillMetrics(standby, request.Scenario.Name, rtoSeconds, rpo, Time.GetUtcNow()), ct);
                Mark($"RTO and RPO put to CloudWatch (Regami/DR DrillRto, DrillRpo; {put})");
            }
            catch (AwsServiceException e) { Mark($"could not put the drill's metrics to CloudWatch: {e.Message}"); }
        }

        if (recovery.Succeeded && !request.KeepEnvironment)
        {
            var back = request.Scenario.Name == "region-outage"
                ? await RunAsync(engine, catalog, new RunbookAsk(FailbackRunbook.Kind, primary), say, ct)
                : await RunAsync(engine, catalog, new RunbookAsk(SwitchoverRunbook.Kind, primary), say, ct);
            Mark(back.Succeeded ? $"roles restored: {back.Kind} run {back.RunId} succeeded" : $"{back.Kind} run {back.RunId} failed at {back.FailedStep}: {back.Detail}");
            var after = await ports.Topology.GetAsync(ct);
            checks.Add(new("roles restored", back.Succeeded && after.Primary == primary, $"{primary} is recorded as {after.Roles.GetValueOrDefault(primary).ToString().ToLowerInvariant()}, {standby} as {after.Roles.GetValueOrDefault(standby).ToString().ToLowerInvariant()}"));
        }
        var verification = await audit.VerifyAsync(ct);
        checks.Add(new("audit trail verifies", verification.Valid, verification.Sentence));

        var finished = Time.GetUtcNow();
        var passed = checks.All(c => c.Passed) && rto is { } x && x <= request.Targets.RtoSeconds && !double.IsNaN(rpo) && rpo <= request.Targets.RpoSeconds;
        var measured = new DrillMeasured(rto, double.IsNaN(rpo) ? -1 : Math.Round(rpo, 3), 0, 0, 0, 0, 0, phases, 0, 0, 0, [], [],
            faultAt, recoveredAt, recovery.Succeeded ? 1 : 0, recoverySentence, null);
        var report = new DrillReport(request.Scenario.Name, passed, request.Targets, measured, checks, timeline.OrderBy(e => e.At).ToList(), null,
            "async (RDS cross-region read replica)", started, finished, Math.Round((finished - started).TotalSeconds, 3),
            new DrillEnvironment(typeof(AwsControlPlaneDrill).Assembly.GetName().Version?.ToString() ?? "0", null, RuntimeInformation.FrameworkDescription,
                host.MachineName, RuntimeInformation.OSDescription, Environment.ProcessorCount),
            new DrillWriteChart(DrillWriteChart.DefaultBucketMilliseconds, faultAt, [], [], []));
        return await reports.PublishAsync(report, request.ReportDirectory, ct);
    }

    /// <summary>As the controller decides: the primary's checkers all failing, threshold times in a row, at the controller's interval.</summary>
    private async Task<DateTimeOffset> DetectAsync(string primary, CancellationToken ct)
    {
        var consecutive = 0;
        var ok = await Core.Polling.Poll.UntilAsync(async t =>
        {
            var results = (await health.ProbeAsync(t)).Where(r => r.Region == primary).ToList();
            consecutive = results.Count > 0 && results.All(r => !r.Succeeded) ? consecutive + 1 : 0;
            return consecutive >= config.HealthCheck.FailureThreshold;
        }, TimeSpan.FromMinutes(15), config.Controller.Interval, Time, ct);
        if (!ok) throw new DrillRefusedException($"{primary} was not seen unhealthy within 15 min of its routing control going off; its routing control is still off — turn it on with `regami-dr switchover` or by hand");
        return Time.GetUtcNow();
    }

    private async Task<RunbookResult> RunAsync(RunbookEngine engine, RunbookCatalog catalog, RunbookAsk ask, Action<string> say, CancellationToken ct)
    {
        var choice = await catalog.ChooseAsync(ask, ct);
        if (choice.Runbook is null) throw new DrillRefusedException($"{ask.Kind}: {choice.NothingToDo}");
        say($"running {choice.Runbook.Kind} ({string.Join(", ", choice.Runbook.Parameters.Select(kv => $"{kv.Key}={kv.Value}"))})");
        var progress = new SyncProgress(p =>
        {
            if (p.Outcome is StepOutcome.Succeeded or StepOutcome.Failed or StepOutcome.Skipped)
                say($"  [{p.Index}/{p.Count}] {p.Name} {p.Outcome.ToString().ToLowerInvariant()} ({p.Duration?.TotalSeconds:0.0} s): {p.Detail}");
        });
        return await engine.RunAsync(choice.Runbook, $"drill {ask.Kind}", new RunbookRunOptions(), progress, ct);
    }

    private async Task<IEnumerable<DrillCheck>> CheckServingAsync(string newPrimary, string old, CancellationToken ct)
    {
        var dbs = await Task.WhenAll(ports.Database.ObserveAsync(newPrimary, ct), ports.Database.ObserveAsync(old, ct));
        var active = await traffic.ResolveActiveRegionAsync(ct);
        var compute = await ports.Compute.ObserveAsync(newPrimary, ct);
        return
        [
            new("single writable primary", dbs[0].Writable && !dbs[1].Writable, $"{newPrimary} writable: {dbs[0].Writable}; {old} writable: {dbs[1].Writable} ({dbs[1].Error ?? "no error"})"),
            new("traffic follows the primary", active == newPrimary, $"Route 53's failover rule answers {active ?? "nothing"}"),
            new("compute runs in the new primary region", compute.Running >= ports.Compute.ActiveInstances, $"ECS in {newPrimary}: {compute.Running}/{compute.Desired} running"),
        ];
    }

    private static DrillPhase Phase(string name, DateTimeOffset from, DateTimeOffset to) => new(name, Math.Round((to - from).TotalSeconds, 3), from, to);

    private static string Describe(LagSample? s, DateTimeOffset readAt) => s is null ? "no sample"
        : $"{s.Seconds:0.#} s measured + {Math.Max(0, (readAt - s.At).TotalSeconds):0.#} s since, sampled at {s.At:HH:mm:ss} UTC";
}
