using System.CommandLine;
using System.Globalization;
using Regami.Dr.Cli.Output;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Backups;

namespace Regami.Dr.Cli.Commands;

/// <summary>`backup create|list|prune|copy|verify|schedule`: the plan's backup policy, carried out by the provider's engine.</summary>
public static class BackupCommand
{
    public static Command Create(GlobalOptions g)
    {
        var backup = new Command("backup", "Backups of the database: take, list, copy across regions, verify by restoring, prune by the plan's retention.");
        backup.Subcommands.Add(CreateCommand(g));
        backup.Subcommands.Add(ListCommand(g));
        backup.Subcommands.Add(PruneCommand(g));
        backup.Subcommands.Add(CopyCommand(g));
        backup.Subcommands.Add(VerifyCommand(g));
        backup.Subcommands.Add(ScheduleCommand(g));
        backup.Subcommands.Add(DeleteCommand(g));
        backup.Subcommands.Add(RestoreTestCommand(g));
        return backup;
    }

    internal static IBackupPort Port(CliSession session) =>
        session.Bundle.Backups ?? throw new CliException($"the {session.Bundle.Name} provider has no backups in this version of regami-dr", ExitCodes.Usage);

    /// <summary>Progress of long work goes to stderr (stdout stays the result, text or JSON).</summary>
    internal static Action<string> Progress() =>
        msg => Console.Error.WriteLine($"  … {msg}");

