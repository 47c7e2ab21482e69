using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Leases;
using Regami.Dr.Core.Polling;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Providers;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Core.Topology;
using Regami.Dr.Probes;
using Regami.Dr.Store;

namespace Regami.Dr.Server.Controller;

/// <summary>What the controller acts and records through.</summary>
public sealed record ControllerDependencies(
    DrPorts Ports,
    RunbookCatalog Catalog,
    IRunbookJournal Journal,
    IAuditLog Audit,
    IRunbookLease RunbookLease,
    IControllerLease Lease,
    IAlertSink Alerts,
    IMetricSink? MetricSink,
    IHealthSource Health,
    TimeProvider Time);

/// <summary>
/// The decision loop: every tick observe (health probes from every vantage point, each region's
/// database, the lag, the journal, the lease) → decide (<see cref="FailoverDecision.Decide"/>, pure)
/// → act (run the failover runbook, raise or resolve alerts) → record (audit when the situation
/// changes, metrics every tick). Only this class performs the controller's effects.
/// </summary>
public sealed class ControllerLoop(ControllerOptions options, ControllerDependencies deps, ControllerMetrics metrics, ControllerState state, ILogger logger)
{
    private readonly ControllerOptions options = options;
    private readonly ControllerDependencies deps = deps;
    public const string Actor = "controller";
    private readonly RegionHealth health = new(options.FailureThreshold, options.Policy.UnhealthyVantageShare, deps.Time);
    private string? lastSituation;
    private string? lastPrimary;
    private bool runbookWasInProgress;
    private DateTimeOffset? lastFailoverAt;
    /// <summary>The region whose compute this controller pre-warmed and has not scaled back (<see cref="PrewarmDecision"/>).</summary>
    private string? prewarmed;
    /// <summary>Since when the primary has passed every probe; null while it is suspect.</summary>
    private long? calmSince;
    private readonly JsonSerializerOptions json = new(JsonSerializerDefaults.Web);

    public async Task RunAsync(CancellationToken ct)
    {
        lastFailoverAt = await LastFailoverAsync(ct);
        logger.LogInformation("controller {Owner} started: interval {Interval}s, threshold {Threshold}, lease {Lease}",
            options.Owner, options.Interval.TotalSeconds, options.FailureThreshold, deps.Lease.Name);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var started = deps.Time.GetTimestamp();
                try
                {
                    await TickAsync(ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
                catch (Exception e)
                {
                    // A failing tick is counted and shown, never silently swallowed; the loop goes on.
                    metrics.TickErrors.Inc();
                    state.Update(s => s with { TickErrors = s.TickErrors + 1, LastError = e.Message });
                    logger.LogError(e, "controller tick failed: {Error}", e.Message);
                }
                var elapsed = deps.Time.GetElapsedTime(started);
                metrics.TickDuration.Set(elapsed.TotalSeconds);
                var wait = options.Interval - elapsed;
                if (wait > TimeSpan.Zero)
                {
                    try { await Task.Delay(wait, deps.Time, ct); }
                    catch (OperationCanceledException) { break; }
                }
            }
        }
        finally
        {
            await deps.Lease.ReleaseAsync(options.Owner, CancellationToken.None);
        }
    }

    public async Task<Decision> TickAsync(CancellationToken ct)
    {
        var observation = await ObserveAsync(ct);
        // A run this controller (or the API it serves) started and that died mid-way is finished
        // first by whoever leads now: a crash between fence and promote must not leave no primary.
        if (observation.HoldsLease && observation.RunbookInProgress is null && await InterruptedRunToFinishAsync(ct) is { } interrupted)
        {
            await ResumeAsync(interrupted, ct);
            observation = await ObserveAsync(ct);
        }
        var decision = FailoverDecision.Decide(observation, options.Policy);
        await RecordAsync(observation, decision, ct);
        // Before the failover (which runs its whole runbook in this tick): the compute it needs is then already starting.
        await PrewarmAsync(observation, ct);
        await ActAsync(decision, ct);
        return decision;
    }

