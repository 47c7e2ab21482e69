using System.Diagnostics;
using Regami.Dr.Core.Campaigns;
using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Core.Topology;
using Regami.Dr.Lab.Drills;
using Regami.Dr.Lab.Processes;
using Regami.Dr.Lab.State;
using Regami.Dr.Lab.Workload;

namespace Regami.Dr.Lab.Campaign;

/// <summary>
/// The seeded fault campaign on the lab: for each planned sequence, an independent writer and the
/// single-writer sampler run while the faults are injected and the controller reacts; then the
/// sequence is healed (heal, lab up, finish or abandon unfinished runs, fail back home) and the
/// invariants are checked. Effects live here; the plan and the checks are pure (Core/Campaigns).
/// </summary>
public sealed class FaultCampaign(LabEnvironment env, ICampaignOperator op, CampaignOptions options, Action<string>? progress = null) : IDisposable
{
    private readonly LabSupervisor _supervisor = new(env);
    private readonly LabFaults _faults = new(env);
    private readonly LabRecordsInspector _records = new(env);
    private readonly NetworkPartitions _partitions = new(env);
    private string Home => env.Options.PrimaryRegion.Name;
    private readonly CampaignControllers _controllers = new(env, options.SecondControllerUrl, progress);

    public void Dispose() => _controllers.Dispose();

    public IReadOnlyList<CampaignSequence> Plan() => CampaignPlanner.Plan(options.Seed, options.Sequences, options.Shape)
        .Where(s => options.Only is null || s.Number == options.Only).ToList();

    public async Task<CampaignReport> RunAsync(CancellationToken ct)
    {
        var started = env.Time.GetUtcNow();
        var sw = Stopwatch.StartNew();
        var mode = (await env.Topology.GetAsync(ct)).ReplicationMode;
        var baseSeq = (await _records.MaxSeqAsync(await CurrentPrimaryAsync(ct), ct) / 1_000_000_000 + 1) * 1_000_000_000;
        var results = new List<SequenceResult>();
        progress?.Invoke($"network partitions: {_partitions.Unavailable() ?? "available (nftables, cgroup2)"}");
        await _partitions.HealAsync(ct); // leftovers of an interrupted campaign
        string? stoppedEarly = null;
        var timeLimited = false;
        try
        {
            (stoppedEarly, timeLimited) = await RunSequencesAsync(baseSeq, mode, results, sw, ct);
        }
        finally
        {
            await _partitions.HealAsync(CancellationToken.None);
            await _controllers.StopSecondAsync();
        }
        return new CampaignReport(options.Seed, mode, results, started, sw.Elapsed) { StoppedEarly = stoppedEarly, TimeLimited = timeLimited };
    }

    private async Task<(string? StoppedEarly, bool TimeLimited)> RunSequencesAsync(long baseSeq, ReplicationMode mode, List<SequenceResult> results, Stopwatch sw, CancellationToken ct)
    {
        string? stoppedEarly = null;
        foreach (var sequence in Plan())
        {
            ct.ThrowIfCancellationRequested();
            if (options.TimeLimit is { } limit && sw.Elapsed >= limit)
            {
                progress?.Invoke($"time limit of {limit.TotalMinutes:0} min reached after {results.Count} sequence(s); the rest of the plan is not run");
                return (null, true);
            }
            progress?.Invoke($"sequence {sequence.Number}: {sequence}");
            SequenceResult result;
            try
            {
                result = await RunSequenceAsync(sequence, baseSeq + sequence.Number * 1_000_000L, mode, ct);
            }
            catch (BaselineException e)
            {
                stoppedEarly = $"before sequence {sequence.Number}: {e.Message}";
                progress?.Invoke($"stopping: {stoppedEarly}");
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // A step of the sequence or of its recovery failed outright: that is a finding, not the end of the campaign.
                result = new SequenceResult(sequence.Number, sequence.Steps.Select(s => CampaignFaults.Name(s.Fault)).ToList(), 0, null, 0, 0,
                    [new CampaignViolation(sequence.Number, CampaignInvariantIds.Recovers, $"the sequence stopped on {e.GetType().Name}: {e.Message}")], TimeSpan.Zero, "failed");
            }
            if (result.Violations.Count > 0) await SaveEvidenceAsync(sequence.Number, ct);
            results.Add(result);
            progress?.Invoke($"sequence {sequence.Number}: {(result.Violations.Count == 0 ? "ok" : $"{result.Violations.Count} violation(s)")}"
                + $", {result.Failovers} failover(s){(result.Rto is { } rto ? $", RTO {rto.TotalSeconds:0.0} s" : "")}, {result.Acknowledged} acked, {result.Lost} lost"
                + $" — recovery: {result.Recovery} ({result.Duration.TotalSeconds:0} s)");
            foreach (var v in result.Violations) progress?.Invoke($"  VIOLATION {v}");
        }
        return (stoppedEarly, false);
    }