    private static Command CreateCommand(GlobalOptions g)
    {
        var cls = new Option<string>("--class") { Description = $"Retention class: {BackupClasses.Names} (default manual: kept until deleted)", DefaultValueFactory = _ => "manual" };
        var reason = new Option<string?>("--reason") { Description = "Why (e.g. pre-migration); kept with the backup" };
        var diff = new Option<bool>("--differential") { Description = "Only what changed since the last full backup (faster; restores with its full)" };
        var noCopy = new Option<bool>("--no-copy") { Description = "Do not copy it to the other region (the plan copies every backup)" };
        var cmd = new Command("create", "Take a backup of the primary now, and copy it to the other region.") { cls, reason, diff, noCopy };
        cmd.SetAction(async (parse, ct) =>
        {
            if (!BackupClasses.TryParse(parse.GetValue(cls), out var c))
                throw new CliException($"--class must be one of {BackupClasses.Names} (found '{parse.GetValue(cls)}')", ExitCodes.Usage);
            using var session = g.Session(parse);
            var port = Port(session);
            var record = await port.CreateAsync(new BackupRequest(c, parse.GetValue(reason), parse.GetValue(diff), !parse.GetValue(noCopy)), Progress(), ct);
            await session.Store.Audit.AppendAsync(new AuditEntry(session.Time.GetUtcNow(), CliSession.Actor, "backup create", null, "backup.create", AuditOutcome.Succeeded,
                $"{record.Id} ({record.Class.Name()}{(record.Reason is null ? "" : ", " + record.Reason)}) copies: {string.Join(", ", record.Copies.Select(x => $"{x.Region} {x.Label}"))}"), ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(record);
            else Console.WriteLine($"Backup {record.Id} ({record.Kind}, {record.Class.Name()}) of {Size(record.DatabaseBytes)}; copies in {string.Join(", ", record.Regions)}.");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command ListCommand(GlobalOptions g)
    {
        var cmd = new Command("list", "Every usable backup, oldest first: id, time, class, reason, size, regions holding a copy, last verification.");
        cmd.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var port = Port(session);
            var backups = await port.ListAsync(ct);
            var window = await port.WindowAsync(ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) { Json.Write(new { engine = port.Engine, backups, recoveryWindow = window }); return ExitCodes.Ok; }
            if (backups.Count == 0) { Console.WriteLine("No backups yet. Take one with `regami-dr backup create`."); return ExitCodes.Ok; }
            Console.WriteLine($"{"ID",-34} {"CLASS",-10} {"KIND",-4} {"FINISHED (UTC)",-19} {"SIZE",9} {"COPIES",-27} {"VERIFIED",-22} REASON");
            foreach (var b in backups)
            {
                var verified = b.LastVerified is { } v ? $"{(v.Passed ? "ok" : "FAILED")} {v.At:MM-dd HH:mm}" : "never";
                Console.WriteLine($"{b.Id,-34} {b.Class.Name(),-10} {b.Kind,-4} {b.FinishedAt:yyyy-MM-dd HH:mm:ss} {Size(b.DatabaseBytes),9} {string.Join(",", b.Regions),-27} {verified,-22} {b.Reason}");
            }
            Console.WriteLine(window is null ? "Recoverable window: none." : $"Recoverable window (point in time): {window}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command PruneCommand(GlobalOptions g)
    {
        var dry = new Option<bool>("--dry-run") { Description = "Print exactly what a prune would delete and keep, and why; delete nothing" };
        var cmd = new Command("prune", "Delete the backups the retention policy expires (daily 7 d, compliance 14 d, monthly 1 y by default); never the newest of a class, never one a restore reads.") { dry };
        cmd.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var port = Port(session);
            var plan = RetentionPolicy.Plan(await port.ListAsync(ct), session.Time.GetUtcNow(), session.Configuration.Config.Backups.Rules, await port.InUseAsync(ct));
            var dryRun = parse.GetValue(dry);
            var deleted = new List<string>();
            if (!dryRun)
            {
                foreach (var b in plan.ToDelete)
                {
                    await port.DeleteAsync(b, ct);
                    deleted.Add(b.Id);
                    await session.Store.Audit.AppendAsync(new AuditEntry(session.Time.GetUtcNow(), CliSession.Actor, "backup prune", null, "backup.delete", AuditOutcome.Succeeded,
                        $"{b.Id} ({b.Class.Name()}, finished {b.FinishedAt:O}): {plan.Items.First(i => i.Backup.Id == b.Id).Reason}"), ct);
                }
            }
            if (parse.GetValue(g.Output) == OutputFormat.Json)
                Json.Write(new { dryRun, at = plan.At, items = plan.Items.Select(i => new { id = i.Backup.Id, @class = i.Backup.Class, finishedAt = i.Backup.FinishedAt, delete = i.Delete, reason = i.Reason }) });
            else
            {
                foreach (var i in plan.Items)
                    Console.WriteLine($"{(i.Delete ? (dryRun ? "would delete" : "deleted") : "keep"),-12} {i.Backup.Id,-34} {i.Backup.Class.Name(),-10} {i.Reason}");
                Console.WriteLine($"{(dryRun ? "Would delete" : "Deleted")} {plan.ToDelete.Count()} of {plan.Items.Count} backup(s).");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command CopyCommand(GlobalOptions g)
    {
        var id = new Argument<string>("id") { Description = "The backup's id (`regami-dr backup list`)" };
        var to = new Option<string>("--to") { Description = "The region whose repository gets the copy", Required = true };
        var cmd = new Command("copy", "Copy a backup into another region's repository (idempotent).") { id, to };
        cmd.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var region = parse.GetValue(to)!;
            if (session.Configuration.Config.FindRegion(region) is null)
                throw new CliException($"unknown region '{region}'; regions: {string.Join(", ", session.Configuration.Config.Regions.Select(r => r.Name))}", ExitCodes.Usage);
            var record = await Port(session).CopyAsync(parse.GetValue(id)!, region, Progress(), ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(record);
            else Console.WriteLine($"Backup {record.Id}: copies in {string.Join(", ", record.Copies.Select(c => $"{c.Region} ({c.Label})"))}.");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command VerifyCommand(GlobalOptions g)
    {
        var id = new Argument<string?>("id") { Description = "The backup to verify (default: the newest)", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("verify", "pgBackRest's integrity check of every copy, then a real restore into a scratch instance that must answer queries; exit 1 naming what failed.") { id };
        cmd.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var port = Port(session);
            var which = parse.GetValue(id) ?? (await port.ListAsync(ct)).LastOrDefault()?.Id
                ?? throw new CliException("there is no backup to verify; take one with `regami-dr backup create`", ExitCodes.Usage);
            var v = await port.VerifyAsync(which, Progress(), ct);
            await session.Store.Audit.AppendAsync(new AuditEntry(v.At, CliSession.Actor, "backup verify", null, "backup.verify",
                v.Passed ? AuditOutcome.Succeeded : AuditOutcome.Failed, $"{v.BackupId}: {v.Summary}"), ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(new { v.BackupId, v.At, v.Passed, v.Summary, v.Copies, v.Restore });
            else
            {
                foreach (var c in v.Copies)
                    Console.WriteLine($"  integrity {c.Region,-13} {c.Label,-34} {(c.Valid ? "ok" : "INVALID: " + string.Join("; ", c.Problems))}");
                if (v.Restore is { } r)
                    Console.WriteLine($"  restore   {(r.Passed ? $"ok in {r.Seconds:0.0} s: records {r.Rows} rows, checksum {(r.Checksum is { Length: > 0 } sum ? sum : "-")}" : "FAILED: " + r.Error)}");
                Console.WriteLine($"Backup {v.BackupId}: {(v.Passed ? "VERIFIED" : "FAILED")} — {v.Summary}");
            }
            return v.Passed ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return cmd;
    }

    private static Command DeleteCommand(GlobalOptions g)
    {
        var id = new Argument<string>("id") { Description = "The backup to delete, with all its copies (`regami-dr backup list`)" };
        var dry = new Option<bool>("--dry-run") { Description = "Say what would be deleted; delete nothing" };
        var cmd = new Command("delete", "Delete one backup and every copy of it (manual backups are kept until deleted). Refused while a restore reads it, a kept differential needs it, or it is a repository's last full backup.") { id, dry };
        cmd.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var port = Port(session);
            var all = await port.ListAsync(ct);
            var wanted = parse.GetValue(id)!;
            var backup = all.FirstOrDefault(b => b.Id == wanted)
                ?? throw new CliException(RestorePlanner.UnknownBackup(wanted, all.Select(b => b.Id)), ExitCodes.Usage);
            if ((await port.InUseAsync(ct)).Contains(backup.Id))
                throw new CliException($"{backup.Id} is being read by a running restore (`regami-dr restore list`); delete it once that restore is done", ExitCodes.Usage);
            if (all.FirstOrDefault(b => b.DependsOn == backup.Id) is { } dependent)
                throw new CliException($"the differential {dependent.Id} restores only with {backup.Id}; delete {dependent.Id} first", ExitCodes.Usage);
            if (RetentionPolicy.OnlyFullIn(all, backup) is { Count: > 0 } alone)
                throw new CliException($"{backup.Id} is the last full backup in {string.Join(" and ", alone)}'s repository: without it {string.Join(" and ", alone)} could restore nothing. " +
                    $"Take a new backup first (`regami-dr backup create`), then delete {backup.Id}", ExitCodes.Usage);
            var where = string.Join(", ", backup.Copies.Select(c => $"{c.Region} ({c.Label})"));
            if (parse.GetValue(dry)) { Console.WriteLine($"Would delete {backup.Id} ({backup.Class.Name()}) and its copies in {where}."); return ExitCodes.Ok; }
            await port.DeleteAsync(backup, ct);
            await session.Store.Audit.AppendAsync(new AuditEntry(session.Time.GetUtcNow(), CliSession.Actor, $"backup delete {backup.Id}", null, "backup.delete", AuditOutcome.Succeeded,
                $"{backup.Id} ({backup.Class.Name()}) copies: {where}"), ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(new { deleted = backup.Id, copies = backup.Copies });
            else Console.WriteLine($"Deleted {backup.Id} and its copies in {where}.");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command RestoreTestCommand(GlobalOptions g)
    {
        var cmd = new Command("restore-test", "What the weekly schedule runs: restore the latest backup and a point in time a minute ago into scratch instances and check them; exit 1 when either fails.");
        cmd.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var result = await Port(session).RestoreTestAsync(Progress(), ct);
            await session.Store.Audit.AppendAsync(new AuditEntry(result.At, CliSession.Actor, "backup restore-test", null, "backup.restore-test",
                result.Passed ? AuditOutcome.Succeeded : AuditOutcome.Failed, result.Summary), ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(new { result.At, result.Passed, result.Summary, result.BackupId, result.Snapshot, result.PointInTime, result.PointInTimeRestore, result.Error });
            else Console.WriteLine(result.Summary);
            return result.Passed ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return cmd;
    }

    private static Command ScheduleCommand(GlobalOptions g)
    {
        var count = new Option<int>("--count") { Description = "Runs to show per schedule", DefaultValueFactory = _ => 3 };
        var cmd = new Command("schedule", "The backup and restore-test schedules (cron, UTC): next runs, and runs that were missed.") { count };
        cmd.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var config = session.Configuration.Config.Backups;
            var now = session.Time.GetUtcNow();
            var next = BackupSchedules.Next(config.Schedules, now, Math.Clamp(parse.GetValue(count), 1, 50));
            IReadOnlyList<MissedRun> missed = [];
            if (session.Bundle.Backups is { } port && await port.ListAsync(ct) is { Count: > 0 } backups)
            {
                // Missed runs are counted from the first backup on: before it, nothing was scheduled yet.
                var lastRuns = backups.GroupBy(b => b.Class.Name()).ToDictionary(x => x.Key, x => x.Max(b => b.StartedAt));
                foreach (var v in backups.Where(b => b.LastVerified is not null))
                    if (!lastRuns.TryGetValue("restore-test", out var t) || v.LastVerified!.At > t) lastRuns["restore-test"] = v.LastVerified!.At;
                missed = BackupSchedules.Missed(config.Schedules, now, backups.Min(b => b.StartedAt), lastRuns, TimeSpan.FromHours(1));
            }
            if (parse.GetValue(g.Output) == OutputFormat.Json) { Json.Write(new { now, schedules = config.Schedules.Jobs.Select(j => new { job = j.Job, cron = j.Cron }), next, missed }); return ExitCodes.Ok; }
            foreach (var (job, _, cron) in config.Schedules.Jobs)
                Console.WriteLine($"{job,-13} {(cron.Length == 0 ? "off" : cron),-16} next: {string.Join(", ", next.Where(r => r.Job == job).Select(r => r.At.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "Z"))}");
            foreach (var m in missed)
                Console.WriteLine($"MISSED {m.Job}: due {m.Due:yyyy-MM-dd HH:mm}Z, last run {(m.LastRun is { } l ? l.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "Z" : "never")}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
