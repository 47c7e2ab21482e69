using System.Text.Json;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Core.Status;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Drills;

/// <summary>What the user asked of a drill.</summary>
/// <param name="Targets">The scenario's targets with the command line's overrides (<see cref="DrillScenario.TargetsWith"/>, from the configured plan).</param>
/// <param name="Rate">Workload writes per second through the public name.</param>
/// <param name="ReportDirectory">Where the reports go; null: the report sink's default.</param>
/// <param name="KeepEnvironment">Leave an environment the drill brought up running afterwards.</param>
/// <param name="Actor">Who runs the drill, for the audit trail (<c>user@host</c>).</param>
public sealed record DrillRequest(DrillScenario Scenario, DrillTargets Targets, double Rate, string? ReportDirectory, bool KeepEnvironment, string Actor)
{
    /// <summary>Accidental deletion: promote the point-in-time restore instead of copying the deleted rows back (loses the writes after the delete).</summary>
    public bool PromoteRestored { get; init; }

    /// <summary>
    /// The RPO guard's limits and the runbooks' waits for the drill's own runs (switchover, forced
    /// failover, failback): the configuration's (<c>DrConfiguration.FailoverPolicy</c>), never built-in defaults.
    /// </summary>
    public required FailoverPolicy Policy { get; init; }
}

/// <summary>
/// The quarterly DR checklist as one run, over <see cref="DrillPorts"/> only: check health, start a
/// workload through the public name, inject the fault, let the controller fail over (or run the
/// switchover), measure RTO and RPO from real acknowledgements, smoke-test, check data against the
/// databases themselves, fail back, check again, report. Says each milestone through <c>say</c>.
/// </summary>
public sealed partial class DrillConductor(DrillPorts ports, TimeProvider time, Action<string> say, DrillTimings? timings = null)
{
    /// <summary>The actor of the drill's own runbook runs (the switchover, the switch back, the failback).</summary>
    public const string RunbookActor = "drill";

    /// <summary>The audit action of a finished drill.</summary>
    public const string AuditAction = "drill";

    private readonly DrillTimings timings = timings ?? new DrillTimings();
    private readonly List<DrillTimelineEvent> timeline = [];
    private readonly List<DrillCheck> checks = [];
    private readonly long startedTimestamp = time.GetTimestamp();

    private string Elapsed => $"[{time.GetElapsedTime(startedTimestamp).TotalSeconds,6:0.0}s]";

    private void Mark(string what)
    {
        timeline.Add(new DrillTimelineEvent(time.GetUtcNow(), what));
        say($"{Elapsed} {what}");
    }

    private void Check(string name, bool passed, string detail)
    {
        checks.Add(new DrillCheck(name, passed, detail));
        say($"          check {(passed ? "ok  " : "FAIL")} {name}: {detail}");
    }

    private RunbookEngine Engine() => new(ports.Journal, ports.Audit, ports.Lease, time, ports.Host, RunbookActor);