    private async Task<SequenceResult> RunSequenceAsync(CampaignSequence sequence, long firstSeq, ReplicationMode mode, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var recovery = new List<string>();
        var violations = new List<CampaignViolation>();
        try
        {
            await EnsureBaselineAsync(recovery, ct);
        }
        catch (Exception e) when (e is not BaselineException && (e is not OperationCanceledException || !ct.IsCancellationRequested))
        {
            throw new BaselineException($"the lab could not be brought to its baseline: {e.GetType().Name}: {e.Message}");
        }
        var from = env.Time.GetUtcNow();

        var writer = new PublicNameWorkload(WorkloadOptions.ForLab(env.Options) with { RatePerSecond = options.WriteRate, FirstSeq = firstSeq }, env.Time);
        var sampler = new SingleWriterSampler(env, firstSeq + 500_000);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writing = writer.RunAsync(stop.Token);
        var sampling = sampler.RunAsync(stop.Token);

        var flaps = new List<FlapWindow>();
        var releases = new List<Task>();
        (DateTimeOffset At, string Region, string Fault)? primaryFault = null;
        DateTimeOffset? blindUntil = null; // a controller partition that outlasts detection (and its detection window after)
        try
        {
            foreach (var step in sequence.Steps)
            {
                await Task.Delay(step.Wait, env.Time, ct);
                // A flap window ends where the next fault begins: a failover from that fault is no flap's.
                if (flaps.Count > 0 && flaps[^1].To > env.Time.GetUtcNow()) flaps[^1] = flaps[^1] with { To = env.Time.GetUtcNow() };
                DateTimeOffset at;
                string region;
                try
                {
                    // Flapping is judged only when nothing else took the primary away, from the controller's side too.
                    var judged = primaryFault is null && (blindUntil is null || env.Time.GetUtcNow() > blindUntil);
                    (at, region) = await InjectAsync(step, judged ? flaps : null, releases, ct);
                }
                catch (LabException e)
                {
                    // The target is already gone (kill-db after kill-db, hang-db on a killed server): nothing to inject.
                    progress?.Invoke($"  {CampaignFaults.Name(step.Fault)}: skipped, {e.Message}");
                    continue;
                }
                if (CampaignFaults.TakesPrimaryAway(step.Fault) && primaryFault is null) primaryFault = (at, region, CampaignFaults.Name(step.Fault));
                if (CampaignFaults.BlindsController(step, options.Shape))
                    blindUntil = at + step.Hold + options.Shape.CheckInterval * options.Shape.FailureThreshold;
            }
            // Held faults end as planned (a paused controller resumes, a killed one is restarted).
            await Task.WhenAll(releases);
            await SettleAsync(from, ct);
            var runs = await RunsSinceAsync(from, ct);
            violations.AddRange(CampaignInvariants.Runs(sequence.Number, runs));
            violations.AddRange(CampaignInvariants.Flapping(sequence.Number, flaps, runs));

            var recovered = await RecoverAsync(from, recovery, ct);
            if (recovered is not null) violations.Add(new CampaignViolation(sequence.Number, CampaignInvariantIds.Recovers, recovered));
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(writing, sampling);
        }

        var allRuns = await RunsSinceAsync(from, ct);
        var failovers = allRuns.Count(r => r.Kind == "failover" && r.Outcome == RunOutcome.Succeeded);
        var refusal = allRuns.FirstOrDefault(r => r.Kind == "failover" && r.Outcome == RunOutcome.Refused)?.Detail
                      ?? await op.GuardRefusalSinceAsync(from, ct);
        violations.AddRange(CampaignInvariants.FailsOver(sequence.Number,
            primaryFault is { } lost ? $"{lost.Fault} on {lost.Region} at {lost.At:HH:mm:ss.fff}" : null, failovers, refusal));
        violations.AddRange(CampaignInvariants.SingleWriter(sequence.Number, sampler.Samples));
        var attempts = writer.Attempts();
        var classification = WriteClassification.Empty;
        if (attempts.Count > 0)
        {
            var range = new SeqRange(attempts.Min(a => a.Seq), attempts.Max(a => a.Seq));
            try
            {
                classification = WriteSetChecker.Classify(attempts, await _records.PresentSeqsAsync(await CurrentPrimaryAsync(ct), range, ct));
                violations.AddRange(CampaignInvariants.Losses(sequence.Number, classification, mode));
            }
            catch (Npgsql.NpgsqlException e)
            {
                violations.Add(new CampaignViolation(sequence.Number, CampaignInvariantIds.NoLostWrites, $"could not read the writer's rows on the primary: {e.Message}"));
            }
        }
        var audit = await op.VerifyAuditAsync(ct);
        if (!audit.Valid) violations.Add(new CampaignViolation(sequence.Number, CampaignInvariantIds.AuditVerifies, audit.Sentence));

        var rto = primaryFault is { } pf && failovers > 0 ? CampaignInvariants.Rto(pf.At, pf.Region, attempts) : null;
        return new SequenceResult(sequence.Number, sequence.Steps.Select(s => CampaignFaults.Name(s.Fault)).ToList(), failovers, rto,
            classification.Acknowledged, classification.Lost.Count, violations, sw.Elapsed, recovery.Count == 0 ? "none needed" : string.Join(", ", recovery),
            sampler.Rounds, sampler.RoundsAcknowledged);
    }

