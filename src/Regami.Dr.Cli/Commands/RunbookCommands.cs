using System.CommandLine;
using Regami.Dr.Cli.Output;
using Regami.Dr.Cli.Runbooks;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Cli.Commands;

/// <summary>failover, switchover, failback, and `runbook list|show|resume|abandon`.</summary>
public static class RunbookCommands
{
    public static IEnumerable<Command> Create(GlobalOptions g)
    {
        yield return Failover(g);
        yield return Switchover(g);
        yield return Failback(g);
        yield return Runbook(g);
    }

    private static Option<bool> DryRun() => new("--dry-run") { Description = "Print the plan (and which steps are already satisfied); change nothing" };
    private static Option<bool> Yes() => new("--yes", "-y") { Description = "Do not ask for confirmation" };

    private static Command Failover(GlobalOptions g)
    {
        var to = new Option<string?>("--to") { Description = "Region to fail over to (default: the standby)" };
        var force = new Option<bool>("--force") { Description = "Go ahead even when the RPO guard refuses (the last known replica lag is too large or unknown): acknowledged writes may be lost" };
        var dry = DryRun();
        var yes = Yes();
        var cmd = new Command("failover", "Unplanned failover: fence the primary (traffic, compute, database), promote the standby, scale its compute, move traffic, verify with a real write. Resumable; journaled; audited.") { to, force, dry, yes };
        cmd.SetAction((parse, ct) => Invoke(g, parse, new RunbookRequest(FailoverRunbook.Kind, CommandLine(parse), parse.GetValue(to), parse.GetValue(force), parse.GetValue(dry), parse.GetValue(yes), parse.GetValue(g.Output)), ct));
        return cmd;
    }

    private static Command Switchover(GlobalOptions g)
    {
        var to = new Option<string?>("--to") { Description = "Region to switch over to (default: the standby)" };
        var dry = DryRun();
        var yes = Yes();
        var cmd = new Command("switchover", "Planned switchover with zero data loss: stop writes, wait until the standby has everything, promote, rejoin the old primary as a standby, move traffic.") { to, dry, yes };
        cmd.SetAction((parse, ct) => Invoke(g, parse, new RunbookRequest(SwitchoverRunbook.Kind, CommandLine(parse), parse.GetValue(to), false, parse.GetValue(dry), parse.GetValue(yes), parse.GetValue(g.Output)), ct));
        return cmd;
    }

    private static Command Failback(GlobalOptions g)
    {
        var dry = DryRun();
        var yes = Yes();
        var reclone = new Option<bool>("--reclone") { Description = "Rebuild the old primary with a fresh pg_basebackup instead of pg_rewind" };
        var cmd = new Command("failback", "After a failover: rebuild the old primary as a replica (pg_rewind, else a fresh clone), wait until caught up, switch back with zero data loss.") { dry, yes, reclone };
        cmd.SetAction((parse, ct) => Invoke(g, parse, new RunbookRequest(FailbackRunbook.Kind, CommandLine(parse), null, false, parse.GetValue(dry), parse.GetValue(yes), parse.GetValue(g.Output), Reclone: parse.GetValue(reclone)), ct));
        return cmd;
    }