    public async Task<DrillReport> RunAsync(DrillRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scenario = request.Scenario;
        var startedAt = time.GetUtcNow();
        Mark($"drill {scenario.Name} started: {scenario.Description}");

        var broughtUp = await EnsureEnvironmentAsync(scenario, ct);
        try
        {
            if (scenario.Recovery == RecoveryPath.Restore) return await RunRestoreAsync(request, startedAt, ct);

            var before = await PreflightAsync(ct);
            var home = before.PrimaryRegion!;
            var standby = before.Replication.ReplicaRegion;
            Mark($"preflight: {home} primary and healthy, {standby} streaming ({before.Replication.LagBytes ?? 0} bytes behind), DNS answers {before.Traffic.ActiveRegion}");
            using var run = await StartWorkloadAsync(request, home, ct);
            var workload = run.Workload;

            // The fault and the controller's failover, or the planned switchover.
            var (faultAt, recoveryRun) = scenario.Fault is { } fault
                ? await BreakAndWaitForControllerAsync(fault, home, standby, request, workload, startedAt, ct)
                : await SwitchOverAsync(home, standby!, request, ct);
            var auditSinceFault = await ports.Audit.ListAsync(faultAt, null, ct);
            var marks = RecoveryMarks.From(recoveryRun, auditSinceFault, faultAt);
            Mark($"recovered by run {recoveryRun.Id} ({recoveryRun.Kind}, {recoveryRun.Outcome.ToString().ToLowerInvariant()})");

            // Keep writing until acknowledgements flow again through the new region, then stop.
            var (attempts, seqs) = await StopWorkloadAfterRecoveryAsync(run, request, ct);

            // Smoke tests and data after the recovery.
            var present = await CheckAfterRecoveryAsync(scenario, before, attempts, seqs, home, ct);

            // Fail back, and check the regions agree.
            await FailBackAsync(scenario, home, request.Policy, ct);
            Mark($"back on {home}");
            await CheckConsistencyAsync(scenario, ct);
            Mark("regions compared; writing the report");
            return await ReportAsync(request, startedAt, marks, attempts, present, home,
                before.Replication.Mode == ReplicationMode.Sync ? "sync (the promoted standby ran async until failback rebuilt a standby)" : "async", null, ct,
                before.Traffic.TtlSeconds);
        }
        finally
        {
            if (broughtUp && !request.KeepEnvironment)
            {
                say("          … the drill brought the lab up, so it takes it down (--keep-lab keeps it)");
                await ports.Environment.DownAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>Brings the environment up if needed (with its controller for the unplanned scenarios); true when the drill brought it up.</summary>
    private async Task<bool> EnsureEnvironmentAsync(DrillScenario scenario, CancellationToken ct)
    {
        var state = await ports.Environment.ProbeAsync(ct);
        // Only a failover scenario needs the controller: the others recover by the drill's own runbooks.
        var needsController = scenario.Recovery == RecoveryPath.ControllerFailover;
        var controller = needsController ? ControllerRequirement.Required : ControllerRequirement.AsConfigured;
        void Report(string message) => say($"          … {message}");
        if (!state.IsUp)
        {
            Mark("bringing the lab up");
            await ports.Environment.EnsureUpAsync(controller, Report, ct);
            return state.WasStopped;
        }
        if (needsController && !state.ControllerRunning)
        {
            Mark("starting the controller (an unplanned scenario needs it)");
            await ports.Environment.EnsureUpAsync(controller, Report, ct);
        }
        return false;
    }

    private async Task<(DateTimeOffset FaultAt, RunRecord Run)> BreakAndWaitForControllerAsync(
        DrillFault fault, string home, string? standby, DrillRequest request, IDrillWorkload workload, DateTimeOffset drillStartedAt, CancellationToken ct)
    {
        if (fault.CutReplicationFirst)
        {
            await ports.Records.CutReplicationAsync(standby!, ct);
            Mark($"replication cut: {standby} no longer receives WAL from {home}");
            await WaitForAcknowledgedAsync(workload, Math.Max(timings.MinimumWrites, request.Rate), timings.WorkloadAcknowledged,
                "writes acknowledged by the primary alone", ct);
        }
        await EnsureNothingMovedBeforeTheFaultAsync(home, drillStartedAt, ct);
        var injected = await ports.Faults.InjectAsync(fault.Kind, home, ct);
        Mark($"fault injected: {FaultKinds.Name(fault.Kind)} on {home} ({string.Join("; ", injected.Actions)})");
        var run = fault.CutReplicationFirst
            ? await ForceAfterRpoRefusalAsync(injected.At, home, standby!, request, workload, ct)
            : await WaitForControllerFailoverAsync(injected.At, request.Targets, workload, ct);
        return (injected.At, run);
    }

    /// <summary>
    /// A controller that failed over before the fault (a lab too slow for its health checks: on a
    /// loaded machine 1 s probes time out) leaves nothing for the drill to measure, and the fault would
    /// hit an already fenced region while the drill waited for a failover that never comes. Stop here
    /// instead, saying what happened and where the lab stands.
    /// </summary>
    private async Task EnsureNothingMovedBeforeTheFaultAsync(string home, DateTimeOffset drillStartedAt, CancellationToken ct)
    {
        var topology = await ports.Recovery.Topology.GetAsync(ct);
        var early = (await ports.Journal.ListAsync(timings.RecentRuns, ct))
            .FirstOrDefault(r => r.Kind == FailoverRunbook.Kind && r.StartedAt >= drillStartedAt);
        if (topology.Primary == home && early is null) return;
        var what = early is null
            ? $"the primary is {topology.Primary ?? "none"}, no longer {home}"
            : $"run {early.Id} ({early.Actor}, {early.Outcome.ToString().ToLowerInvariant()}) started a failover at {early.StartedAt:HH:mm:ss}";
        Mark($"before the fault: {what}");
        throw new InvalidOperationException(
            $"before the fault was injected, {what}: the controller judged {home} down on its own (on a loaded machine its 1 s health checks time out), so there is nothing left to measure. " +
            $"No fault was injected; `regami-dr status` shows where the lab stands, `regami-dr failback --yes` brings the primary home (`regami-dr runbook list` shows the run). Run the drill again on a quieter machine, or with longer healthCheck timings.");
    }

    /// <summary>
    /// With replication cut, the data at risk is unknown, so the controller's RPO guard must refuse
    /// the automatic failover (a Sev1 "failover refused by RPO guard"); the drill then does what that
    /// alert asks of the on-call human, <c>regami-dr failover --force</c>, with the configured policy.
    /// A controller that fails over by itself instead fails the check <see cref="DrillCheckNames.RpoGuardRefused"/>.
    /// </summary>
    private async Task<RunRecord> ForceAfterRpoRefusalAsync(DateTimeOffset faultAt, string home, string standby, DrillRequest request,
        IDrillWorkload workload, CancellationToken ct)
    {
        string? refusal = null;
        RunRecord? controllerRun = null;
        await WaitUntilAsync(async token =>
        {
            refusal = RpoRefusal(await ports.Audit.ListAsync(faultAt, null, token));
            controllerRun = (await ports.Journal.ListAsync(timings.RecentRuns, token))
                .FirstOrDefault(r => r.Kind == FailoverRunbook.Kind && r.StartedAt >= faultAt && r.Outcome != RunOutcome.Running);
            return refusal is not null || controllerRun is not null;
        }, timings.ControllerFailoverWithin(request.Targets), "the controller's RPO guard to refuse the automatic failover", workload, ct);

        if (refusal is null)
        {
            var run = controllerRun!;
            Check(DrillCheckNames.RpoGuardRefused, false,
                $"the controller ran failover {run.Id} ({run.Outcome.ToString().ToLowerInvariant()}) with replication cut: its RPO guard let an unknown loss through");
            if (run.Outcome != RunOutcome.Succeeded)
                throw new InvalidOperationException($"the controller's failover {run.Id} {run.Outcome.ToString().ToLowerInvariant()}: {run.Detail}");
            return run;
        }
        Check(DrillCheckNames.RpoGuardRefused, true, refusal);
        Mark($"the controller refused the automatic failover (RPO guard); the drill forces it, as the Sev1 alert asks of the on-call human (regami-dr failover --force)");
        var result = await Engine().RunAsync(FailoverRunbook.Build(home, standby, force: true, ports.Recovery, request.Policy),
            $"drill {request.Scenario.Name}: failover forced past the RPO guard", new RunbookRunOptions(), null, ct);
        if (!result.Succeeded) throw new InvalidOperationException($"the forced failover failed at {result.FailedStep}: {result.Detail}");
        return await ports.Journal.GetAsync(result.RunId!, ct)
            ?? throw new InvalidOperationException($"the forced failover's run {result.RunId} is not in the journal");
    }

    /// <summary>The reason of the first controller decision among <paramref name="events"/> whose RPO guard refused; null if none did.</summary>
    internal static string? RpoRefusal(IEnumerable<AuditEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Entry.Action != ControllerAuditActions.Decision || e.Entry.Details is not { } details) continue;
            try
            {
                using var doc = JsonDocument.Parse(details);
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("guards", out var guards) || guards.ValueKind != JsonValueKind.Array) continue;
                foreach (var g in guards.EnumerateArray())
                    if (g.ValueKind == JsonValueKind.Object
                        && g.TryGetProperty("guard", out var name) && name.ValueKind == JsonValueKind.String && name.GetString() == FailoverDecision.RpoGuardName
                        && g.TryGetProperty("passed", out var passed) && passed.ValueKind == JsonValueKind.False)
                        return g.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : "refused";
            }
            catch (JsonException) { } // a decision recorded as a sentence, not as its inputs
        }
        return null;
    }

