using Regami.Dr.Core.Backups;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Runbooks;

/// <summary>
/// Makes an instance restored from a backup (`regami-dr restore`) the new primary — the plan's
/// recovery from database corruption. The same safety order as a failover: the old primary is
/// fenced (compute to 0, database stopped; its traffic too when the restored instance is in the
/// other region) before the restored database takes the region's place, exactly one writer is
/// asserted before traffic is routed, and a real write goes through the public name. Then the
/// other region is re-cloned from it: its data follows the old history (it replayed the
/// corruption), so it cannot simply rewind.
/// </summary>
public static class RestorePromoteRunbook
{
    public const string Kind = "restore-promote";

    public static class StepNames
    {
        public const string StopWrites = "stop-writes";
        public const string RestoreBackup = "restore-backup";
        public const string CheckRestored = "check-restored";
        public const string AdoptRestored = "adopt-restored";
        public const string RebuildStandby = "rebuild-standby";
        public const string BackupAfter = "backup-after";
    }

    /// <param name="name">The restored instance.</param>
    /// <param name="region">The region it was restored into: it becomes that region's database and the primary.</param>
    /// <param name="primary">The primary when the run started (fenced first).</param>
    /// <param name="other">The region re-cloned as the new primary's standby at the end.</param>
    public static Runbook Build(string name, string region, string primary, string other, DrPorts ports, IBackupPort backups, FailoverPolicy policy)
    {
        var p = new Dictionary<string, string> { ["name"] = name, ["to"] = region, ["from"] = primary, ["other"] = other };
        // Restored in the primary's region: its traffic stays routed (clients get errors until compute is back);
        // in the other region: the old region's routing is fenced too, as a failover does.
        var fence = FailoverRunbook.FenceSteps(primary, region, ports).Where(s => region != primary || s.Name != FailoverRunbook.StepNames.FenceTraffic);
        return new Runbook(Kind, p, [
            CheckRestored(name, backups, policy),
            .. fence,
            Adopt(name, region, other, ports, backups),
            FailoverRunbook.ScaleUp(region, ports, policy),
            FailoverRunbook.AssertSingleWriter(region, ports, policy),
            FailoverRunbook.RouteTraffic(region, ports),
            FailoverRunbook.VerifyPublicWrite(region, ports),
            RebuildStandby(other, region, ports),
            BackupAfter(name, backups),
        ]);
    }

    /// <summary>
    /// The restore and its promotion as one run, for the recoveries that start from nothing restored yet (the
    /// corruption and provider-outage drills): the whole recovery holds the runbook lock, so the controller,
    /// which sees a primary without compute or without a database, waits instead of failing over to a standby
    /// that replayed the damage. <paramref name="stopWritesFirst"/> scales the primary's compute to 0 before
    /// the restore: a damaged database must take no more writes (the application re-creates a dropped table
    /// and writes into it, and the restore would lose those writes).
    /// </summary>
    public static Runbook BuildWithRestore(RestorePlan plan, bool stopWritesFirst, string primary, string other, DrPorts ports, IBackupPort backups, FailoverPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var promote = Build(plan.Name, plan.Region, primary, other, ports, backups, policy);
        var p = new Dictionary<string, string>(promote.Parameters) { ["restore"] = plan.Source, ["backup"] = plan.Copy.Label, ["repository"] = plan.Copy.Region };
        List<RunbookStep> first = stopWritesFirst ? [StopWrites(primary, ports)] : [];
        return new Runbook(Kind, p, [.. first, RestoreBackup(plan, backups), .. promote.Steps]);
    }

    private static RunbookStep StopWrites(string primary, DrPorts ports) => new()
    {
        Name = StepNames.StopWrites,
        Description = $"scale {primary}'s compute to 0 before the restore: the damaged database takes no more writes",
        Region = primary,
        Options = new StepOptions(TimeSpan.FromSeconds(30), 1),
        AlreadyDone = async (ctx, ct) => (await ports.Compute.ObserveAsync(primary, ct)) is { Desired: 0, Running: 0 } ? "no instances run there" : null,
        Execute = (ctx, ct) => ports.Compute.ScaleAsync(primary, 0, ct),
    };

    private static RunbookStep RestoreBackup(RestorePlan plan, IBackupPort backups) => new()
    {
        Name = StepNames.RestoreBackup,
        Description = $"restore {plan.Source} from {plan.Copy.Region}'s repository into a new instance {plan.Name} in {plan.Region}",
        Region = plan.Region,
        Options = new StepOptions(TimeSpan.FromHours(6), 1),
        AlreadyDone = async (ctx, ct) => (await backups.ListRestoresAsync(ct)).FirstOrDefault(r => r.Name == plan.Name) is { State: "running" } r
            ? $"{plan.Name} is restored already ({r.Host}:{r.Port})" : null,
        Execute = async (ctx, ct) =>
        {
            var r = await backups.RestoreAsync(plan, _ => { }, ct);
            return $"{r.Name} at {r.Host}:{r.Port}, restored from {plan.Source} ({plan.Copy.Label}, {plan.Copy.Region}'s repository) in {r.Seconds:0.0} s";
        },
    };

