using System.CommandLine;
using Regami.Dr.Cli.Output;
using Regami.Dr.Cli.Runbooks;

namespace Regami.Dr.Cli.Commands;

/// <summary>`audit list|verify|prune`: the tamper-evident trail of every failover event.</summary>
public static class AuditCommand
{
    public static Command Create(GlobalOptions g)
    {
        var audit = new Command("audit", "The audit trail: every runbook step, guard refusal, fence and role change, hash-chained.");

        var since = new Option<DateTimeOffset?>("--since") { Description = "Only events at or after this time (ISO 8601)" };
        var limit = new Option<int?>("--limit") { Description = "At most this many events" };
        var list = new Command("list", "Events, oldest first.") { since, limit };
        list.SetAction(async (parse, ct) =>
        {
            var events = await g.Session(parse).Store.Audit.ListAsync(parse.GetValue(since), parse.GetValue(limit), ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) { Json.Write(events); return ExitCodes.Ok; }
            foreach (var e in events)
                Console.WriteLine($"{e.Sequence,6} {e.Entry.At:yyyy-MM-dd HH:mm:ss.fff}Z {e.Entry.Actor,-20} {e.Entry.Region ?? "-",-13} {e.Entry.Action,-28} {e.Entry.Outcome,-9} {e.Entry.Details}");
            if (events.Count == 0) Console.WriteLine("No audit events.");
            return ExitCodes.Ok;
        });

        var verify = new Command("verify", "Recompute the hash chain; exit 1 naming the first broken link when an event was edited, removed or reordered.");
        verify.SetAction(async (parse, ct) =>
        {
            var v = await g.Session(parse).Store.Audit.VerifyAsync(ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(v);
            else Console.WriteLine(v.Sentence);
            return v.Valid ? ExitCodes.Ok : ExitCodes.Failed;
        });

        var olderThan = new Option<int>("--older-than-days") { Description = "Prune events older than this many days (never fewer than 90)", DefaultValueFactory = _ => 90 };
        var dry = new Option<bool>("--dry-run") { Description = "Say what would be pruned; change nothing" };
        var prune = new Command("prune", "Delete events older than the retention (≥ 90 days), keeping the chain verifiable.") { olderThan, dry };
        prune.SetAction(async (parse, ct) =>
        {
            var now = TimeProvider.System.GetUtcNow();
            var r = await g.Session(parse).Store.Audit.PruneAsync(now.AddDays(-parse.GetValue(olderThan)), now, parse.GetValue(dry), ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(r);
            else Console.WriteLine($"{(parse.GetValue(dry) ? "Would prune" : "Pruned")} {r.Pruned} event(s) older than {r.EffectiveCutoff:O}{(r.Clamped ? " (clamped to the 90-day minimum retention)" : "")}.");
            return ExitCodes.Ok;
        });

        audit.Subcommands.Add(list);
        audit.Subcommands.Add(verify);
        audit.Subcommands.Add(prune);
        return audit;
    }
}