    private async Task<(DateTimeOffset FaultAt, RunRecord Run)> SwitchOverAsync(string home, string standby, DrillRequest request, CancellationToken ct)
    {
        var requestedAt = time.GetUtcNow();
        Mark($"planned switchover from {home} to {standby}");
        var result = await Engine().RunAsync(SwitchoverRunbook.Build(home, standby, ports.Recovery, request.Policy),
            $"drill {request.Scenario.Name}", new RunbookRunOptions(), null, ct);
        if (!result.Succeeded) throw new InvalidOperationException($"the switchover failed at {result.FailedStep}: {result.Detail}");
        var run = await ports.Journal.GetAsync(result.RunId!, ct)
            ?? throw new InvalidOperationException($"the switchover's run {result.RunId} is not in the journal");
        // The RTO clock of a planned switchover starts when writes stop, not when it was asked for.
        return (RecoveryMarks.WritesStopped(run) ?? requestedAt, run);
    }

    private async Task<RunRecord> WaitForControllerFailoverAsync(DateTimeOffset faultAt, DrillTargets targets, IDrillWorkload workload, CancellationToken ct)
    {
        RunRecord? run = null;
        await WaitUntilAsync(async token =>
        {
            run = (await ports.Journal.ListAsync(timings.RecentRuns, token))
                .FirstOrDefault(r => r.Kind == FailoverRunbook.Kind && r.StartedAt >= faultAt && r.Outcome != RunOutcome.Running);
            return run is not null;
        }, timings.ControllerFailoverWithin(targets), "the controller to detect the fault and fail over", workload, ct);
        if (run!.Outcome != RunOutcome.Succeeded)
            throw new InvalidOperationException($"the controller's failover {run.Id} {run.Outcome.ToString().ToLowerInvariant()}: {run.Detail}");
        return run;
    }