    private async Task<ControllerObservation> ObserveAsync(CancellationToken ct)
    {
        var topology = await deps.Ports.Topology.GetAsync(ct);
        // A primary that a runbook just put in place was verified through the public name; its
        // history from before (a standby with no compute, or fenced) must not count against it.
        // Mid-runbook there may be no primary at all: only a present, different primary resets.
        if (topology.Primary is { } currentPrimary && currentPrimary != lastPrimary)
        {
            health.Reset(currentPrimary);
            lastPrimary = currentPrimary;
        }
        // Probes and database observations run side by side: a hung primary makes both wait for
        // their timeouts, and one after the other they stretched a 1 s tick to ≈ 2.6 s, so three
        // failed checks took ≈ 8 s to count (found by the side-by-side benchmark's hang rounds).
        var probing = deps.Health.ProbeAsync(ct);
        var observing = Task.WhenAll(topology.Regions.Select(r => ObserveWithinTickAsync(r, ct)));
        var probes = await probing;
        foreach (var p in probes) health.Record(p);
        var databases = await observing;

        var primaryDb = databases.FirstOrDefault(d => d.Region == topology.Primary);
        if (primaryDb is not null && topology.Standby is { } standby && LagSample.FromPrimary(primaryDb, standby, deps.Time.GetUtcNow()) is { } measured)
        {
            var sample = await deps.Ports.Lag.RecordAsync(measured, ct);
            metrics.LagBytes.Set(sample.Bytes ?? 0);
            if (sample.Seconds is { } s) metrics.LagSeconds.Set(s);
        }
        var lag = await deps.Ports.Lag.LastAsync(ct);

        // Re-read each tick: a failback or switchover run by a human ends the cooldown.
        lastFailoverAt = await LastFailoverAsync(ct);
        // A run is alive while it holds the runbook lock (a bare pid may be reused); a "running"
        // run whose lock is free died mid-run and is marked Interrupted, for the leader to finish.
        var unfinished = await RunLiveness.SettleAsync(deps.Journal, deps.RunbookLease, await deps.Journal.FindUnfinishedAsync(null, ct), deps.Time.GetUtcNow(), ct);
        var inProgress = unfinished is { Outcome: RunOutcome.Running } ? unfinished.Id
            : await RunLiveness.AnyRunAliveAsync(deps.RunbookLease, ct) ? "(a runbook holds the lock)" : null;
        if (runbookWasInProgress && inProgress is null && topology.Primary is { } verified)
        {
            // A runbook (failback, switchover, failover) just ended: judge the primary afresh.
            health.Reset(verified);
        }
        runbookWasInProgress = inProgress is not null;

        var holds = await deps.Lease.TryAcquireOrRenewAsync(options.Owner, options.LeaseTtl, ct);
        metrics.LeaseHeld.Set(holds ? 1 : 0);
        var holder = holds ? options.Owner : (await deps.Lease.CurrentAsync(ct))?.Owner;

        var regions = topology.Regions.Select(r =>
        {
            var v = health.Verdict(r);
            metrics.RegionHealthy.WithLabels(r).Set(v.Healthy ? 1 : 0);
            var db = databases.First(d => d.Region == r);
            metrics.DatabaseWritable.WithLabels(r).Set(db.Writable ? 1 : 0);
            return new RegionView(r, topology.Roles.GetValueOrDefault(r, RegionRole.Unknown), v.Healthy, v.UnhealthyVantages, v.Vantages, v.Detail, db) { Suspect = v.Suspect };
        }).ToList();

        if (deps.MetricSink is { } sink)
        {
            var samples = new List<(string, double)>();
            // Per region, and per current role: the alarms follow the roles across a failover.
            foreach (var p in probes)
            {
                samples.Add(($"health.{p.Region}", p.Succeeded ? 1 : 0));
                if (p.Region == topology.Primary) samples.Add(("health.primary", p.Succeeded ? 1 : 0));
            }
            foreach (var d in databases)
            {
                samples.Add(($"health.{d.Region}.database", d.Reachable ? 1 : 0));
                if (d.Region == topology.Standby) samples.Add(("health.standby.database", d.Reachable ? 1 : 0));
            }
            if (lag?.Seconds is { } ls && lag.At > deps.Time.GetUtcNow() - options.Interval * 3) samples.Add(("replication.lagSeconds", ls));
            await sink.RecordAsync(samples, deps.Time.GetUtcNow(), ct);
        }
        return new ControllerObservation(deps.Time.GetUtcNow(), regions, lag, inProgress, lastFailoverAt, holds, holder);
    }