    /// <param name="flaps">Where a flap window is recorded; null when an earlier fault of the sequence already took the
    /// primary away (a failover from that fault may start during the flaps: not a failover on flapping).</param>
    private async Task<(DateTimeOffset At, string Region)> InjectAsync(CampaignStep step, List<FlapWindow>? flaps, List<Task> releases, CancellationToken ct)
    {
        var primary = await CurrentPrimaryAsync(ct);
        var at = env.Time.GetUtcNow();
        switch (step.Fault)
        {
            case CampaignFault.KillDb: return Injected(await _faults.InjectAsync(FaultKind.KillDb, primary, ct));
            case CampaignFault.HangDb: return Injected(await _faults.InjectAsync(FaultKind.HangDb, primary, ct));
            case CampaignFault.KillApp: return Injected(await _faults.InjectAsync(FaultKind.KillApp, primary, ct));
            case CampaignFault.RegionOutage: return Injected(await _faults.InjectAsync(FaultKind.RegionOutage, primary, ct));
            case CampaignFault.PauseReplication:
                var topology = await env.Topology.GetAsync(ct);
                if (topology.Standby is not { } standby || !env.Cluster(standby).IsRunning())
                {
                    progress?.Invoke("  pause-replication: no running standby; skipped");
                    return (at, primary);
                }
                try { return Injected(await _faults.InjectAsync(FaultKind.PauseReplication, standby, ct)); }
                catch (LabException e) when (e.ExitCode == 2)
                {
                    // The failover of an earlier fault of this sequence promoted the standby in between (sequence 43 of
                    // seed 20261129): the fault no longer applies; it is skipped, not a failure of the sequence.
                    progress?.Invoke($"  pause-replication: skipped, {e.Message}");
                    return (at, primary);
                }
            case CampaignFault.Flapping:
                var cluster = env.Cluster(primary);
                var hangs = 0;
                for (var i = 0; i < step.Repeats; i++)
                {
                    if (!cluster.IsRunning() || cluster.PostmasterPid() is not { } pid) break;
                    hangs++;
                    var tree = ProcessTree.Descendants(pid).Prepend(pid).ToList();
                    foreach (var p in tree) Posix.Signal(p, Posix.SIGSTOP);
                    try { await Task.Delay(step.Hold, env.Time, ct); }
                    finally { foreach (var p in tree) Posix.Signal(p, Posix.SIGCONT); }
                    if (i < step.Repeats - 1) await Task.Delay(step.Gap, env.Time, ct);
                }
                // A flap may still be counted by a check that started during it: one detection window of slack.
                // Judged only when it happened and nothing else had already taken the primary away.
                if (hangs > 0 && flaps is not null)
                    flaps.Add(new FlapWindow(at, env.Time.GetUtcNow() + options.Shape.CheckInterval * options.Shape.FailureThreshold));
                progress?.Invoke($"  flapping: {hangs} hang(s) of {step.Hold.TotalSeconds:0.0} s on {primary}{(hangs == 0 ? " (not running: none)" : flaps is null ? " (after a primary fault: not judged)" : "")}");
                return (at, primary);
            case CampaignFault.ControllerKill:
                var (killed, killedSecond) = await _controllers.LeaderAsync(ct);
                if (killed is { } k && Posix.Signal(k, Posix.SIGKILL))
                {
                    progress?.Invoke($"  controller-kill: SIGKILL {(killedSecond ? "second controller" : "controller")} pid {k}; restart in {step.Hold.TotalSeconds:0.0} s");
                    releases.Add(_controllers.RestartAfterAsync(step.Hold, killedSecond, ct));
                }
                return (at, primary);
            case CampaignFault.ControllerPause:
                var (paused, pausedSecond) = await _controllers.LeaderAsync(ct);
                if (paused is { } pp && Posix.Signal(pp, Posix.SIGSTOP))
                {
                    progress?.Invoke($"  controller-pause: SIGSTOP {(pausedSecond ? "second controller" : "controller")} pid {pp} for {step.Hold.TotalSeconds:0.0} s");
                    releases.Add(CampaignControllers.ContinueAfterAsync(pp, step.Hold, env.Time, ct));
                }
                return (at, primary);
            case CampaignFault.PartitionRegions or CampaignFault.PartitionController:
                if (_partitions.Unavailable() is { } why)
                {
                    progress?.Invoke($"  {CampaignFaults.Name(step.Fault)}: skipped, {why}");
                    return (at, primary);
                }
                string cut;
                if (step.Fault == CampaignFault.PartitionRegions) cut = await _partitions.CutReplicationAsync(primary, ct);
                else if ((await _controllers.LeaderAsync(ct)).Pid is { } leader) cut = await _partitions.IsolateControllerAsync(leader, primary, ct);
                else
                {
                    progress?.Invoke("  partition-controller: no controller running; skipped");
                    return (at, primary);
                }
                progress?.Invoke($"  {CampaignFaults.Name(step.Fault)}: {cut} for {step.Hold.TotalSeconds:0.0} s");
                releases.Add(HealPartitionsAfterAsync(step.Hold, ct));
                return (at, primary);
            default:
                throw new ArgumentOutOfRangeException(nameof(step), step.Fault, null);
        }

        (DateTimeOffset, string) Injected(FaultResult r)
        {
            progress?.Invoke($"  {FaultKinds.Name(r.Kind)} {r.Region}: {string.Join("; ", r.Actions)}");
            return (r.At, r.Region);
        }
    }