    /// <summary>Smoke tests, the one-writer and traffic checks, and the workload's rows on the new primary (returned).</summary>
    private async Task<IReadOnlySet<long>> CheckAfterRecoveryAsync(DrillScenario scenario, SystemStatus before, IReadOnlyList<WriteAttempt> attempts,
        SeqRange seqs, string home, CancellationToken ct)
    {
        var newPrimary = (await ServiceChecksAsync(scenario, ct)).PrimaryRegion;

        var present = await ports.Records.PresentSeqsAsync(newPrimary!, seqs, ct);
        var writes = WriteSetChecker.Classify(attempts, present);
        if (scenario.Runs(DrillCheckKind.AcknowledgedWritesPresent))
            Check(DrillCheckNames.AcknowledgedWritesPresent, writes.Lost.Count == 0 || before.Replication.Mode == ReplicationMode.Async,
                writes.Lost.Count == 0 ? $"all {writes.Acknowledged} acknowledged writes are there"
                    : $"{writes.Lost.Count} acknowledged writes lost (async replication: counted against the RPO target)");

        // The measurement checked against ground truth, both ways: the rows the old primary holds and the new one does not.
        if (scenario.Runs(DrillCheckKind.LostWritesOnOldPrimary) || scenario.Runs(DrillCheckKind.OldPrimaryRowsExplained))
        {
            var oldRows = await ports.Records.ReadFencedPrimaryAsync(home, seqs, ct);
            Mark($"read the fenced old primary {home} in isolation: {oldRows.Count} workload rows");
            var truth = OldPrimaryReconciliation.From(writes, oldRows);
            if (scenario.Runs(DrillCheckKind.LostWritesOnOldPrimary))
                Check(DrillCheckNames.LostWritesOnOldPrimary, truth.LostNotOnOldPrimary.Count == 0,
                    $"measured {writes.Lost.Count} lost; the old primary (read in isolation) holds {truth.LostConfirmed.Count} acknowledged rows the new primary lacks" +
                    (truth.LostConfirmed.Count > 0 ? $" (seqs {truth.LostConfirmed[0]}–{truth.LostConfirmed[^1]})" : ""));
            if (scenario.Runs(DrillCheckKind.OldPrimaryRowsExplained))
                Check(DrillCheckNames.OldPrimaryRowsExplained, truth.Balances, Explain(truth));
        }
        return present;
    }