    /// <summary>
    /// One database observation, given at most one interval: a hung server would otherwise hold
    /// every tick for the port's own timeout (the lab's is 1.5 s, for runbooks that must not give
    /// up early), and the failed checks that detect it would be counted that much more slowly. No
    /// answer within the interval is observed as running but unreachable (whether it takes writes
    /// is unknown), which is what a hung server is; the next tick asks again.
    /// </summary>
    private async Task<DatabaseObservation> ObserveWithinTickAsync(string region, CancellationToken ct)
    {
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var observing = deps.Ports.Database.ObserveAsync(region, cut.Token);
        try
        {
            // WaitAsync, not only the token: Npgsql does not always give up a connect on
            // cancellation (a SIGSTOPped server: the kernel accepts, nothing answers) and waits for
            // its own connect timeout, which held each tick for 2 s.
            return await observing.WaitAsync(options.Interval, deps.Time, ct);
        }
        catch (TimeoutException) when (!ct.IsCancellationRequested && !observing.IsCompleted)
        {
            await cut.CancelAsync();
            Abandoned.Leave(observing);
            return new DatabaseObservation(region, Reachable: false, Running: true, InRecovery: false, Writable: false, Lsn: null,
                ReplicaLagBytes: null, ReplicaLagSeconds: null, ReplicaStreaming: null,
                Error: FormattableString.Invariant($"no answer within the controller's interval ({options.Interval.TotalSeconds:0.#} s)"));
        }
    }

    /// <summary>Audit every change of situation with all the decision's inputs; metrics every tick.</summary>
    private async Task RecordAsync(ControllerObservation o, Decision d, CancellationToken ct)
    {
        metrics.Ticks.Inc();
        state.Update(s => s with { Observation = o, Decision = d, LastTickAt = o.At, Ticks = s.Ticks + 1, LastFailoverAt = lastFailoverAt });
        if (d.Signature == lastSituation) return;
        lastSituation = d.Signature;
        logger.LogInformation("decision: {Situation}", d.Situation);
        var inputs = JsonSerializer.Serialize(new
        {
            situation = d.Situation,
            action = d.Action.GetType().Name,
            guards = d.Guards,
            regions = o.Regions.Select(r => new { r.Region, role = r.RecordedRole.ToString(), r.Healthy, r.UnhealthyVantages, r.Vantages, r.HealthDetail, db = new { r.Database.Reachable, r.Database.InRecovery, r.Database.Writable, r.Database.Lsn, r.Database.Error } }),
            lastKnownLag = o.LastKnownLag,
            o.RunbookInProgress,
            o.LastFailoverAt,
            o.HoldsLease,
        }, json);
        await deps.Audit.AppendAsync(new AuditEntry(o.At, Actor, "monitor", o.Primary?.Region, ControllerAuditActions.Decision,
            d.Action switch { ControllerAction.Failover => ControllerAuditActions.FailoverOutcome, ControllerAction.Alert a => $"alert-sev{(int)a.Severity}", _ => "info" }, inputs), ct);
    }