    private async Task HealPartitionsAfterAsync(TimeSpan after, CancellationToken ct)
    {
        try { await Task.Delay(after, env.Time, ct); }
        finally
        {
            if (await _partitions.HealAsync(CancellationToken.None) is { } said) progress?.Invoke($"  {said}");
        }
    }

    private async Task<string> CurrentPrimaryAsync(CancellationToken ct) => (await env.Topology.GetAsync(ct)).Primary ?? Home;

    private async Task<IReadOnlyList<RunRecord>> RunsSinceAsync(DateTimeOffset from, CancellationToken ct) =>
        (await op.RunsAsync(ct)).Where(r => r.StartedAt >= from).ToList();

    /// <summary>
    /// Lets the controller act before the sequence is judged: it must have made enough fresh ticks since
    /// the last fault was released to detect anything (threshold + 3 of them: a hung primary's checks
    /// each take a timeout), and no run may be running or have started for two ticks. Judging on the
    /// clock alone raced the controller: after a pause, a restarted controller decided 11 s later, while
    /// the campaign was already healing. Bounded by the settle limit.
    /// </summary>
    private async Task SettleAsync(DateTimeOffset from, CancellationToken ct)
    {
        var deadline = env.Time.GetUtcNow() + options.SettleLimit;
        var freshTicks = options.Shape.FailureThreshold + 3;
        var quiet = options.Shape.CheckInterval * 2;
        var startTicks = await _controllers.LeaderTicksAsync(ct);
        var lastActivity = env.Time.GetUtcNow();
        var seen = -1;
        while (env.Time.GetUtcNow() < deadline)
        {
            var runs = await RunsSinceAsync(from, ct);
            if (runs.Count != seen || runs.Any(r => r.Outcome == RunOutcome.Running))
            {
                seen = runs.Count;
                lastActivity = env.Time.GetUtcNow();
            }
            else if (env.Time.GetUtcNow() - lastActivity >= quiet)
            {
                var ticks = await _controllers.LeaderTicksAsync(ct);
                // A controller that does not answer (or a restarted one, whose count began again) is given the clock instead.
                var observed = ticks is { } t && startTicks is { } t0 && t >= t0 ? t - t0 : (long?)null;
                if (observed >= freshTicks || (observed is null && env.Time.GetUtcNow() - lastActivity >= options.Shape.CheckInterval * (freshTicks + 2))) return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), env.Time, ct);
        }
    }

    /// <summary>Waits until no run started since <paramref name="from"/> is still running (bounded by the settle limit).</summary>
    private async Task WaitForNoRunningRunAsync(DateTimeOffset from, CancellationToken ct)
    {
        var deadline = env.Time.GetUtcNow() + options.SettleLimit;
        while (env.Time.GetUtcNow() < deadline && (await RunsSinceAsync(from, ct)).Any(r => r.Outcome == RunOutcome.Running))
            await Task.Delay(TimeSpan.FromMilliseconds(500), env.Time, ct);
    }

    /// <summary>
    /// Brings the lab back as an operator would: heal, lab up (which must leave alone what an unfinished
    /// run fenced), let the controller resume its interrupted runs, resume what is left by hand (or abandon
    /// it when it cannot finish), fail back home. Returns why it could not, or null.
    /// </summary>
    private async Task<string?> RecoverAsync(DateTimeOffset from, List<string> recovery, CancellationToken ct)
    {
        _controllers.ResumePaused();
        if (await _partitions.HealAsync(ct) is { } healedNet) recovery.Add(healedNet);
        if (await IsBaselineAsync(ct) is null) return null;

        await HealAndUpAsync(recovery, ct);
        await WaitForNoRunningRunAsync(from, ct);

        foreach (var run in (await RunsSinceAsync(from, ct)).Where(r => r.Outcome is RunOutcome.Failed or RunOutcome.Interrupted or RunOutcome.Cancelled))
        {
            if ((await op.RunsAsync(ct)).FirstOrDefault(r => r.Id == run.Id) is not { Outcome: RunOutcome.Failed or RunOutcome.Interrupted or RunOutcome.Cancelled }) continue;
            var resumed = await op.RunAsync(["runbook", "resume", run.Id, "--yes"], TimeSpan.FromMinutes(3), ct);
            if (resumed.ExitCode == 0) { recovery.Add($"resumed {run.Id}"); continue; }
            var abandoned = await op.RunAsync(["runbook", "abandon", run.Id], TimeSpan.FromMinutes(1), ct);
            recovery.Add($"resume {run.Id} failed (exit {resumed.ExitCode}), abandoned (exit {abandoned.ExitCode})");
        }

        if (await CurrentPrimaryAsync(ct) != Home)
        {
            var failback = await op.RunAsync(["failback", "--yes"], TimeSpan.FromMinutes(4), ct);
            recovery.Add(failback.ExitCode == 0 ? "failback" : $"failback failed (exit {failback.ExitCode}): {Last(failback.Output)}");
        }
        else
        {
            // Home is primary but something else is off (e.g. the standby was fenced): lab up repairs it.
            await HealAndUpAsync(recovery, ct);
        }

        var deadline = env.Time.GetUtcNow() + options.SettleLimit;
        string? problem;
        while ((problem = await IsBaselineAsync(ct)) is not null && env.Time.GetUtcNow() < deadline)
            await Task.Delay(TimeSpan.FromSeconds(1), env.Time, ct);
        return problem is null ? null : $"not back to baseline after {options.SettleLimit.TotalSeconds:0} s: {problem}";
    }

    /// <summary>
    /// `lab fault heal` then `lab up`, as an operator would, tried three times: a server resumed after a
    /// long hang may take longer than `lab up`'s 5 s check to answer (seen in the long run), and the
    /// operator's next move is to try again, not to give up. The last failure is thrown.
    /// </summary>
    private async Task HealAndUpAsync(List<string> recovery, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var healed = await _faults.InjectAsync(FaultKind.Heal, null, ct);
            recovery.Add(healed.Actions.Count == 0 ? "heal" : $"heal ({healed.Actions.Count} action(s))");
            try
            {
                var up = await _supervisor.UpAsync(null, ct);
                if (up.Started.Count > 0) recovery.Add($"lab up started {up.Started.Count}");
                return;
            }
            catch (LabException e) when (attempt < 3)
            {
                recovery.Add($"lab up failed ({e.Message.Split(';')[0]}), again");
                await Task.Delay(TimeSpan.FromSeconds(3), env.Time, ct);
            }
        }
    }

    private static string Last(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";

    /// <summary>
    /// Before a sequence: the home region primary and writable, its standby streaming, DNS on it, the
    /// controller running. A sequence that inherits a broken lab would blame its own faults.
    /// </summary>
    private async Task EnsureBaselineAsync(List<string> recovery, CancellationToken ct)
    {
        await _controllers.EnsureSecondAsync(ct);
        if (await IsBaselineAsync(ct) is null) return;
        // What the last sequence's recovery left (it failed, and said so in its row): the same
        // recovery once more, over the runs of the last quarter of an hour, before giving up.
        var before = new List<string>();
        var problem = await RecoverAsync(env.Time.GetUtcNow() - TimeSpan.FromMinutes(15), before, ct);
        recovery.AddRange(before.Select(b => "before: " + b));
        if (problem is not null)
            throw new BaselineException($"the lab is not at its baseline ({problem}); the campaign cannot start a sequence on it. `regami-dr status` shows it; `regami-dr lab down --purge` then run again for a fresh lab.");
    }

    /// <summary>
    /// Keeps what explains a violation before the next sequence changes it: the lab's logs, its status
    /// and the recent runs, under <see cref="CampaignOptions.EvidenceDirectory"/>/sequence-N.
    /// </summary>
    private async Task SaveEvidenceAsync(int sequence, CancellationToken ct)
    {
        if (options.EvidenceDirectory is not { } root) return;
        var dir = Path.Combine(root, $"sequence-{sequence}");
        try
        {
            Directory.CreateDirectory(dir);
            foreach (var log in Directory.EnumerateFiles(env.Paths.LogDirectory))
                File.Copy(log, Path.Combine(dir, Path.GetFileName(log)), overwrite: true);
            var json = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web) { WriteIndented = true };
            await File.WriteAllTextAsync(Path.Combine(dir, "runs.json"), System.Text.Json.JsonSerializer.Serialize((await op.RunsAsync(ct)).Take(30), json), ct);
            await File.WriteAllTextAsync(Path.Combine(dir, "status.json"), System.Text.Json.JsonSerializer.Serialize(await new LabStatusReader(env).ReadAsync(ct), json), ct);
            progress?.Invoke($"  evidence kept in {dir}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Npgsql.NpgsqlException)
        {
            progress?.Invoke($"  could not keep all evidence in {dir}: {e.Message}");
        }
    }

    /// <summary>Null when the lab is at its baseline, else what is not.</summary>
    private async Task<string?> IsBaselineAsync(CancellationToken ct)
    {
        var status = await new LabStatusReader(env).ReadAsync(ct);
        if (status.PrimaryRegion != Home) return $"the primary is {status.PrimaryRegion ?? "none"}, not {Home}";
        var home = status.Regions.First(r => r.Name == Home);
        if (!home.Database.Writable) return $"{Home} does not accept writes ({home.Database.State})";
        if (home.Compute.Running < 1) return $"{Home} runs no API instance";
        if (!status.Replication.Streaming) return "the standby is not streaming";
        if (status.Traffic.ActiveRegion != Home) return $"DNS answers {status.Traffic.ActiveRegion ?? "nothing"}, not {Home}";
        if (env.Store.Load() is { ControllerEnabled: true } && _controllers.LabControllerPid() is null) return "the controller is not running";
        return null;
    }
}