    private static string Explain(OldPrimaryReconciliation truth)
    {
        var sentence = $"{truth.OnlyOnOldPrimary.Count} rows only on the old primary = {truth.LostConfirmed.Count} lost + {truth.CommittedUnacknowledged.Count} committed but unacknowledged";
        if (truth.LostNotOnOldPrimary.Count > 0)
            sentence += $"; {truth.LostNotOnOldPrimary.Count} writes measured lost are not on the old primary either: seqs {DrillReport.FormatSeqs(truth.LostNotOnOldPrimary)}";
        if (truth.Unexplained.Count > 0)
            sentence += $"; {truth.Unexplained.Count} rows were neither lost nor failed writes of this workload: seqs {DrillReport.FormatSeqs(truth.Unexplained)}";
        return sentence;
    }

    private async Task FailBackAsync(DrillScenario scenario, string home, FailoverPolicy policy, CancellationToken ct)
    {
        var topology = await ports.Recovery.Topology.GetAsync(ct);
        if (scenario.Planned)
        {
            Mark($"switching back to {home}");
            var back = await Engine().RunAsync(SwitchoverRunbook.Build(topology.Primary!, home, ports.Recovery, policy), "drill: switch back", new RunbookRunOptions(), null, ct);
            Check(DrillCheckNames.SwitchBack, back.Succeeded, back.Succeeded ? $"run {back.RunId} in {back.Duration.TotalSeconds:0.0} s" : $"{back.FailedStep}: {back.Detail}");
            return;
        }
        Mark("healing the fault (restarting killed load balancers and instances; the fenced database stays down)");
        await ports.Faults.InjectAsync(FaultKind.Heal, null, ct);
        await ports.Environment.EnsureUpAsync(ControllerRequirement.AsConfigured, null, ct);
        Mark($"failing back to {home}");
        var result = await Engine().RunAsync(FailbackRunbook.Build(home, topology.Primary!, ports.Recovery, policy), "drill: failback", new RunbookRunOptions(), null, ct);
        var rebuild = result.Steps.FirstOrDefault(s => s.Name == FailbackRunbook.StepNames.RebuildAsStandby);
        Check(DrillCheckNames.Failback, result.Succeeded,
            result.Succeeded ? $"run {result.RunId} in {result.Duration.TotalSeconds:0.0} s; {rebuild?.Detail?.Split(';')[0]}" : $"{result.FailedStep}: {result.Detail}");
        if (!result.Succeeded) throw new InvalidOperationException($"failback failed at {result.FailedStep}: {result.Detail}; fix it and run `regami-dr failback --yes`");
    }