    private async Task ActAsync(Decision d, CancellationToken ct)
    {
        foreach (var key in d.Resolves) await deps.Alerts.ResolveAsync(key, "condition cleared", ct);
        switch (d.Action)
        {
            case ControllerAction.Alert a:
                await deps.Alerts.RaiseAsync(a.Severity, a.Key, a.Title, d.Situation, ct);
                break;
            case ControllerAction.Failover f:
                await FailoverAsync(f.From, f.To, d.Situation, "controller: automatic failover", ct);
                break;
        }
        await deps.Alerts.TickAsync(ct);
    }

    /// <summary>Carries out <see cref="PrewarmDecision"/>: starts or scales back the standby's compute, audited and counted.</summary>
    private async Task PrewarmAsync(ControllerObservation o, CancellationToken ct)
    {
        var calm = o.Primary is { Healthy: true, Suspect: false };
        if (!calm) calmSince = null;
        else calmSince ??= deps.Time.GetTimestamp();
        var calmFor = calmSince is { } since ? deps.Time.GetElapsedTime(since) : TimeSpan.Zero;
        var action = PrewarmDecision.Decide(o, options.Policy, prewarmed, calmFor);
        string outcome;
        string detail;
        switch (action)
        {
            case PrewarmAction.Start start:
                detail = $"{start.Reason}: {await deps.Ports.Compute.ScaleAsync(start.Region, deps.Ports.Compute.ActiveInstances, ct)}";
                prewarmed = start.Region;
                outcome = "started";
                break;
            case PrewarmAction.Stop stop:
                detail = $"{stop.Reason}: {await deps.Ports.Compute.ScaleAsync(stop.Region, deps.Ports.Compute.StandbyInstances, ct)}";
                prewarmed = null;
                outcome = "scaled-back";
                break;
            case PrewarmAction.Adopted adopted:
                detail = adopted.Reason;
                prewarmed = null;
                outcome = "adopted";
                break;
            default:
                return;
        }
        metrics.Prewarms.WithLabels(outcome).Inc();
        logger.LogInformation("pre-warm {Outcome}: {Detail}", outcome, detail);
        await deps.Audit.AppendAsync(new AuditEntry(deps.Time.GetUtcNow(), Actor, "monitor", action switch
        {
            PrewarmAction.Start s => s.Region,
            PrewarmAction.Stop s => s.Region,
            PrewarmAction.Adopted a => a.Region,
            _ => null,
        }, ControllerAuditActions.Prewarm, outcome, detail), ct);
    }

    /// <summary>The newest interrupted run started by a controller or through its API, when the resume rule allows it.</summary>
    private async Task<RunRecord?> InterruptedRunToFinishAsync(CancellationToken ct)
    {
        var run = await deps.Journal.FindUnfinishedAsync(null, ct);
        if (run is not { Outcome: RunOutcome.Interrupted }) return null;
        if (run.Actor != Actor && !run.Actor.StartsWith("api@", StringComparison.Ordinal)) return null;   // a human's run is theirs to resume
        var verdict = ResumeRules.Judge(run, deps.Time.GetUtcNow(), options.Runbooks, await deps.Journal.ListAsync(20, ct), named: false);
        if (verdict.Resume) return run;
        if (lastSkippedResume != run.Id)
        {
            lastSkippedResume = run.Id;
            logger.LogWarning("interrupted run {Run} not resumed: {Reason}", run.Id, verdict.Reason);
            await deps.Alerts.RaiseAsync(Severity.Sev1, $"interrupted:{run.Id}", $"run {run.Id} ({run.Kind}) is interrupted and was not resumed automatically", verdict.Reason, ct);
        }
        return null;
    }

    private string? lastSkippedResume;

