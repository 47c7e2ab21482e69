using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Regami.Dr.Cli.Runbooks;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Core.Status;
using Regami.Dr.Core.Topology;
using Regami.Dr.Lab;
using Regami.Dr.Lab.State;
using Regami.Dr.Lab.Workload;

namespace Regami.Dr.Cli.Drills;

public sealed record DrillRequest(DrillScenario Scenario, DrillTargets Targets, double Rate, string? ReportDirectory, bool KeepLab, bool Json);

/// <summary>A drill could not start (the system is not healthy): nothing was changed.</summary>
public sealed class DrillRefusedException(string reason) : Exception(reason);

/// <summary>
/// The quarterly DR checklist as one run: check health, start a workload through the public
/// name, inject the fault, let the controller fail over (or run the switchover), measure RTO and
/// RPO from real acknowledgements, smoke-test, check data, fail back, check again, report.
/// </summary>
public sealed class DrillRunner(LabEnvironment env, Core.Providers.ProviderBundle bundle, Action<string> say)
{
    private readonly List<DrillTimelineEvent> timeline = [];
    private readonly List<DrillCheck> checks = [];
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private TimeProvider Time => env.Time;
    private Regami.Dr.Store.StateStore? store;
    private Regami.Dr.Store.StateStore Store => store ??= Regami.Dr.Store.StateStore.Open(env.Paths.Root, env.Time);

    private void Mark(string what)
    {
        timeline.Add(new DrillTimelineEvent(Time.GetUtcNow(), what));
        say($"[{clock.Elapsed.TotalSeconds,6:0.0}s] {what}");
    }

    private void Check(string name, bool passed, string detail)
    {
        checks.Add(new DrillCheck(name, passed, detail));
        say($"          check {(passed ? "ok  " : "FAIL")} {name}: {detail}");
    }