    private static Command Runbook(GlobalOptions g)
    {
        var runbook = new Command("runbook", "Runbook runs: their journal with step timings; resume or abandon an unfinished run.");

        var limit = new Option<int>("--limit") { Description = "How many runs", DefaultValueFactory = _ => 20 };
        var list = new Command("list", "Runs, newest first.") { limit };
        list.SetAction(async (parse, ct) =>
        {
            var runs = await g.Session(parse).Journal.ListAsync(parse.GetValue(limit), ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) { Json.Write(runs); return ExitCodes.Ok; }
            if (runs.Count == 0) Console.WriteLine("No runbook runs yet.");
            foreach (var r in runs)
                Console.WriteLine($"{r.Id,-40} {r.Kind,-11} {r.Outcome.ToString().ToLowerInvariant(),-11} {r.StartedAt:yyyy-MM-dd HH:mm:ss}Z  {(r.FinishedAt - r.StartedAt)?.TotalSeconds ?? 0,7:0.00} s  {string.Join(" ", r.Parameters.Select(kv => $"{kv.Key}={kv.Value}"))}");
            return ExitCodes.Ok;
        });

        var id = new Argument<string>("id") { Description = "Run id (see `runbook list`)" };
        var show = new Command("show", "One run with every step's outcome, attempts and timing.") { id };
        show.SetAction(async (parse, ct) =>
        {
            var run = await g.Session(parse).Journal.GetAsync(parse.GetValue(id)!, ct);
            if (run is null) { Console.Error.WriteLine($"regami-dr: no run {parse.GetValue(id)}"); return ExitCodes.Usage; }
            if (parse.GetValue(g.Output) == OutputFormat.Json) { Json.Write(run); return ExitCodes.Ok; }
            Console.WriteLine($"{run.Id}: {run.Kind} {run.Outcome.ToString().ToLowerInvariant()} by {run.Actor}, started {run.StartedAt:O}{(run.Detail is null ? "" : $" — {run.Detail}")}");
            foreach (var s in run.Steps)
                Console.WriteLine($"  {s.Index,2}. {s.Name,-24} {s.Outcome.ToString().ToLowerInvariant(),-10} {s.Duration?.TotalSeconds ?? 0,7:0.000} s  x{s.Attempts}  {s.Detail}");
            return ExitCodes.Ok;
        });

        var resumeId = new Argument<string?>("id") { Description = "Run id (default: the newest unfinished run)", Arity = ArgumentArity.ZeroOrOne };
        var yes = Yes();
        var resume = new Command("resume", "Continue an unfinished run from its journal.") { resumeId, yes };
        resume.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var invoker = new RunbookInvoker(session);
            var run = parse.GetValue(resumeId) is { } rid ? await session.Journal.GetAsync(rid, ct) : await session.Journal.FindUnfinishedAsync(null, ct);
            if (run is null) { Console.WriteLine("Nothing to resume."); return ExitCodes.Ok; }
            if (run.Outcome == RunOutcome.Succeeded) { Console.WriteLine($"Run {run.Id} already succeeded; nothing to resume."); return ExitCodes.Ok; }
            return await invoker.InvokeAsync(new RunbookRequest(run.Kind, $"runbook resume {run.Id}", run.Parameters.GetValueOrDefault("to"), false, false, parse.GetValue(yes), parse.GetValue(g.Output), run.Id), ct);
        });

        var abandonId = new Argument<string>("id");
        var abandon = new Command("abandon", "Mark an unfinished run as abandoned so the next command starts afresh (changes nothing else).") { abandonId };
        abandon.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var run = await session.Journal.GetAsync(parse.GetValue(abandonId)!, ct);
            if (run is null) { Console.Error.WriteLine($"regami-dr: no run {parse.GetValue(abandonId)}"); return ExitCodes.Usage; }
            await session.Journal.FinishRunAsync(run.Id, RunOutcome.Refused, $"abandoned by {RunbookInvoker.Actor}", session.Time.GetUtcNow(), ct);
            await session.Store.Audit.AppendAsync(new Core.Audit.AuditEntry(session.Time.GetUtcNow(), RunbookInvoker.Actor, $"runbook abandon {run.Id}", null, $"runbook.{run.Kind}", "abandoned", null), ct);
            Console.WriteLine($"Run {run.Id} abandoned.");
            return ExitCodes.Ok;
        });

        runbook.Subcommands.Add(list);
        runbook.Subcommands.Add(show);
        runbook.Subcommands.Add(resume);
        runbook.Subcommands.Add(abandon);
        return runbook;
    }

    private static async Task<int> Invoke(GlobalOptions g, ParseResult parse, RunbookRequest request, CancellationToken ct)
    {
        using var session = g.Session(parse);
        return await new RunbookInvoker(session).InvokeAsync(request, ct);
    }

    /// <summary>The command as typed, for the audit trail (our options carry no secrets).</summary>
    private static string CommandLine(ParseResult parse) => string.Join(' ', parse.Tokens.Select(t => t.Value));
}