    /// <summary>Resumes an interrupted run under this controller's lease (guards run again; done steps are skipped).</summary>
    private async Task<RunbookResult> ResumeAsync(RunRecord run, CancellationToken ct)
    {
        logger.LogWarning("resuming interrupted run {Run} ({Kind}) as the leader", run.Id, run.Kind);
        var runbook = WithLeaseToken(deps.Catalog.Rebuild(run.Kind, run.Parameters), await LeaseTokenAsync(ct));
        var engine = new RunbookEngine(deps.Journal, deps.Audit, deps.RunbookLease, deps.Time, ProcessHostFacts.Current, Actor);
        using var guard = new LeaseGuard(this, await LeaseTokenAsync(ct));
        var result = await engine.RunAsync(runbook, $"controller: resume {run.Id}", new RunbookRunOptions { ResumeRunId = run.Id, BeforeStep = guard.CheckAsync }, null, ct);
        await deps.Alerts.RaiseAsync(Severity.Sev1, $"failover-result:{run.Id}", $"interrupted run {run.Id} resumed by the leader: {result.Outcome.ToString().ToLowerInvariant()}",
            result.Detail ?? "every remaining step done", ct);
        return result;
    }

    /// <summary>The lease epoch this controller acts under: its owner and when it took the lease (a new epoch after any loss).</summary>
    private async Task<string?> LeaseTokenAsync(CancellationToken ct) =>
        await deps.Lease.CurrentAsync(ct) is { } h && h.Owner == options.Owner ? $"{h.Owner} since {h.AcquiredAt:O}" : null;

    private static Runbook WithLeaseToken(Runbook runbook, string? token) =>
        token is null ? runbook : runbook with { Parameters = new Dictionary<string, string>(runbook.Parameters) { ["lease"] = token } };

    /// <summary>
    /// Keeps the controller lease while a runbook runs: renewed in the background every third of
    /// its ttl, and re-checked (same owner, same epoch) before every step. Losing it stops the run
    /// at the next step boundary, journaled as interrupted for the next leader to resume.
    /// </summary>
    private sealed class LeaseGuard : IDisposable
    {
        private readonly ControllerOptions options;
        private readonly ControllerDependencies deps;
        private readonly Func<CancellationToken, Task<string?>> currentToken;
        private readonly string? token;
        private readonly CancellationTokenSource stop = new();
        private volatile string? lost;

        public LeaseGuard(ControllerLoop loop, string? token)
        {
            options = loop.options;
            deps = loop.deps;
            currentToken = loop.LeaseTokenAsync;
            this.token = token;
            _ = RenewAsync(stop.Token);
        }