    public async Task<DrillReport> RunAsync(DrillRequest request, CancellationToken ct)
    {
        var startedAt = Time.GetUtcNow();
        Mark($"drill {request.Scenario.Name} started: {request.Scenario.Description}");

        // 1. The lab: bring it up if needed (with its controller for the unplanned scenarios).
        var broughtUp = false;
        var state = env.Store.Load();
        var supervisor = new LabSupervisor(env, msg => say($"          … {msg}"));
        if (state is null || !IsUp(state))
        {
            Mark("bringing the lab up");
            await supervisor.UpAsync(null, ct, withController: request.Scenario.Planned ? null : true);
            broughtUp = state is null || state.Dns is null;
        }
        else if (!request.Scenario.Planned && (state.Controller is null || !Lab.Processes.Posix.IsAlive(state.Controller.Pid)))
        {
            Mark("starting the controller (an unplanned scenario needs it)");
            await supervisor.UpAsync(null, ct, withController: true);
        }

        var ports = bundle.Ports;
        try
        {
            // 2. Never start on a broken system.
            var before = await new LabStatusReader(env).ReadAsync(ct);
            var home = before.PrimaryRegion;
            var standby = before.Replication.ReplicaRegion;
            var problems = Preflight(before);
            if (problems.Count > 0) throw new DrillRefusedException("the lab is not healthy, so the drill did not start: " + string.Join("; ", problems));
            Mark($"preflight: {home} primary and healthy, {standby} streaming ({before.Replication.LagBytes ?? 0} bytes behind), DNS answers {before.Traffic.ActiveRegion}");

            // 3. The workload, through the public name, on seqs no earlier drill used.
            var firstSeq = await MaxSeqAsync(home!, ct) + 1;
            var workload = new PublicNameWorkload(WorkloadOptions.ForLab(env.Options) with { RatePerSecond = request.Rate, FirstSeq = firstSeq }, Time);
            using var stopWorkload = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var workloadTask = workload.RunAsync(stopWorkload.Token);
            Mark($"workload started: {request.Rate:0} writes/s through {env.Options.Dns.FullName}, seqs from {firstSeq}");
            await WaitAsync(() => workload.Progress.Acknowledged >= Math.Max(10, request.Rate), TimeSpan.FromSeconds(30), "the workload to be acknowledged", workload, ct);

            // 4. The fault, or the planned switchover.
            var faultAt = Time.GetUtcNow();
            DrillMarks marks;
            RunRecord? recoveryRun;
            if (request.Scenario.Fault is { } fault)
            {
                if (request.Scenario.CutReplicationFirst)
                {
                    // The standby stops receiving WAL (not just replaying it: received WAL would be
                    // replayed at promotion and nothing would be lost).
                    await QueryScalarAsync<bool?>(standby!, "ALTER SYSTEM SET primary_conninfo = ''", ct);
                    await QueryScalarAsync<bool?>(standby!, "SELECT pg_reload_conf()", ct);
                    Mark($"replication cut: {standby} no longer receives WAL from {home}");
                    var acked = workload.Progress.Acknowledged;
                    await WaitAsync(() => workload.Progress.Acknowledged >= acked + Math.Max(10, request.Rate), TimeSpan.FromSeconds(30),
                        "writes acknowledged by the primary alone", workload, ct);
                }
                var injected = await new LabFaults(env).InjectAsync(fault, home, ct);
                faultAt = injected.At;
                Mark($"fault injected: {FaultKinds.Name(fault)} on {home} ({string.Join("; ", injected.Actions)})");
                recoveryRun = await WaitForControllerFailoverAsync(faultAt, request.Targets, workload, ct);
                marks = await MarksFromJournalAsync(recoveryRun, faultAt, ct);
            }
            else
            {
                Mark($"planned switchover from {home} to {standby}");
                var result = await new RunbookEngine(Store.Journal, Store.Audit, Store.Lease, Time, Regami.Dr.Store.ProcessHostFacts.Current, "drill")
                    .RunAsync(SwitchoverRunbook.Build(home!, standby!, ports, bundle.Configuration.FailoverPolicy), $"drill {request.Scenario.Name}", new RunbookRunOptions(), null, ct);
                if (!result.Succeeded) throw new InvalidOperationException($"the switchover failed at {result.FailedStep}: {result.Detail}");
                recoveryRun = await Store.Journal.GetAsync(result.RunId!, ct);
                var stop = recoveryRun!.Steps.FirstOrDefault(s => s.Name == "stop-writes");
                faultAt = stop?.StartedAt ?? faultAt;
                marks = await MarksFromJournalAsync(recoveryRun, faultAt, ct);
            }
            Mark($"recovered by run {recoveryRun!.Id} ({recoveryRun.Kind}, {recoveryRun.Outcome.ToString().ToLowerInvariant()})");

            // 5. Keep writing until acknowledgements flow again through the new region, then stop.
            var ackedAtRecovery = workload.Progress.Acknowledged;
            await WaitAsync(() => workload.Progress.Acknowledged >= ackedAtRecovery + Math.Max(10, request.Rate / 2), TimeSpan.FromSeconds(60),
                "writes to be acknowledged after recovery", workload, ct);
            stopWorkload.Cancel();
            await workloadTask;
            var attempts = workload.Attempts();
            var lastSeq = attempts.Count == 0 ? firstSeq : attempts.Max(a => a.Seq);
            Mark($"workload stopped: {workload.Progress.Acknowledged} acknowledged, {workload.Progress.Refused} refused, {workload.Progress.Unknown} unknown");

            // 6. Smoke tests and data after the failover.
            var after = await new LabStatusReader(env).ReadAsync(ct);
            var newPrimary = after.PrimaryRegion;
            await SmokeTestsAsync(newPrimary, ct);
            Check("one writable primary", after.Regions.Count(r => r.Database.Writable) == 1,
                $"writable: {string.Join(", ", after.Regions.Where(r => r.Database.Writable).Select(r => r.Name))}");
            Check("traffic follows the primary", after.Traffic.ActiveRegion == newPrimary, $"{after.Traffic.Name} → {after.Traffic.ActiveRegion}, primary {newPrimary}");
            var present = await PresentSeqsAsync(newPrimary!, firstSeq, lastSeq, ct);
            var classification = WriteSetChecker.Classify(attempts, present);
            Check("acknowledged writes present on the new primary", classification.Lost.Count == 0 || before.Replication.Mode == ReplicationMode.Async,
                classification.Lost.Count == 0 ? $"all {classification.Acknowledged} acknowledged writes are there"
                    : $"{classification.Lost.Count} acknowledged writes lost (async replication: counted against the RPO target)");

            // The measurement checked against ground truth: the rows the old primary holds and the new one does not.
            if (request.Scenario.CutReplicationFirst)
            {
                var oldRows = await ReadFencedPrimarySeqsAsync(home!, firstSeq, lastSeq, ct);
                var acknowledged = attempts.Where(a => a.Outcome == WriteOutcome.Acknowledged).Select(a => a.Seq).ToHashSet();
                var truth = oldRows.Where(seq => acknowledged.Contains(seq) && !present.Contains(seq)).OrderBy(x => x).ToList();
                var measured = classification.Lost.OrderBy(x => x).ToList();
                Check("lost writes confirmed on the old primary", truth.SequenceEqual(measured),
                    $"measured {measured.Count} lost; the old primary (read in isolation) holds {truth.Count} acknowledged rows the new primary lacks" +
                    (truth.Count > 0 ? $" (seqs {truth[0]}–{truth[^1]})" : ""));
            }

            // 7. Fail back, and check the regions agree.
            await FailBackAsync(request.Scenario, home!, ct);
            await ConsistencyAsync(ct);
            var audit = await Store.Audit.VerifyAsync(ct);
            Check("audit trail verifies", audit.Valid, audit.Sentence);

            var finishedAt = Time.GetUtcNow();
            var postgresVersion = await ServerVersionAsync(home!, ct);
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
                FinishedAt = finishedAt,
                ReplicationMode = before.Replication.Mode == ReplicationMode.Sync
                    ? "sync (the promoted standby ran async until failback rebuilt a standby)"
                    : "async",
                Environment = DrillEnvironment.Current(Regami.Dr.Store.ProcessHostFacts.Current, typeof(DrillRunner).Assembly.GetName().Version?.ToString() ?? "0", postgresVersion),
            });
            return await WriteReportAsync(report, request, ct);
        }
        finally
        {
            if (broughtUp && !request.KeepLab)
            {
                say("          … the drill brought the lab up, so it takes it down (--keep-lab keeps it)");
                await new LabSupervisor(env).DownAsync(purge: false, CancellationToken.None);
            }
        }
    }

    private static bool IsUp(LabState s) => s.Dns is { } dns && Lab.Processes.Posix.IsAlive(dns.Pid);

    private static List<string> Preflight(SystemStatus s)
    {
        var problems = new List<string>();
        if (s.PrimaryRegion is null) problems.Add("no region accepts writes");
        foreach (var r in s.Regions.Where(r => !r.Healthy)) problems.Add($"{r.Name} ({r.Role.ToString().ToLowerInvariant()}) is unhealthy: database {r.Database.State}, compute {r.Compute.Running}/{r.Compute.Desired}");
        if (!s.Replication.Streaming) problems.Add("the standby is not streaming");
        if (s.Traffic.ActiveRegion != s.PrimaryRegion) problems.Add($"DNS answers {s.Traffic.ActiveRegion ?? "nothing"}, not the primary {s.PrimaryRegion}");
        if (s.Regions.Count(r => r.Database.Writable) > 1) problems.Add("two databases accept writes");
        return problems;
    }

    private async Task WaitAsync(Func<bool> done, TimeSpan within, string what, PublicNameWorkload? workload, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var lastSay = TimeSpan.Zero;
        while (!done())
        {
            if (sw.Elapsed > within) throw new TimeoutException($"{what}: not within {within.TotalSeconds:0} s");
            if (workload is not null && sw.Elapsed - lastSay >= TimeSpan.FromSeconds(1))
            {
                var p = workload.Progress;
                say($"[{clock.Elapsed.TotalSeconds,6:0.0}s]   waiting for {what}: {p.Acknowledged} acknowledged, {p.Refused} refused, {p.Unknown} unknown, last answer from {p.LastRegion ?? p.LastAddress ?? "-"}");
                lastSay = sw.Elapsed;
            }
            await Task.Delay(100, ct);
        }
    }

    private async Task<RunRecord> WaitForControllerFailoverAsync(DateTimeOffset faultAt, DrillTargets targets, PublicNameWorkload workload, CancellationToken ct)
    {
        var journal = Store.Journal;
        var within = TimeSpan.FromSeconds(Math.Min(targets.RtoSeconds + 60, 30 * 60));
        RunRecord? run = null;
        await WaitAsync(() =>
        {
            run = journal.ListAsync(5, ct).GetAwaiter().GetResult()
                .FirstOrDefault(r => r.Kind == FailoverRunbook.Kind && r.StartedAt >= faultAt && r.Outcome != RunOutcome.Running);
            return run is not null;
        }, within, "the controller to detect the fault and fail over", workload, ct);
        if (run!.Outcome != RunOutcome.Succeeded)
            throw new InvalidOperationException($"the controller's failover {run.Id} {run.Outcome.ToString().ToLowerInvariant()}: {run.Detail}");
        return run;
    }

    /// <summary>Phase marks from the controller's decision (audit) and the failover's journaled step timings.</summary>
    private async Task<DrillMarks> MarksFromJournalAsync(RunRecord run, DateTimeOffset faultAt, CancellationToken ct)
    {
        DateTimeOffset? StepEnd(params string[] names) => run.Steps.Where(s => names.Contains(s.Name) && s.FinishedAt is not null).Select(s => s.FinishedAt).Max();
        var events = await Store.Audit.ListAsync(faultAt, null, ct);
        var decision = events.FirstOrDefault(e => e.Entry.Action == "controller.decision" && e.Entry.Outcome == "failover")?.Entry.At;
        var firstUnhealthy = events.FirstOrDefault(e => e.Entry.Action == "controller.decision")?.Entry.At;
        return new DrillMarks(faultAt)
        {
            Detected = firstUnhealthy ?? decision,
            Decided = decision ?? run.StartedAt,
            Fenced = StepEnd("fence-database", "stop-old-primary"),
            Promoted = StepEnd("promote-standby"),
            ComputeReady = StepEnd("scale-compute", "prewarm-compute"),
            TrafficSwitched = StepEnd("verify-public-write"),
        };
    }

    private async Task SmokeTestsAsync(string? primary, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var address = await DnsProbe.QueryAsync(env.Options.Dns, ct);
        var baseUrl = $"http://{address}:{env.Options.Ports.LoadBalancer}";
        try
        {
            using var health = await http.GetAsync(baseUrl + "/health?check=db", ct);
            Check("smoke: health through the public name", health.IsSuccessStatusCode, $"GET /health?check=db via {address}: {(int)health.StatusCode}");
            var seq = -Time.GetUtcNow().ToUnixTimeMilliseconds();
            using var write = await http.PostAsJsonAsync(baseUrl + "/api/records", new { seq, payload = "drill smoke test" }, ct);
            Check("smoke: write through the public name", write.StatusCode == System.Net.HttpStatusCode.Created, $"POST /api/records seq {seq}: {(int)write.StatusCode}");
            using var read = await http.GetAsync($"{baseUrl}/api/records/{seq}", ct);
            Check("smoke: read back", read.IsSuccessStatusCode, $"GET /api/records/{seq}: {(int)read.StatusCode}");
        }
        catch (HttpRequestException e)
        {
            Check("smoke: public name answers", false, $"{baseUrl}: {e.Message}");
        }
    }

    private async Task FailBackAsync(DrillScenario scenario, string home, CancellationToken ct)
    {
        var ports = bundle.Ports;
        var engine = new RunbookEngine(Store.Journal, Store.Audit, Store.Lease, Time, Regami.Dr.Store.ProcessHostFacts.Current, "drill");
        var topology = await ports.Topology.GetAsync(ct);
        if (scenario.Planned)
        {
            Mark($"switching back to {home}");
            var back = await engine.RunAsync(SwitchoverRunbook.Build(topology.Primary!, home, ports, bundle.Configuration.FailoverPolicy), "drill: switch back", new RunbookRunOptions(), null, ct);
            Check("switch back", back.Succeeded, back.Succeeded ? $"run {back.RunId} in {back.Duration.TotalSeconds:0.0} s" : $"{back.FailedStep}: {back.Detail}");
            return;
        }
        Mark("healing the fault (restarting killed load balancers and instances; the fenced database stays down)");
        await new LabFaults(env).InjectAsync(FaultKind.Heal, null, ct);
        await new LabSupervisor(env).UpAsync(null, ct);
        Mark($"failing back to {home}");
        var result = await engine.RunAsync(FailbackRunbook.Build(home, topology.Primary!, ports, bundle.Configuration.FailoverPolicy), "drill: failback", new RunbookRunOptions(), null, ct);
        var rebuild = result.Steps.FirstOrDefault(s => s.Name == "rebuild-as-standby");
        Check("failback", result.Succeeded, result.Succeeded ? $"run {result.RunId} in {result.Duration.TotalSeconds:0.0} s; {rebuild?.Detail?.Split(';')[0]}" : $"{result.FailedStep}: {result.Detail}");
        if (!result.Succeeded) throw new InvalidOperationException($"failback failed at {result.FailedStep}: {result.Detail}; fix it and run `regami-dr failback --yes`");
    }

    private async Task ConsistencyAsync(CancellationToken ct)
    {
        const string sql = "SELECT count(*)::text || ':' || coalesce(md5(string_agg(seq::text || ':' || payload, ',' ORDER BY seq)), '') FROM records";
        var regions = env.Options.Regions.Select(r => r.Name).ToList();
        var sw = Stopwatch.StartNew();
        string[] sums = [];
        while (sw.Elapsed < TimeSpan.FromSeconds(30))
        {
            sums = await Task.WhenAll(regions.Select(async r => await QueryScalarAsync<string>(r, sql, ct) ?? "?"));
            if (sums.Distinct().Count() == 1) break;
            await Task.Delay(200, ct);
        }
        Check("regions hold the same rows after failback", sums.Distinct().Count() == 1,
            string.Join(", ", regions.Zip(sums, (r, s) => $"{r} {s.Split(':')[0]} rows md5 {(s.Contains(':') ? s.Split(':')[1][..Math.Min(8, s.Split(':')[1].Length)] : s)}")));
        var status = await new LabStatusReader(env).ReadAsync(ct);
        Check("roles restored", status.PrimaryRegion == env.Options.PrimaryRegion.Name && status.Replication.Streaming,
            $"primary {status.PrimaryRegion}, replication {(status.Replication.Streaming ? "streaming" : "not streaming")}");
    }

    private async Task<DrillReport> WriteReportAsync(DrillReport report, DrillRequest request, CancellationToken ct)
    {
        var dir = request.ReportDirectory ?? Path.Combine(env.Paths.Root, "drills");
        var name = $"{report.StartedAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{report.Scenario}";
        var folder = Path.Combine(dir, name);
        Directory.CreateDirectory(folder);
        var paths = new DrillReportPaths(Path.Combine(folder, "report.json"), Path.Combine(folder, "report.md"), Path.Combine(folder, "report.html"));
        report = report with { Reports = paths };
        await File.WriteAllTextAsync(paths.Json!, DrillReportJson.Render(report), ct);
        await File.WriteAllTextAsync(paths.Markdown!, DrillReportMarkdown.Render(report), ct);
        await File.WriteAllTextAsync(paths.Html!, DrillReportHtml.Render(report), ct);
        // The history the doctor reads: one line per drill, kept with the lab's state.
        var history = Path.Combine(env.Paths.Root, "drill-history.jsonl");
        await File.AppendAllTextAsync(history, JsonSerializer.Serialize(new
        {
            at = report.StartedAt, scenario = report.Scenario, passed = report.Passed,
            rtoSeconds = report.Measured.RtoSeconds, rpoSeconds = report.Measured.RpoSeconds,
            lost = report.Measured.LostAcknowledgedWrites, report = paths.Json,
        }) + "\n", ct);
        await Store.Audit.AppendAsync(new AuditEntry(Time.GetUtcNow(), RunbookInvoker.Actor, $"drill --scenario {report.Scenario}", null, "drill",
            report.Passed ? "succeeded" : "failed", $"RTO {report.Measured.RtoSeconds?.ToString("0.00") ?? "none"} s, RPO {report.Measured.RpoSeconds:0.00} s, report {paths.Json}"), ct);
        return report;
    }

    /// <summary>
    /// Starts the fenced old primary in isolation — no TCP listener, only a Unix socket inside its
    /// own data directory, no archiving — reads the workload's rows, and stops it again.
    /// </summary>
    private async Task<IReadOnlyList<long>> ReadFencedPrimarySeqsAsync(string region, long first, long last, CancellationToken ct)
    {
        var cluster = env.Cluster(region);
        if (cluster.IsRunning()) throw new InvalidOperationException($"{region} should be fenced (stopped) after the failover, but it runs");
        var bin = env.Binaries();
        var port = env.Options.Ports.Postgres;
        await env.Runner.RunPostgresAsync(bin.PgCtl, ["-D", cluster.DataDirectory, "-l", env.Paths.PgLog(region), "-w", "-t", "60",
            "-o", $"-p {port} -c listen_addresses='' -c unix_socket_directories='{cluster.DataDirectory}' -c archive_mode=off", "start"], TimeSpan.FromSeconds(90), ct);
        try
        {
            await using var conn = new NpgsqlConnection($"Host={cluster.DataDirectory};Port={port};Username={env.Options.Database.User};Database={env.Options.Database.Name};Pooling=false;Timeout=10");
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("SELECT seq FROM records WHERE seq BETWEEN $1 AND $2", conn) { Parameters = { new() { Value = first }, new() { Value = last } } };
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            var seqs = new List<long>();
            while (await reader.ReadAsync(ct)) seqs.Add(reader.GetInt64(0));
            Mark($"read the fenced old primary {region} in isolation: {seqs.Count} workload rows");
            return seqs;
        }
        finally
        {
            await env.Runner.RunPostgresAsync(bin.PgCtl, ["-D", cluster.DataDirectory, "-m", "fast", "-w", "stop"], TimeSpan.FromSeconds(60), CancellationToken.None);
        }
    }

    private async Task<long> MaxSeqAsync(string region, CancellationToken ct) =>
        await QueryScalarAsync<long?>(region, "SELECT coalesce(max(seq), 0) FROM records", ct) ?? 0;

    private async Task<string?> ServerVersionAsync(string region, CancellationToken ct)
    {
        foreach (var r in env.Options.Regions.Select(x => x.Name).Prepend(region))
            try { return await QueryScalarAsync<string>(r, "SHOW server_version", ct); } catch (NpgsqlException) { }
        return null;
    }

    private async Task<IReadOnlySet<long>> PresentSeqsAsync(string region, long first, long last, CancellationToken ct)
    {
        var cluster = env.Cluster(region);
        await using var conn = new NpgsqlConnection(cluster.ConnectionString(env.Options.Database.Name, env.Options.Database.User, 10));
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT seq FROM records WHERE seq BETWEEN $1 AND $2", conn) { Parameters = { new() { Value = first }, new() { Value = last } } };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var seqs = new HashSet<long>();
        while (await reader.ReadAsync(ct)) seqs.Add(reader.GetInt64(0));
        return seqs;
    }

    private Task<T?> QueryScalarAsync<T>(string region, string sql, CancellationToken ct) =>
        env.Cluster(region).ScalarAsync<T>(env.Options.Database.Name, env.Options.Database.User, sql, ct);
}
