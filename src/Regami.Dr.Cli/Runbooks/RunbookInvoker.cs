using Regami.Dr.Cli.Output;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Lab;
using Regami.Dr.Lab.Provider;
using Regami.Dr.Lab.State;
using Regami.Dr.Store;

namespace Regami.Dr.Cli.Runbooks;

/// <summary>What the user asked of a runbook command.</summary>
public sealed record RunbookRequest(string Kind, string Command, string? To, bool Force, bool DryRun, bool Yes, OutputFormat Output, string? ResumeRunId = null, bool Reclone = false);

/// <summary>
/// The one place the CLI performs runbooks: resolves regions, resumes an unfinished run,
/// asks for confirmation, runs it through the engine with progress, and turns the result into
/// an exit code and a sentence about the state each region is in.
/// </summary>
public sealed class RunbookInvoker(LabEnvironment env)
{
    public static string Actor => $"{Environment.UserName}@{Environment.MachineName}";

    public DrPorts Ports() => new(new LabDatabasePort(env), new LabComputePort(env), new LabTrafficPort(env), new LabTopologyPort(env), new StoreLagMemory(Store()));

    private StateStore? store;
    public StateStore Store() => store ??= StateStore.Open(env.Paths.Root, env.Time);

    public async Task<int> InvokeAsync(RunbookRequest request, CancellationToken ct)
    {
        if (env.Store.Load() is null)
            throw new LabException($"no lab at {env.Paths.Root}; start one with `regami-dr lab up`");
        var ports = Ports();
        var topology = await ports.Topology.GetAsync(ct);
        if (request.To is { } to && !topology.Regions.Contains(to))
            throw new LabException($"unknown region '{to}'; regions: {string.Join(", ", topology.Regions)}") { ExitCode = ExitCodes.Usage };

        var journal = Store().Journal;
        var unfinished = request.ResumeRunId is { } id ? await journal.GetAsync(id, ct) ?? throw new LabException($"no runbook run {id}") { ExitCode = ExitCodes.Usage }
            : await journal.FindUnfinishedAsync(request.Kind, ct);
        Runbook runbook;
        if (unfinished is not null && unfinished.Outcome is RunOutcome.Running or RunOutcome.Failed or RunOutcome.Interrupted or RunOutcome.Cancelled)
        {
            var runTo = unfinished.Parameters.GetValueOrDefault("to");
            if (request.To is not null && runTo != request.To)
                throw new LabException($"run {unfinished.Id} ({unfinished.Kind} to {runTo}) is unfinished; resume it with `regami-dr runbook resume {unfinished.Id}` or abandon it with `regami-dr runbook abandon {unfinished.Id}`") { ExitCode = ExitCodes.Usage };
            runbook = Rebuild(unfinished.Kind, unfinished.Parameters, ports);
            request = request with { ResumeRunId = unfinished.Id };
            var stoppedAt = unfinished.Steps.LastOrDefault(s => s.Outcome is StepOutcome.Failed or StepOutcome.Started);
            Say(request, $"Resuming run {unfinished.Id}{(stoppedAt is null ? "" : $" (stopped at step {stoppedAt.Index} {stoppedAt.Name}: {stoppedAt.Detail})")}.");
        }
        else
        {
            var built = Build(request, topology, ports);
            if (built.NothingToDo is { } why)
            {
                if (request.Output == OutputFormat.Json) Json.Write(new { kind = request.Kind, outcome = "nothingToDo", detail = why });
                else Console.WriteLine($"Nothing to do: {why}.");
                return ExitCodes.Ok;
            }
            runbook = built.Runbook!;
        }

        var engine = new RunbookEngine(journal, Store().Audit, Store().Lease, env.Time, ProcessHostFacts.Current, Actor);
        if (request.DryRun)
        {
            var plan = await engine.PlanAsync(runbook, unfinished is not null && request.ResumeRunId is not null ? unfinished : null, ct);
            if (request.Output == OutputFormat.Json) Json.Write(new { kind = runbook.Kind, dryRun = true, parameters = runbook.Parameters, plan });
            else RunbookView.RenderPlan(runbook, plan);
            return ExitCodes.Ok;
        }

        if (!request.Yes && !Confirm(runbook))
        {
            Console.Error.WriteLine($"regami-dr: {runbook.Kind} changes which region takes writes; pass --yes to confirm (or --dry-run to see the plan). Nothing was changed.");
            return ExitCodes.Usage;
        }

        var crashAfter = int.TryParse(Environment.GetEnvironmentVariable("REGAMI_DR_CRASH_AFTER_STEP"), out var n) ? n : 0;
        var options = new RunbookRunOptions
        {
            ResumeRunId = request.ResumeRunId,
            AfterStepJournaled = crashAfter <= 0 ? null : (index, name) =>
            {
                if (index != crashAfter) return;
                // Test hook: die like a crashed laptop right after the journal says the step is done.
                Console.Error.WriteLine($"regami-dr: REGAMI_DR_CRASH_AFTER_STEP={crashAfter}: exiting after step {index} {name}");
                Environment.Exit(86);
            },
        };
        IProgress<StepProgress>? progress = request.Output == OutputFormat.Json ? null : new SyncProgress(RunbookView.RenderProgress);
        RunbookResult result;
        try
        {
            result = await engine.RunAsync(runbook, request.Command, options, progress, ct);
        }
        catch (RunbookBusyException e)
        {
            Console.Error.WriteLine($"regami-dr: refused: {e.Message}");
            return ExitCodes.Unsafe;
        }

        if (request.Output == OutputFormat.Json) Json.Write(result);
        else RunbookView.RenderResult(result);
        if (result.Succeeded) return ExitCodes.Ok;

        // A failed step: say what state every region is in, and how to go on.
        if (request.Output != OutputFormat.Json)
        {
            var status = await new LabStatusReader(env).ReadAsync(CancellationToken.None);
            Console.Error.WriteLine("State now:");
            foreach (var r in status.Regions)
                Console.Error.WriteLine($"  {r.Name}: {r.Role.ToString().ToLowerInvariant()}, database {r.Database.State}{(r.Database.Writable ? " (writable)" : "")}, compute {r.Compute.Running}/{r.Compute.Desired}");
            Console.Error.WriteLine($"  traffic: {status.Traffic.Name} → {status.Traffic.ActiveRegion ?? "no answer"}");
            if (result.Outcome != RunOutcome.Refused)
                Console.Error.WriteLine($"Resume with `regami-dr {request.Kind}` (or `regami-dr runbook resume {result.RunId}`); the journal: `regami-dr runbook show {result.RunId}`.");
        }
        return result.Outcome switch
        {
            RunOutcome.Refused => ExitCodes.Unsafe,
            RunOutcome.Cancelled => ExitCodes.Interrupted,
            _ => ExitCodes.Failed,
        };
    }

