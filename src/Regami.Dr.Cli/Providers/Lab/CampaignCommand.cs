using System.CommandLine;
using System.Diagnostics;
using Regami.Dr.Cli.Output;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Campaigns;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Core.Topology;
using Regami.Dr.Lab;
using Regami.Dr.Lab.Campaign;
using Regami.Dr.Store;

namespace Regami.Dr.Cli.Providers.Lab;

/// <summary>`regami-dr lab campaign`: the seeded fault campaign and its invariants (docs/campaign.md).</summary>
public static class CampaignCommand
{
    public static Command Create(GlobalOptions g)
    {
        var seed = new Option<int?>("--seed") { Description = "Seed of the random plan (default: a random one, printed so a failure can be replayed)" };
        var sequences = new Option<int>("--sequences") { Description = "Sequences to plan and run", DefaultValueFactory = _ => 10 };
        var only = new Option<int?>("--only") { Description = "Run only sequence N of the plan (replay a failure with the same --seed)" };
        var maxSteps = new Option<int>("--max-steps") { Description = "Faults per sequence, at most", DefaultValueFactory = _ => 3 };
        var replication = new Option<string>("--replication") { Description = "Replication mode of the lab the campaign creates when none exists: sync (no acknowledged write may be lost) or async (losses are counted)", DefaultValueFactory = _ => "sync" };
        replication.AcceptOnlyFromAmong("sync", "async");
        var planOnly = new Option<bool>("--dry-run") { Description = "Print the plan; inject nothing" };
        var evidence = new Option<string?>("--evidence-dir") { Description = "Keep the lab's logs, status and runs of every sequence with a violation here" };
        var timeLimit = new Option<int?>("--time-limit-minutes") { Description = "Start no sequence after this many minutes; the report says how many ran" };
        var second = new Option<string?>("--second-controller") { Description = "Run a second controller listening here (e.g. http://127.0.60.1:7481/) beside the lab's; sharing the lease (controller.lease: etcd, or the local file). Controller faults then hit the leader" };
        var cmd = new Command("campaign",
            "Seeded fault campaign: random sequences of kill-db, hang-db, kill-app, region-outage, pause-replication, flapping, controller kill and pause, "
            + "while a writer runs; after each, heal and fail back, and check the invariants (single writer, no lost acknowledged write in sync mode, runs end completed or resumable, the audit verifies, no failover on flapping). Exit 1 on a violation.")
        { seed, sequences, only, maxSteps, replication, planOnly, evidence, second, timeLimit };
        cmd.SetAction(async (parse, ct) =>
        {
            var env = LabProvider.Environment(g, parse);
            var json = parse.GetValue(g.Output) == OutputFormat.Json;
            var chosenSeed = parse.GetValue(seed) ?? Random.Shared.Next(1, 1_000_000);
            var count = parse.GetValue(sequences);
            if (count < 1) throw new CliException("--sequences must be at least 1", ExitCodes.Usage);
            if (parse.GetValue(only) is { } o && (o < 1 || o > count)) throw new CliException($"--only must be between 1 and --sequences ({count})", ExitCodes.Usage);
            if (parse.GetValue(maxSteps) < 1) throw new CliException("--max-steps must be at least 1", ExitCodes.Usage);
            if (parse.GetValue(timeLimit) is < 1) throw new CliException("--time-limit-minutes must be at least 1", ExitCodes.Usage);
            Uri? secondUrl = null;
            if (parse.GetValue(second) is { } text && (!Uri.TryCreate(text, UriKind.Absolute, out secondUrl) || secondUrl.Scheme != Uri.UriSchemeHttp))
                throw new CliException($"--second-controller must be an http URL such as http://127.0.0.1:7481/ (found '{text}')", ExitCodes.Usage);
            var config = env.Options.Config;
            // The controller probes every tick with min(health check timeout, tick) as its timeout (LabProvider).
            var shape = new CampaignShape(config.Controller.Interval, config.HealthCheck.FailureThreshold,
                config.HealthCheck.Timeout < config.Controller.Interval ? config.HealthCheck.Timeout : config.Controller.Interval, config.Controller.LeaseTtl, parse.GetValue(maxSteps),
                // The load balancer's own checks (0.5 s interval, 0.5 s timeout) keep answering 503 about a second after a hang.
                PathRecovery: TimeSpan.FromSeconds(1));
            var options = new CampaignOptions(chosenSeed, count, parse.GetValue(only), shape) 
            {
                EvidenceDirectory = parse.GetValue(evidence) is { } e ? Path.GetFullPath(e) : null,
                SecondControllerUrl = secondUrl,
                TimeLimit = parse.GetValue(timeLimit) is { } minutes ? TimeSpan.FromMinutes(minutes) : null,
            };
            if (options.SecondControllerUrl is not null)
                Console.Error.WriteLine($"  two controllers share the lease: {(config.Controller.Lease == "etcd" ? $"etcd at {config.Controller.EtcdEndpoint}" : "the local lease file (same host; controller.lease: etcd for the multi-host case)")}");
            var replay = $"regami-dr lab campaign --seed {chosenSeed} --sequences {count}{(parse.GetValue(maxSteps) != 3 ? $" --max-steps {parse.GetValue(maxSteps)}" : "")}";
            Console.Error.WriteLine($"Fault campaign, seed {chosenSeed} (replay: {replay}), state {env.Paths.Root}");

            using var store = new StoreHandle(new Lazy<StateStore>(() => StateStore.Open(env.Paths.Root, TimeProvider.System)));
            using var campaign = new FaultCampaign(env, new CampaignOperator(store, env), options, msg => Console.Error.WriteLine($"  … {msg}"));
            if (parse.GetValue(planOnly))
            {
                var plan = campaign.Plan();
                if (json) Json.Write(new { seed = chosenSeed, sequences = plan.Select(s => new { s.Number, steps = s.Steps.Select(x => x.ToString()) }) });
                else foreach (var s in plan) Console.WriteLine($"{s.Number,4}  {s}");
                return ExitCodes.Ok;
            }

            if (config.Controller.Cooldown > TimeSpan.FromSeconds(10))
                Console.Error.WriteLine($"  note: controller.cooldown is {config.Controller.Cooldown.TotalSeconds:0} s: a failover within it of the previous one is refused, so sequences see fewer failovers (bench/fault-campaign.sh uses 2s)");
            var mode = parse.GetValue(replication) == "async" ? ReplicationMode.Async : ReplicationMode.Sync;
            var supervisor = new LabSupervisor(env, msg => Console.Error.WriteLine($"  … {msg}"));
            var fresh = env.Store.Load() is null;
            await supervisor.UpAsync(fresh ? mode : null, ct, withController: true);
            if (!fresh && (await env.Topology.GetAsync(ct)).ReplicationMode != mode)
                Console.Error.WriteLine($"  note: the lab runs {(await env.Topology.GetAsync(ct)).ReplicationMode.ToString().ToLowerInvariant()} replication (it keeps the mode it was created with); --replication applies to a new lab");

            var report = await campaign.RunAsync(ct);
            if (json) Json.Write(report);
            else Render(report, replay);
            return report.Passed ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return cmd;
    }

    // Plain columns, not a terminal-width table: the output goes into files and bench/RESULTS.md.
    private static void Render(CampaignReport report, string replay)
    {
        Console.WriteLine($"{"#",4}  {"faults",-52} {"failovers",9} {"RTO",7} {"acked",6} {"lost",5} {"probes",11} {"violations",10} {"time",6}  recovery");
        foreach (var s in report.Sequences)
            Console.WriteLine($"{s.Number,4}  {string.Join(", ", s.Faults),-52} {s.Failovers,9} {(s.Rto is { } r ? $"{r.TotalSeconds:0.0} s" : "-"),7} {s.Acknowledged,6} {s.Lost,5} "
                + $"{$"{s.ProbeRoundsAcknowledged}/{s.ProbeRounds}",11} {s.Violations.Count,10} {$"{s.Duration.TotalSeconds:0} s",6}  {s.Recovery}");
        foreach (var v in report.Sequences.SelectMany(s => s.Violations)) Console.WriteLine($"VIOLATION {v}");
        Console.WriteLine();
        Console.WriteLine($"seed {report.Seed} · {report.Mode.ToString().ToLowerInvariant()} replication · {report.Sequences.Count} sequences · {report.Faults} faults · "
            + $"{report.Violations} violations · {report.Failovers} failovers · median RTO {(report.MedianRto is { } m ? $"{m.TotalSeconds:0.0} s" : "-")} · "
            + $"{report.Acknowledged} acknowledged writes, {report.Lost} lost · {report.Duration.TotalMinutes:0.0} min");
        Console.WriteLine("faults: " + string.Join(", ", report.FaultCounts.Select(kv => $"{kv.Key} {kv.Value}")));
        if (report.StoppedEarly is { } stopped) Console.WriteLine($"STOPPED EARLY {stopped}");
        if (report.TimeLimited) Console.WriteLine($"TIME LIMIT: {report.Sequences.Count} sequence(s) of the plan ran before the time limit.");
        Console.WriteLine(report.Passed ? "PASSED: no invariant was broken." : $"FAILED: {report.Violations} violation(s). Replay one: {replay} --only N");
    }

    /// <summary>Opens the state store on first use and closes it at the end.</summary>
    private sealed class StoreHandle(Lazy<StateStore> store) : IDisposable
    {
        public StateStore Store => store.Value;
        public void Dispose() { if (store.IsValueCreated) store.Value.Dispose(); }
    }

    /// <summary>The journal and audit trail from the state store; runbook commands as separate processes.</summary>
    private sealed class CampaignOperator(StoreHandle store, LabEnvironment env) : ICampaignOperator
    {
        public Task<IReadOnlyList<RunRecord>> RunsAsync(CancellationToken ct) => store.Store.Journal.ListAsync(500, ct);

        public Task<AuditVerification> VerifyAuditAsync(CancellationToken ct) => store.Store.Audit.VerifyAsync(ct);

        public async Task<string?> GuardRefusalSinceAsync(DateTimeOffset from, CancellationToken ct)
        {
            foreach (var e in await store.Store.Audit.ListAsync(from, null, ct))
            {
                if (e.Entry.Action != ControllerAuditActions.Decision || e.Entry.Details is not { } details || !details.TrimStart().StartsWith('{')) continue;
                using var doc = System.Text.Json.JsonDocument.Parse(details);
                if (!doc.RootElement.TryGetProperty("guards", out var guards) || guards.ValueKind != System.Text.Json.JsonValueKind.Array) continue;
                foreach (var g in guards.EnumerateArray())
                    if (g.TryGetProperty("passed", out var passed) && !passed.GetBoolean())
                        return $"{g.GetProperty("guard").GetString()}: {g.GetProperty("reason").GetString()}";
            }
            return null;
        }

        public async Task<OperatorOutcome> RunAsync(IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct)
        {
            var psi = new ProcessStartInfo(env.Self.Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in env.Self.PrefixArgs.Concat(args).Concat(["--state-dir", env.Paths.Root])) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new CliException($"could not start {env.Self.Program}");
            var stdout = p.StandardOutput.ReadToEndAsync(ct);
            var stderr = p.StandardError.ReadToEndAsync(ct);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(timeout);
            try { await p.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: false);
                return new OperatorOutcome(124, $"`regami-dr {string.Join(' ', args)}` did not finish within {timeout.TotalSeconds:0} s");
            }
            return new OperatorOutcome(p.ExitCode, await stdout + await stderr);
        }
    }
}
