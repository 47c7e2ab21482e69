using Regami.Dr.Cli.Output;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Cli.Runbooks;

/// <summary>What the user asked of a runbook command.</summary>
public sealed record RunbookRequest(string Kind, string Command, string? To, bool Force, bool DryRun, bool Yes, OutputFormat Output, string? ResumeRunId = null, bool Reclone = false,
    string? Restored = null);

/// <summary>
/// The one place the CLI performs runbooks: resolves regions, resumes an unfinished run,
/// asks for confirmation, runs it through the engine with progress, and turns the result into
/// an exit code and a sentence about the state each region is in.
/// </summary>
public sealed class RunbookInvoker(CliSession session)
{
    public static string Actor => CliSession.Actor;

    public async Task<int> InvokeAsync(RunbookRequest request, CancellationToken ct)
    {
        var catalog = session.Catalog;
        var topology = await session.Bundle.Ports.Topology.GetAsync(ct);
        if (request.To is { } to && !topology.Regions.Contains(to))
            throw new RunbookRequestException($"unknown region '{to}'; regions: {string.Join(", ", topology.Regions)}", @unsafe: false);

        var journal = session.Journal;
        var unfinished = request.ResumeRunId is { } id ? await journal.GetAsync(id, ct) ?? throw new RunbookRequestException($"no runbook run {id}", @unsafe: false)
            : await journal.FindUnfinishedAsync(request.Kind, ct);
        // A run journaled as running whose process died is interrupted (its lock is free), not running.
        unfinished = await RunLiveness.SettleAsync(journal, session.RunbookLease, unfinished, session.Time.GetUtcNow(), ct);
        Runbook runbook;
        if (unfinished is not null && unfinished.Outcome is RunOutcome.Running or RunOutcome.Failed or RunOutcome.Interrupted or RunOutcome.Cancelled)
        {
            var runTo = unfinished.Parameters.GetValueOrDefault("to");
            if (request.To is not null && runTo != request.To)
                throw new RunbookRequestException($"run {unfinished.Id} ({unfinished.Kind} to {runTo}) is unfinished; resume it with `regami-dr runbook resume {unfinished.Id}` or abandon it with `regami-dr runbook abandon {unfinished.Id}`", @unsafe: false);
            // Resumed on its own only while the world it stopped in is still the world (age, later runs).
            var verdict = ResumeRules.Judge(unfinished, session.Time.GetUtcNow(), session.Configuration.Config.Runbooks,
                await journal.ListAsync(20, ct), named: request.ResumeRunId is not null);
            if (!verdict.Resume)
                throw new RunbookRequestException($"not resuming: {verdict.Reason}. Resume it anyway with `regami-dr runbook resume {unfinished.Id}` (its guard steps run again), " +
                    $"or abandon it with `regami-dr runbook abandon {unfinished.Id}` and run `regami-dr {request.Kind}` afresh", @unsafe: false);
            // The flags given now win over the old run's: a new --force (or its absence) is what the operator wants today.
            var parameters = new Dictionary<string, string>(unfinished.Parameters);
            var changed = new List<string>();
            void Flag(string name, bool now)
            {
                if (!parameters.ContainsKey(name) && !now) return;
                var value = now ? "true" : "false";
                if (parameters.GetValueOrDefault(name, "false") != value) changed.Add($"{name}={value} (the run started with {name}={parameters.GetValueOrDefault(name, "false")})");
                parameters[name] = value;
            }
            if (unfinished.Kind == Core.Runbooks.FailoverRunbook.Kind) Flag("force", request.Force);
            if (unfinished.Kind == Core.Runbooks.FailbackRunbook.Kind) Flag("reclone", request.Reclone);
            runbook = catalog.Rebuild(unfinished.Kind, parameters);
            request = request with { ResumeRunId = unfinished.Id };
            var stoppedAt = unfinished.Steps.LastOrDefault(s => s.Outcome is StepOutcome.Failed or StepOutcome.Started);
            Say(request, $"Resuming run {unfinished.Id}{(stoppedAt is null ? "" : $" (stopped at step {stoppedAt.Index} {stoppedAt.Name}: {stoppedAt.Detail})")}: {verdict.Reason}.");
            if (changed.Count > 0)
            {
                Say(request, $"With the flags given now: {string.Join(", ", changed)}.");
                await session.Store.Audit.AppendAsync(new Core.Audit.AuditEntry(session.Time.GetUtcNow(), Actor, request.Command, null,
                    Core.Runbooks.RunbookAuditActions.Run(unfinished.Kind), "info", $"run {unfinished.Id} resumed with the flags given now: {string.Join(", ", changed)}"), ct);
            }
        }
        else
        {
            var built = catalog.Choose(new RunbookAsk(request.Kind, request.To, request.Force, request.Reclone, request.Restored), topology);
            if (built.NothingToDo is { } why)
            {
                if (request.Output == OutputFormat.Json) Json.Write(new { kind = request.Kind, outcome = "nothingToDo", detail = why });
                else Console.WriteLine($"Nothing to do: {why}.");
                return ExitCodes.Ok;
            }
            runbook = built.Runbook!;
        }

        var engine = new RunbookEngine(journal, session.Store.Audit, session.RunbookLease, session.Time, Regami.Dr.Store.ProcessHostFacts.Current, Actor);
        if (request.DryRun)
        {
            var plan = await engine.PlanAsync(runbook, unfinished is not null && request.ResumeRunId is not null ? unfinished : null, ct);
            // A provider with commands of its own (AWS) shows them under each step: the manual runbook.
            var commands = plan.ToDictionary(s => s.Name, s => session.Bundle.CommandPlan?.CommandsFor(runbook.Kind, runbook.Parameters, s.Name) ?? []);
            if (request.Output == OutputFormat.Json)
                Json.Write(new { kind = runbook.Kind, dryRun = true, provider = session.Bundle.Name, parameters = runbook.Parameters, plan = plan.Select(s => new { s.Index, s.Name, s.Description, s.Region, s.State, s.Reason, commands = commands[s.Name] }) });
            else RunbookView.RenderPlan(runbook, plan, commands);
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
            var status = await session.Bundle.Status.ReadAsync(CancellationToken.None);
            Console.Error.WriteLine("State now:");
            foreach (var r in status.Regions)
                Console.Error.WriteLine($"  {r.Name}: {r.Role.ToString().ToLowerInvariant()}, database {r.Database.State}{(r.Database.Writable ? " (writable)" : "")}, compute {r.Compute.Running}/{r.Compute.Desired}");
            Console.Error.WriteLine($"  traffic: {status.Traffic.Name} → {status.Traffic.ActiveRegion ?? "no answer"}");
            if (result.Outcome != RunOutcome.Refused)
                Console.Error.WriteLine(request.Kind == Core.Runbooks.RestorePromoteRunbook.Kind
                    ? $"Resume with `regami-dr runbook resume {result.RunId}`; the journal: `regami-dr runbook show {result.RunId}`."
                    : $"Resume with `regami-dr {request.Kind}` (or `regami-dr runbook resume {result.RunId}`); the journal: `regami-dr runbook show {result.RunId}`.");
        }
        return result.Outcome switch
        {
            RunOutcome.Refused => ExitCodes.Unsafe,
            RunOutcome.Cancelled => ExitCodes.Interrupted,
            _ => ExitCodes.Failed,
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
}