    private sealed record Built(Runbook? Runbook, string? NothingToDo);

    private Built Build(RunbookRequest request, Core.Ports.TopologySnapshot topology, DrPorts ports)
    {
        var policy = new FailoverPolicy();
        var primary = topology.Primary;
        switch (request.Kind)
        {
            case FailoverRunbook.Kind:
            {
                var to = request.To ?? topology.Standby ?? topology.Regions.First(r => r != primary);
                if (to == primary) return new(null, $"{to} is already the primary");
                var from = primary ?? topology.Others(to).First();
                return new(FailoverRunbook.Build(from, to, request.Force, ports, policy), null);
            }
            case SwitchoverRunbook.Kind:
            {
                var to = request.To ?? topology.Standby ?? topology.Regions.First(r => r != primary);
                if (to == primary) return new(null, $"{to} is already the primary");
                if (primary is null) throw new LabException("no region is recorded as primary; use `regami-dr failover`") { ExitCode = ExitCodes.Unsafe };
                return new(SwitchoverRunbook.Build(primary, to, ports, policy), null);
            }
            case FailbackRunbook.Kind:
            {
                var home = request.To ?? topology.HomeRegion;
                if (primary == home && topology.Others(home).All(r => topology.Roles[r] == Core.Topology.RegionRole.Standby))
                    return new(null, $"{home} is the primary and the other region is its standby");
                if (primary is null) throw new LabException("no region is recorded as primary; nothing to fail back from") { ExitCode = ExitCodes.Unsafe };
                if (primary == home) throw new LabException($"{home} is already primary but the other region is not a standby; `regami-dr lab status` shows why") { ExitCode = ExitCodes.Unsafe };
                return new(FailbackRunbook.Build(home, primary, ports, policy, request.Reclone), null);
            }
            default:
                throw new ArgumentException($"unknown runbook kind {request.Kind}");
        }
    }

    private Runbook Rebuild(string kind, IReadOnlyDictionary<string, string> p, DrPorts ports)
    {
        var policy = new FailoverPolicy();
        return kind switch
        {
            FailoverRunbook.Kind => FailoverRunbook.Build(p["from"], p["to"], p.GetValueOrDefault("force") == "true", ports, policy),
            SwitchoverRunbook.Kind => SwitchoverRunbook.Build(p["from"], p["to"], ports, policy),
            FailbackRunbook.Kind => FailbackRunbook.Build(p["to"], p["from"], ports, policy, p.GetValueOrDefault("reclone") == "true"),
            _ => throw new LabException($"cannot resume a run of kind {kind}"),
        };
    }

    private static bool Confirm(Runbook runbook)
    {
        if (Console.IsInputRedirected) return false;
        Console.Error.Write($"{runbook.Kind} {string.Join(", ", runbook.Parameters.Select(kv => $"{kv.Key}={kv.Value}"))} — go ahead? [y/N] ");
        var answer = Console.ReadLine();
        return answer is not null && answer.Trim().Equals("y", StringComparison.OrdinalIgnoreCase);
    }

    private static void Say(RunbookRequest request, string message)
    {
        if (request.Output == OutputFormat.Json) Console.Error.WriteLine(message);
        else Console.WriteLine(message);
    }

    /// <summary>Progress reported on the engine's thread, in order (Progress&lt;T&gt; would post to the pool).</summary>
    private sealed class SyncProgress(Action<StepProgress> report) : IProgress<StepProgress>
    {
        public void Report(StepProgress value) => report(value);
    }
}