    private async Task CheckConsistencyAsync(DrillScenario scenario, CancellationToken ct)
    {
        var topology = await ports.Recovery.Topology.GetAsync(ct);
        if (scenario.Runs(DrillCheckKind.RegionsConsistent))
        {
            // The standby may still be replaying the last writes: look again until the regions agree or the time is up.
            var regions = topology.Regions;
            var since = time.GetTimestamp();
            RecordsDigest[] digests = [];
            while (true)
            {
                digests = await Task.WhenAll(regions.Select(r => ports.Records.DigestAsync(r, ct)));
                if (digests.Distinct().Count() == 1 || time.GetElapsedTime(since) >= timings.Consistency) break;
                await Task.Delay(timings.ConsistencyPoll, time, ct);
            }
            Check(DrillCheckNames.RegionsConsistent, digests.Distinct().Count() == 1,
                string.Join(", ", regions.Zip(digests, (r, d) => $"{r} {d.Rows} rows md5 {d.ShortChecksum}")));
        }
        if (scenario.Runs(DrillCheckKind.RolesRestored))
        {
            var status = await ports.Status.ReadAsync(ct);
            Check(DrillCheckNames.RolesRestored, status.PrimaryRegion == topology.HomeRegion && status.Replication.Streaming,
                $"primary {status.PrimaryRegion}, replication {(status.Replication.Streaming ? "streaming" : "not streaming")}");
        }
    }

    /// <summary>Never start on a broken system: the status, or <see cref="DrillRefusedException"/> naming what is wrong.</summary>
    private async Task<SystemStatus> PreflightAsync(CancellationToken ct)
    {
        var before = await ports.Status.ReadAsync(ct);
        var problems = DrillPreflight.Problems(before);
        if (problems.Count > 0) throw new DrillRefusedException("the lab is not healthy, so the drill did not start: " + string.Join("; ", problems));
        return before;
    }

    /// <summary>The workload of a drill while it runs: stopped by <see cref="StopWorkloadAfterRecoveryAsync"/>, or with the drill.</summary>
    private sealed class WorkloadRun(IDrillWorkload workload, long firstSeq, CancellationTokenSource stop, Task task) : IDisposable
    {
        public IDrillWorkload Workload => workload;
        public long FirstSeq => firstSeq;

        public async Task StopAsync()
        {
            await stop.CancelAsync();
            await task;
        }

        public void Dispose() => stop.Dispose();
    }

    /// <summary>The workload, through the public name, on seqs no earlier drill used; returns once it is acknowledged.</summary>
    private async Task<WorkloadRun> StartWorkloadAsync(DrillRequest request, string home, CancellationToken ct)
    {
        var firstSeq = await ports.Records.MaxSeqAsync(home, ct) + 1;
        var workload = ports.Workloads.Create(request.Rate, firstSeq);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = new WorkloadRun(workload, firstSeq, stop, workload.RunAsync(stop.Token));
        Mark($"workload started: {request.Rate:0} writes/s through {ports.Workloads.PublicName}, seqs from {firstSeq}");
        await WaitForAcknowledgedAsync(workload, Math.Max(timings.MinimumWrites, request.Rate), timings.WorkloadAcknowledged, "the workload to be acknowledged", ct);
        return run;
    }

    /// <summary>Keeps writing until acknowledgements flow again after the recovery, then stops: every attempt, and the seqs they span.</summary>
    private async Task<(IReadOnlyList<WriteAttempt> Attempts, SeqRange Seqs)> StopWorkloadAfterRecoveryAsync(WorkloadRun run, DrillRequest request, CancellationToken ct)
    {
        await WaitForAcknowledgedAsync(run.Workload, Math.Max(timings.MinimumWrites, request.Rate / 2), timings.WritesAfterRecovery,
            "writes to be acknowledged after recovery", ct);
        await run.StopAsync();
        var attempts = run.Workload.Attempts();
        var done = run.Workload.Progress;
        Mark($"workload stopped: {done.Acknowledged} acknowledged, {done.Refused} refused, {done.Unknown} unknown");
        return (attempts, new SeqRange(run.FirstSeq, attempts.Count == 0 ? run.FirstSeq : attempts.Max(a => a.Seq)));
    }