    /// <summary>
    /// The restored instance wrote WAL with archiving off (a rescue instance must not push into the
    /// repositories): a backup of the new primary gives point-in-time restores a base on its timeline.
    /// </summary>
    private static RunbookStep BackupAfter(string name, IBackupPort backups) => new()
    {
        Name = StepNames.BackupAfter,
        Description = $"take a backup of the new primary, copied to every region (the base of later point-in-time restores)",
        Options = new StepOptions(TimeSpan.FromHours(2), 1),
        Execute = async (ctx, ct) =>
        {
            var b = await backups.CreateAsync(new BackupRequest(BackupClass.Manual, $"after restore promote of {name} (run {ctx.RunId})"), _ => { }, ct);
            return $"backup {b.Id} ({b.Kind}) with copies in {string.Join(", ", b.Regions)}";
        },
    };

    private static RunbookStep CheckRestored(string name, IBackupPort backups, FailoverPolicy policy) => new()
    {
        Name = StepNames.CheckRestored,
        IsGuard = true,
        Description = $"check that the restored instance {name} exists and runs (restored, recovery finished)",
        Options = new StepOptions(policy.GuardTimeout),
        AlreadyDone = async (ctx, ct) => (await backups.ListRestoresAsync(ct)).Any(r => r.Name == name) ? null : "adopted earlier (no longer a separate instance)",
        Execute = async (ctx, ct) =>
        {
            var r = (await backups.ListRestoresAsync(ct)).FirstOrDefault(x => x.Name == name)
                ?? throw new GuardRefusedException("restored-instance", $"no restored instance {name} (`regami-dr restore list`); nothing was changed");
            if (r.State != "running")
                throw new GuardRefusedException("restored-instance", $"{name} is {r.State}, not running; nothing was changed");
            return $"{name} runs at {r.Host}:{r.Port}, restored from {r.Source} ({r.BackupLabel})";
        },
    };

    private static RunbookStep Adopt(string name, string region, string other, DrPorts ports, IBackupPort backups) => new()
    {
        Name = StepNames.AdoptRestored,
        Description = $"make {name} {region}'s database (the region's previous data kept aside), archiving into the repositories; record {region} as primary",
        Region = region,
        Options = new StepOptions(TimeSpan.FromMinutes(5), 1),
        AlreadyDone = async (ctx, ct) => (await backups.ListRestoresAsync(ct)).All(r => r.Name != name)
            && (await ports.Database.ObserveAsync(region, ct)) is { Writable: true } ? $"{region}'s database is the restored one and accepts writes" : null,
        Execute = async (ctx, ct) =>
        {
            var what = await backups.AdoptAsync(name, region, ct);
            await ports.Topology.SetRoleAsync(region, RegionRole.Primary, ct);
            // The other region replayed the history the restore undid: until it is re-cloned it is no standby.
            if (other != region) await ports.Topology.SetRoleAsync(other, RegionRole.Fenced, ct);
            return what;
        },
        Verify = async (ctx, ct) => (await ports.Database.ObserveAsync(region, ct)) is { Writable: true } ? null : $"{region}'s database does not accept writes",
    };

    private static RunbookStep RebuildStandby(string other, string primary, DrPorts ports) => new()
    {
        Name = StepNames.RebuildStandby,
        Description = $"re-clone {other} from {primary} as its standby (its data follows the history the restore undid)",
        Region = other,
        Options = new StepOptions(TimeSpan.FromMinutes(30), 1),
        AlreadyDone = async (ctx, ct) => (await ports.Topology.GetAsync(ct)).Roles.GetValueOrDefault(other) == RegionRole.Standby
            && (await ports.Database.ObserveAsync(other, ct)) is { Reachable: true, InRecovery: true } ? $"{other} is already {primary}'s standby" : null,
        Execute = async (ctx, ct) =>
        {
            // It still runs as the old primary's standby (or is the fenced old primary): stopped before it is re-cloned.
            var stopped = (await ports.Database.ObserveAsync(other, ct)).Running ? await ports.Database.FenceAsync(other, ct) : null;
            var outcome = await ports.Database.RebuildAsReplicaAsync(other, primary, ReclonePolicy.Always, ct);
            var started = await ports.Database.StartAsync(other, ct);
            var notes = new List<string> { outcome.Detail, started };
            if (stopped is not null) notes.Insert(0, stopped);
            // Synchronous replication resumes only once the standby has caught up (writes would wait for it otherwise).
            if ((await ports.Topology.GetAsync(ct)).ReplicationMode == ReplicationMode.Sync)
            {
                await ports.Database.WaitUntilCaughtUpAsync(primary, other, 0, TimeSpan.FromMinutes(10), ct);
                await ports.Database.SetSynchronousStandbyAsync(primary, other, ct);
                notes.Add($"synchronous replication to {other} again");
            }
            await ports.Topology.SetRoleAsync(other, RegionRole.Standby, ct);
            return string.Join("; ", notes);
        },
    };
}
