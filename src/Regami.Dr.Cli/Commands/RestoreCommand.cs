using System.CommandLine;
using System.Globalization;
using Regami.Dr.Cli.Output;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Backups;

namespace Regami.Dr.Cli.Commands;

/// <summary>
/// `restore --snapshot ID | --to-time T --as NAME`, `restore list`, `restore drop NAME`: a backup
/// or a point in time restored into a NEW instance (as RDS does): the running primary is never overwritten.
/// </summary>
public static class RestoreCommand
{
    public static Command Create(GlobalOptions g)
    {
        var snapshot = new Option<string?>("--snapshot") { Description = "Restore this backup (its id from `regami-dr backup list`) as of its consistent point" };
        var toTime = new Option<string?>("--to-time") { Description = "Restore to this point in time (ISO 8601 UTC, e.g. 2026-11-29T14:03:00Z): WAL replayed up to it" };
        var name = new Option<string?>("--as") { Description = "The new instance's name (lower-case letters, digits, '-')" };
        var latest = new Option<bool>("--latest") { Description = "Restore the newest backup and replay every archived WAL segment (the newest recoverable point: when the databases themselves are lost)" };
        var region = new Option<string?>("--region") { Description = "The region to restore into (default: the primary's)" };
        var dry = new Option<bool>("--dry-run") { Description = "Check the request and print what would be restored; restore nothing" };
        var restore = new Command("restore", "Restore a backup or a point in time into a new instance beside the lab's, and print how to connect to it.")
        {
            snapshot, toTime, latest, name, region, dry,
        };
        restore.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(name) is not { } asName)
                throw new CliException("--as NAME is required: the restored instance's name (`regami-dr restore list` shows the existing ones)", ExitCodes.Usage);
            DateTimeOffset? t = null;
            if (parse.GetValue(toTime) is { } text)
            {
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
                    throw new CliException($"--to-time '{text}' is not a time; write ISO 8601 UTC, e.g. 2026-11-29T14:03:00Z", ExitCodes.Usage);
                t = parsed;
            }
            using var session = g.Session(parse);
            var port = BackupCommand.Port(session);
            var topology = await session.Bundle.Ports.Topology.GetAsync(ct);
            var regions = session.Configuration.Config.Regions.Select(r => r.Name).ToList();
            var existing = (await port.ListRestoresAsync(ct)).Select(r => r.Name).ToList();
            RestorePlan plan;
            try
            {
                plan = RestorePlanner.Plan(new RestoreRequest(asName, parse.GetValue(snapshot), t, parse.GetValue(region), parse.GetValue(latest)),
                    await port.ListAsync(ct), await port.WindowAsync(ct), session.Time.GetUtcNow(), existing, regions, topology.Primary ?? regions[0]);
            }
            catch (RestoreRequestException e) { throw new CliException(e.Message, ExitCodes.Usage); }
            var what = $"{plan.Name} in {plan.Region} from {plan.Copy.Label} ({plan.Copy.Region}'s repository)" + (plan.ToTime is { } to ? $" replayed to {to:yyyy-MM-ddTHH:mm:ss.fffZ}" : plan.Latest ? " with every archived WAL segment replayed" : " at its consistent point");
            if (parse.GetValue(dry))
            {
                if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(new { dryRun = true, plan.Name, plan.Region, backupId = plan.Backup.Id, backupLabel = plan.Copy.Label, sourceRegion = plan.Copy.Region, plan.ToTime, plan.Latest });
                else Console.WriteLine($"Would restore {what}.");
                return ExitCodes.Ok;
            }
            var instance = await port.RestoreAsync(plan, BackupCommand.Progress(), ct);
            await session.Store.Audit.AppendAsync(new AuditEntry(session.Time.GetUtcNow(), CliSession.Actor, "restore", plan.Region, "restore.create", AuditOutcome.Succeeded,
                $"{what}: {instance.Host}:{instance.Port} in {instance.Seconds:0.0} s"), ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(instance);
            else
            {
                Console.WriteLine($"Restored {what} in {instance.Seconds:0.0} s.");
                Console.WriteLine($"  connect: psql \"host={instance.Host} port={instance.Port} dbname={instance.Database} user={instance.User}\"");
                Console.WriteLine($"  `regami-dr restore drop {instance.Name}` removes it.");
            }
            return ExitCodes.Ok;
        });

        var list = new Command("list", "Restored instances: name, region, address, what they were restored from, state.");
        list.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var all = await BackupCommand.Port(session).ListRestoresAsync(ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) { Json.Write(all); return ExitCodes.Ok; }
            if (all.Count == 0) { Console.WriteLine("No restored instances."); return ExitCodes.Ok; }
            foreach (var r in all)
                Console.WriteLine($"{r.Name,-20} {r.Region,-13} {r.Host}:{r.Port,-6} {r.State,-9} {r.Source} ({r.BackupLabel}), created {r.CreatedAt:yyyy-MM-dd HH:mm:ss}Z");
            return ExitCodes.Ok;
        });

        var dropName = new Argument<string>("name") { Description = "The restored instance to stop and delete" };
        var dropDry = new Option<bool>("--dry-run") { Description = "Say what would be dropped; change nothing" };
        var drop = new Command("drop", "Stop a restored instance and delete its files (idempotent).") { dropName, dropDry };
        drop.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var port = BackupCommand.Port(session);
            var target = parse.GetValue(dropName)!;
            var found = (await port.ListRestoresAsync(ct)).FirstOrDefault(r => r.Name == target);
            if (parse.GetValue(dropDry))
            {
                Console.WriteLine(found is null ? $"No restored instance named {target}; nothing to drop." : $"Would stop and delete {target} ({found.Host}:{found.Port}, {found.State}).");
                return ExitCodes.Ok;
            }
            var dropped = await port.DropRestoreAsync(target, ct);
            if (dropped)
                await session.Store.Audit.AppendAsync(new AuditEntry(session.Time.GetUtcNow(), CliSession.Actor, $"restore drop {target}", found?.Region, "restore.drop", AuditOutcome.Succeeded, target), ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(new { name = target, dropped });
            else Console.WriteLine(dropped ? $"Dropped {target}." : $"No restored instance named {target}; nothing to drop.");
            return ExitCodes.Ok;
        });
        var promoteName = new Argument<string>("name") { Description = "The restored instance to make the primary" };
        var promoteDry = new Option<bool>("--dry-run") { Description = "Print the runbook's plan; change nothing" };
        var promoteYes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation" };
        var promote = new Command("promote", "Journaled runbook: fence the old primary, make the restored instance its region's database, " +
            "bring compute and traffic to it, verify a public write, re-clone the other region as its standby (recovery from corruption).") { promoteName, promoteDry, promoteYes };
        promote.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var name = parse.GetValue(promoteName)!;
            var restored = (await BackupCommand.Port(session).ListRestoresAsync(ct)).FirstOrDefault(r => r.Name == name);
            // Resuming an unfinished promote finds its instance adopted already: the journal has its region.
            var unfinished = await session.Journal.FindUnfinishedAsync(Core.Runbooks.RestorePromoteRunbook.Kind, ct);
            var region = restored?.Region ?? (unfinished?.Parameters.GetValueOrDefault("name") == name ? unfinished.Parameters.GetValueOrDefault("to") : null)
                ?? throw new CliException($"no restored instance named {name} (`regami-dr restore list`)", ExitCodes.Usage);
            return await new Runbooks.RunbookInvoker(session).InvokeAsync(new Runbooks.RunbookRequest(Core.Runbooks.RestorePromoteRunbook.Kind, $"restore promote {name}",
                region, false, parse.GetValue(promoteDry), parse.GetValue(promoteYes), parse.GetValue(g.Output), Restored: name), ct);
        });
        restore.Subcommands.Add(list);
        restore.Subcommands.Add(drop);
        restore.Subcommands.Add(promote);
        return restore;
    }
}