    /// <summary>Smoke tests through the public name, exactly one writer, traffic on the primary; returns the status they were judged on.</summary>
    private async Task<SystemStatus> ServiceChecksAsync(DrillScenario scenario, CancellationToken ct)
    {
        var after = await ports.Status.ReadAsync(ct);
        if (scenario.Runs(DrillCheckKind.SmokeTests))
            foreach (var smoke in await ports.Smoke.RunAsync(ct)) Check(smoke.Name, smoke.Passed, smoke.Detail ?? "");
        if (scenario.Runs(DrillCheckKind.SingleWritablePrimary))
            Check(DrillCheckNames.SingleWritablePrimary, after.Regions.Count(r => r.Database.Writable) == 1,
                $"writable: {string.Join(", ", after.Regions.Where(r => r.Database.Writable).Select(r => r.Name))}");
        if (scenario.Runs(DrillCheckKind.TrafficFollowsPrimary))
            Check(DrillCheckNames.TrafficFollowsPrimary, after.Traffic.ActiveRegion == after.PrimaryRegion, $"{after.Traffic.Name} → {after.Traffic.ActiveRegion}, primary {after.PrimaryRegion}");
        return after;
    }

    /// <summary>The audit check, then the report measured from everything observed, published and audited.</summary>
    private async Task<DrillReport> ReportAsync(DrillRequest request, DateTimeOffset startedAt, DrillMarks marks, IReadOnlyList<WriteAttempt> attempts,
        IReadOnlySet<long> present, string home, string replicationMode, DrillRestore? restore, CancellationToken ct, double? dnsTtlSeconds = null)
    {
        if (request.Scenario.Runs(DrillCheckKind.AuditVerifies))
        {
            var audit = await ports.Audit.VerifyAsync(ct);
            Check(DrillCheckNames.AuditVerifies, audit.Valid, audit.Sentence);
        }
        var report = DrillReport.From(new DrillObservations
        {
            Scenario = request.Scenario.Name,
            Targets = request.Targets,
            Marks = marks,
            Attempts = attempts,
            PresentSeqs = present,
            Checks = checks,
            Timeline = timeline,
            StartedAt = startedAt,
            FinishedAt = time.GetUtcNow(),
            ReplicationMode = replicationMode,
            Environment = ports.Host.Describe(await ports.Records.ServerVersionAsync(home, ct)),
            Restore = restore,
            DnsTtlSeconds = dnsTtlSeconds,
        });
        return await PublishAsync(report, request, ct);
    }

    private async Task<DrillReport> PublishAsync(DrillReport report, DrillRequest request, CancellationToken ct)
    {
        report = await ports.Reports.PublishAsync(report, request.ReportDirectory, ct);
        await ports.Audit.AppendAsync(new AuditEntry(time.GetUtcNow(), request.Actor, $"drill --scenario {report.Scenario}", null, AuditAction,
            report.Passed ? AuditOutcome.Succeeded : AuditOutcome.Failed,
            $"RTO {report.Measured.RtoSeconds?.ToString("0.00") ?? "none"} s, RPO {report.Measured.RpoSeconds:0.00} s, report {report.Reports?.Json}"), ct);
        return report;
    }

    private Task WaitForAcknowledgedAsync(IDrillWorkload workload, double more, TimeSpan within, string what, CancellationToken ct)
    {
        var target = workload.Progress.Acknowledged + more;
        return WaitUntilAsync(_ => Task.FromResult(workload.Progress.Acknowledged >= target), within, what, workload, ct);
    }

    /// <summary>Polls <paramref name="done"/> until it holds or <paramref name="within"/> passes, saying where the workload stands every second.</summary>
    private async Task WaitUntilAsync(Func<CancellationToken, Task<bool>> done, TimeSpan within, string what, IDrillWorkload workload, CancellationToken ct)
    {
        var since = time.GetTimestamp();
        var lastSaid = TimeSpan.Zero;
        while (!await done(ct))
        {
            var waited = time.GetElapsedTime(since);
            if (waited > within) throw new TimeoutException($"{what}: not within {within.TotalSeconds:0} s");
            if (waited - lastSaid >= timings.ProgressInterval)
            {
                var p = workload.Progress;
                say($"{Elapsed}   waiting for {what}: {p.Acknowledged} acknowledged, {p.Refused} refused, {p.Unknown} unknown, last answer from {p.LastRegion ?? p.LastAddress ?? "-"}");
                lastSaid = waited;
            }
            await Task.Delay(timings.Poll, time, ct);
        }
    }
}