        private async Task RenewAsync(CancellationToken ct)
        {
            var every = options.LeaseTtl / 3;
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(every, deps.Time, ct);
                    if (!await deps.Lease.TryAcquireOrRenewAsync(options.Owner, options.LeaseTtl, ct))
                        lost ??= $"the controller lease could not be renewed (held by {(await deps.Lease.CurrentAsync(ct))?.Owner ?? "nobody"})";
                }
                catch (OperationCanceledException) { return; }
                catch (Exception e) { lost ??= $"renewing the controller lease failed: {e.Message}"; }
            }
        }

        public async Task<string?> CheckAsync(CancellationToken ct)
        {
            if (lost is { } why) return why;
            if (!await deps.Lease.TryAcquireOrRenewAsync(options.Owner, options.LeaseTtl, ct))
                return $"this controller no longer holds the lease (held by {(await deps.Lease.CurrentAsync(ct))?.Owner ?? "nobody"})";
            var now = await currentToken(ct);
            return token is not null && now != token ? $"the lease epoch changed ({token} → {now ?? "none"}): another leader may have acted" : null;
        }

        public void Dispose()
        {
            stop.Cancel();
            stop.Dispose();
        }
    }

    /// <summary>
    /// Whether this controller holds the leader lease now, read afresh rather than from the last
    /// tick: renewed (or taken when free, as the next tick would), so true is the lease's own answer.
    /// Otherwise the holder's owner string, or null when the lease is free or its store cannot say.
    /// The API asks before it starts a runbook: only the leader acts.
    /// </summary>
    public async Task<(bool Holds, string? Holder)> LeadershipAsync(CancellationToken ct)
    {
        if (await deps.Lease.TryAcquireOrRenewAsync(options.Owner, options.LeaseTtl, ct)) return (true, options.Owner);
        try { return (false, (await deps.Lease.CurrentAsync(ct))?.Owner); }
        catch (Exception e) when (e is not OperationCanceledException) { return (false, null); }
    }

    /// <summary>
    /// Runs the failover runbook (fencing first). Also used by the API's POST /api/failover, which
    /// passes <paramref name="onRunStarted"/> to learn the run id once it is journaled.
    /// </summary>
    public async Task<RunbookResult> FailoverAsync(string from, string to, string reason, string command, CancellationToken ct, bool force = false, string actor = Actor,
        Action<string>? onRunStarted = null)
    {
        var leaseToken = await LeaseTokenAsync(ct);
        var runbook = WithLeaseToken(deps.Catalog.Choose(new RunbookAsk(FailoverRunbook.Kind, to, force), await deps.Ports.Topology.GetAsync(ct)).Runbook
            ?? throw new RunbookRequestException($"{to} is already the primary", @unsafe: false), leaseToken);
        var engine = new RunbookEngine(deps.Journal, deps.Audit, deps.RunbookLease, deps.Time, ProcessHostFacts.Current, actor);
        await deps.Alerts.RaiseAsync(Severity.Sev1, $"failover:{from}->{to}", $"failing over from {from} to {to}", reason, ct);
        state.Update(s => s with { RunningFailover = $"{from} → {to}" });
        var sw = Stopwatch.StartNew();
        RunbookResult result;
        try
        {
            using var guard = new LeaseGuard(this, leaseToken);
            result = await engine.RunAsync(runbook, command, new RunbookRunOptions { BeforeStep = guard.CheckAsync, OnRunStarted = onRunStarted }, null, ct);
        }
        catch (RunbookBusyException e)
        {
            logger.LogWarning("failover not started: {Reason}", e.Message);
            state.Update(s => s with { RunningFailover = null });
            throw;
        }
        lastFailoverAt = deps.Time.GetUtcNow();
        metrics.Failovers.WithLabels(result.Succeeded ? "succeeded" : "failed").Inc();
        metrics.LastFailoverDuration.Set(sw.Elapsed.TotalSeconds);
        foreach (var step in result.Steps)
            metrics.RunbookStepDuration.WithLabels(runbook.Kind, step.Name).Set(step.Duration?.TotalSeconds ?? 0);
        state.Update(s => s with { RunningFailover = null, LastFailoverAt = lastFailoverAt, LastFailoverRun = result.RunId });
        var outcome = result.Succeeded
            ? $"failover from {from} to {to} succeeded in {sw.Elapsed.TotalSeconds:0.0} s (run {result.RunId})"
            : $"failover from {from} to {to} {result.Outcome.ToString().ToLowerInvariant()} at step {result.FailedStep}: {result.Detail} (run {result.RunId})";
        logger.LogWarning("{Outcome}", outcome);
        await deps.Alerts.RaiseAsync(Severity.Sev1, $"failover-result:{result.RunId}", outcome, reason, ct);
        return result;
    }

    private async Task<DateTimeOffset?> LastFailoverAsync(CancellationToken ct)
    {
        // The cooldown runs from the last failover, unless a human has since completed a failback
        // or switchover: that says the pair is whole again.
        var runs = await deps.Journal.ListAsync(50, ct);
        var last = runs.FirstOrDefault(r => r.Outcome == RunOutcome.Succeeded && r.Kind is FailoverRunbook.Kind or FailbackRunbook.Kind or SwitchoverRunbook.Kind);
        return last?.Kind == FailoverRunbook.Kind ? last.FinishedAt : null;
    }
}
