using System.Diagnostics;
using Npgsql;
using Regami.Dr.Core.Backups;
using Regami.Dr.Lab.Postgres;
using Regami.Dr.Lab.Processes;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Lab.Backups;

/// <summary>
/// The lab's backups port over pgBackRest. A backup is taken from the current primary into its
/// region's repository; its cross-region copy is a second full backup into the other region's
/// repository, annotated as a copy of the first (pgBackRest 2.45 cannot copy a backup between
/// repositories, so a copy's consistent point is a few seconds later than the original's — the
/// list shows each copy's own time). Restores go into new instances beside the lab's.
/// </summary>
public sealed class LabBackupPort(LabEnvironment env) : IBackupPort
{
    private const string CopyOf = "copy-of";
    private static readonly TimeSpan PromoteTimeout = TimeSpan.FromMinutes(10);
    private readonly PgBackRest engine = new(env);
    private readonly RestoredInstances restores = new(env);

    public string Engine => "pgBackRest";

    private string Database => env.Options.Database.Name;
    private string User => env.Options.Database.User;

    private async Task<string> PrimaryAsync(CancellationToken ct)
    {
        var topology = await env.Topology.GetAsync(ct);
        var primary = topology.Primary ?? throw new LabException("no region is recorded as primary (a failover is unfinished?); `regami-dr status` shows the roles");
        var cluster = env.Cluster(primary);
        if (!cluster.IsRunning())
            throw new LabException($"the primary {primary} is not running: backups are taken from the primary; start it with `regami-dr lab up`");
        return primary;
    }

    public async Task<BackupRecord> CreateAsync(BackupRequest request, Action<string> progress, CancellationToken ct)
    {
        var primary = await PrimaryAsync(ct);
        await engine.EnsureStanzaAsync(primary, ct);
        var annotations = Annotations(request.Class, request.Reason);
        progress($"{(request.Differential ? "differential" : "full")} backup of {primary} into its repository (repo{engine.RepoOf(primary)})");
        var sw = Stopwatch.StartNew();
        var label = await engine.BackupAsync(primary, engine.RepoOf(primary), request.Differential, annotations, ct);
        progress($"backup {label} taken in {sw.Elapsed.TotalSeconds:0.0} s");
        if (request.CopyToOtherRegions)
        {
            foreach (var other in env.Options.Regions.Where(r => r.Name != primary))
            {
                try { await CopyAsync(label, other.Name, progress, ct); }
                catch (Exception e) when (e is LabException or CommandFailedException)
                {
                    throw new LabException($"backup {label} was taken in {primary}, but its copy to {other.Name} failed: {e.Message}. " +
                        $"The backup is usable; retry the copy with `regami-dr backup copy {label} --to {other.Name}`", e);
                }
            }
        }
        return await FindAsync(label, ct);
    }

    private static Dictionary<string, string> Annotations(BackupClass c, string? reason)
    {
        var a = new Dictionary<string, string> { ["class"] = c.Name() };
        if (!string.IsNullOrWhiteSpace(reason)) a["reason"] = reason.ReplaceLineEndings(" ").Trim();
        return a;
    }

    public async Task<IReadOnlyList<BackupRecord>> ListAsync(CancellationToken ct)
    {
        var infos = await engine.InfoAsync(ct);
        var verified = LabJson.Read<Dictionary<string, BackupVerificationSummary>>(env.Paths.VerificationsFile) ?? [];
        var records = new List<BackupRecord>();
        // An original and the copies annotated as its copies form one backup; a copy whose original is
        // gone (its repository was lost, or pruned by hand) stands for the backup on its own, under the same id.
        foreach (var group in infos.GroupBy(b => b.Annotations.GetValueOrDefault(CopyOf) ?? b.Label))
        {
            var original = group.FirstOrDefault(b => b.Label == group.Key) ?? group.OrderBy(b => b.Stop).First();
            records.Add(new BackupRecord
            {
                Id = group.Key,
                Kind = original.Type == "full" ? "full" : original.Type,
                Class = BackupClasses.TryParse(original.Annotations.GetValueOrDefault("class"), out var c) ? c : BackupClass.Manual,
                Reason = original.Annotations.GetValueOrDefault("reason"),
                StartedAt = original.Start,
                FinishedAt = original.Stop,
                DatabaseBytes = original.DatabaseBytes,
                Copies = group.OrderBy(b => b.Stop).Select(b => new BackupCopy(engine.RegionOfRepo(b.Repo), b.Label, b.Stop, b.RepositoryBytes)).ToList(),
                DependsOn = original.Type == "full" ? null : original.Prior,
                LastVerified = verified.GetValueOrDefault(group.Key),
            });
        }
        return records.OrderBy(r => r.FinishedAt).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();
    }

    private async Task<BackupRecord> FindAsync(string id, CancellationToken ct)
    {
        var all = await ListAsync(ct);
        return all.FirstOrDefault(b => b.Id == id) ?? all.FirstOrDefault(b => b.Copies.Any(c => c.Label == id))
            ?? throw new RestoreRequestException(RestorePlanner.UnknownBackup(id, all.Select(b => b.Id)));
    }

    public async Task<BackupRecord> CopyAsync(string id, string region, Action<string> progress, CancellationToken ct)
    {
        var backup = await FindAsync(id, ct);
        if (backup.CopyIn(region) is not null) { progress($"{backup.Id} already has a copy in {region}"); return backup; }
        var primary = await PrimaryAsync(ct);
        var annotations = Annotations(backup.Class, backup.Reason);
        annotations[CopyOf] = backup.Id;
        progress($"copy of {backup.Id} into {region} (repo{engine.RepoOf(region)}): a full backup of {primary}");
        var sw = Stopwatch.StartNew();
        var label = await engine.BackupAsync(primary, engine.RepoOf(region), differential: false, annotations, ct);
        progress($"copy {label} in {region} in {sw.Elapsed.TotalSeconds:0.0} s");
        return await FindAsync(backup.Id, ct);
    }

    public async Task DeleteAsync(BackupRecord backup, CancellationToken ct)
    {
        foreach (var copy in backup.Copies) await engine.ExpireAsync(engine.RepoOf(copy.Region), copy.Label, ct);
        var verified = LabJson.Read<Dictionary<string, BackupVerificationSummary>>(env.Paths.VerificationsFile);
        if (verified is not null && verified.Remove(backup.Id)) LabJson.WriteAtomically(env.Paths.VerificationsFile, verified);
    }

    /// <summary>Backups a running restore reads: a prune must keep them.</summary>
    public Task<IReadOnlySet<string>> InUseAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlySet<string>>(restores.Records().Where(restores.IsRestoring).Select(r => r.BackupId).ToHashSet());

    public async Task<BackupVerification> VerifyAsync(string id, Action<string> progress, CancellationToken ct)
    {
        var backup = await FindAsync(id, ct);
        var integrity = new List<CopyIntegrity>();
        foreach (var copy in backup.Copies)
        {
            progress($"pgbackrest verify {copy.Label} in {copy.Region}");
            var v = await engine.VerifyAsync(engine.RepoOf(copy.Region), copy.Label, ct);
            integrity.Add(new CopyIntegrity(copy.Region, copy.Label, v.Valid, v.Problems));
        }
        RestoreProof? proof = null;
        if (integrity.All(c => c.Valid))
        {
            var primary = (await env.Topology.GetAsync(ct)).Primary;
            var copy = backup.Copies.FirstOrDefault(c => c.Region == primary) ?? backup.Copies[0];
            progress($"restoring {copy.Label} into a scratch instance");
            proof = await ScratchRestoreAsync(copy, null, ct);
        }
        var result = new BackupVerification { BackupId = backup.Id, At = env.Time.GetUtcNow(), Copies = integrity, Restore = proof };
        var verified = LabJson.Read<Dictionary<string, BackupVerificationSummary>>(env.Paths.VerificationsFile) ?? [];
        verified[backup.Id] = new BackupVerificationSummary(result.At, result.Passed, result.Summary);
        LabJson.WriteAtomically(env.Paths.VerificationsFile, verified);
        return result;
    }

    public async Task<RestoreTestResult> RestoreTestAsync(Action<string> progress, CancellationToken ct)
    {
        var at = env.Time.GetUtcNow();
        RestoreTestResult result;
        var backups = await ListAsync(ct);
        var primary = (await env.Topology.GetAsync(ct)).Primary;
        if (backups.Count == 0) result = new RestoreTestResult { At = at, Error = "there is no backup to restore" };
        else
        {
            var latest = backups[^1];
            var copy = latest.CopyIn(primary ?? "") ?? latest.Copies[0];
            progress($"restore test: backup {latest.Id} ({copy.Region}) into a scratch instance");
            var snapshot = await ScratchRestoreAsync(copy, null, ct);
            // A recent point in time: a minute ago, or just after the oldest backup's point when that is later.
            await ArchiveCurrentWalAsync(progress, ct);
            var window = await WindowAsync(ct);
            var target = at.AddMinutes(-1);
            // pgBackRest's stop times are whole seconds, the backup's real end a fraction later: a target
            // at the stop second could fall before the consistent point; two seconds after cannot.
            if (window is not null && target < window.Oldest.AddSeconds(2)) target = window.Oldest.AddSeconds(2);
            if (target > env.Time.GetUtcNow()) target = env.Time.GetUtcNow();
            RestoreProof pitr;
            try
            {
                var plan = RestorePlanner.Plan(new RestoreRequest("restore-test", null, target, primary), backups, window, env.Time.GetUtcNow(), [],
                    env.Options.Regions.Select(r => r.Name).ToList(), primary ?? env.Options.Regions[0].Name);
                progress($"restore test: point in time {target:yyyy-MM-ddTHH:mm:ssZ} from {plan.Copy.Label} into a scratch instance");
                pitr = await ScratchRestoreAsync(plan.Copy, target, ct);
            }
            catch (RestoreRequestException e) { pitr = new RestoreProof(false, 0, null, null, e.Message); }
            result = new RestoreTestResult { At = at, BackupId = latest.Id, Snapshot = snapshot, PointInTime = target, PointInTimeRestore = pitr };
        }
        var history = (LabJson.Read<List<RestoreTestResult>>(env.Paths.RestoreTestsFile) ?? []).TakeLast(19).Append(result).ToList();
        LabJson.WriteAtomically(env.Paths.RestoreTestsFile, history);
        return result;
    }

    public Task<IReadOnlyList<RestoreTestResult>> RestoreTestsAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<RestoreTestResult>>(LabJson.Read<List<RestoreTestResult>>(env.Paths.RestoreTestsFile) ?? []);

    /// <summary>
    /// Restores a copy into a scratch directory, starts it on a free port, reads the records table
    /// (count and checksum), stops it and deletes it: the proof that the backup restores.
    /// </summary>
    public async Task<RestoreProof> ScratchRestoreAsync(BackupCopy copy, DateTimeOffset? toTime, CancellationToken ct)
    {
        var dir = Path.Combine(env.Paths.ScratchDirectory, $"{copy.Label}-{Guid.NewGuid():N}"[..24]);
        var address = env.Options.Regions.First(r => r.Name == copy.Region).Address;
        var sw = Stopwatch.StartNew();
        PostgresCluster? cluster = null;
        try
        {
            var port = restores.FreePort(address);
            cluster = await RestoreIntoAsync(copy, toTime, dir, address, port, ct);
            var (rows, checksum) = await DigestAsync(cluster, ct);
            return new RestoreProof(true, sw.Elapsed.TotalSeconds, rows, checksum, null);
        }
        catch (Exception e) when (e is LabException or CommandFailedException or NpgsqlException)
        {
            return new RestoreProof(false, sw.Elapsed.TotalSeconds, null, null, e.Message);
        }
        finally
        {
            if (cluster is not null && cluster.IsRunning())
            {
                try { await cluster.StopAsync("immediate", CancellationToken.None); }
                catch (CommandFailedException) { if (cluster.PostmasterPid() is { } pid) Posix.Signal(pid, Posix.SIGKILL); }
            }
            try { System.IO.Directory.Delete(dir, recursive: true); } catch (DirectoryNotFoundException) { }
        }
    }

    /// <summary>The records table's row count and checksum (the same digest the drills compare); 0 rows when the table does not exist yet.</summary>
    private async Task<(long Rows, string Checksum)> DigestAsync(PostgresCluster cluster, CancellationToken ct)
    {
        var exists = await cluster.ScalarAsync<bool>(Database, User, "SELECT to_regclass('public.records') IS NOT NULL", ct, 30);
        if (!exists) return (0, "no records table");
        var text = await cluster.ScalarAsync<string>(Database, User,
            Drills.LabRecordsInspector.Digest, ct, 300) ?? "0:";
        var parts = text.Split(':', 2);
        return (long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts[1]);
    }

    /// <summary>pgBackRest restore into <paramref name="dir"/>/pgdata, then start and wait until it promoted itself.</summary>
    private async Task<PostgresCluster> RestoreIntoAsync(BackupCopy copy, DateTimeOffset? toTime, string dir, string address, int port, CancellationToken ct, bool latest = false)
    {
        var data = Path.Combine(dir, "pgdata");
        System.IO.Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (env.IsRoot) Posix.ChownToPostgres(dir, recursive: true);
        await engine.RestoreAsync(engine.RepoOf(copy.Region), copy.Label, data, toTime, ct, latest);
        var log = Path.Combine(dir, "postgres.log");
        var cluster = new PostgresCluster(env.Binaries(), env.Runner, data, address, port, log);
        // Not a member of the lab's replication: no archiving into the repositories, no wait for a synchronous standby.
        await cluster.StartAsync(ct, "-c archive_mode=off -c synchronous_standby_names='' -c hot_standby=on");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (!cluster.IsRunning())
                throw new LabException($"the restored instance stopped during recovery: {LastLines(log)}");
            var o = await cluster.ObserveAsync(User, TimeSpan.FromSeconds(5), ct);
            if (o.Reachable && !o.InRecovery) return cluster;
            if (deadline.Elapsed > PromoteTimeout)
                throw new LabException($"the restored instance did not finish recovery within {PromoteTimeout.TotalMinutes:0} min: {LastLines(log)}");
            await Task.Delay(200, ct);
        }
    }

    private static string LastLines(string log)
    {
        try
        {
            var lines = File.ReadAllLines(log).Where(l => l.Contains("FATAL") || l.Contains("ERROR") || l.Contains("LOG:")).TakeLast(3);
            return string.Join(" | ", lines);
        }
        catch (IOException) { return $"see {log}"; }
    }

    public async Task<RecoveryWindow?> WindowAsync(CancellationToken ct)
    {
        var backups = await ListAsync(ct);
        if (backups.Count == 0) return null;
        var oldest = backups.SelectMany(b => b.Copies).Min(c => c.FinishedAt);
        var newest = backups.SelectMany(b => b.Copies).Max(c => c.FinishedAt);
        var primary = (await env.Topology.GetAsync(ct)).Primary;
        if (primary is not null && env.Cluster(primary).IsRunning())
        {
            try
            {
                // Archiving that works makes "now" recoverable: a restore switches the WAL segment and waits for it.
                await using var conn = new NpgsqlConnection(env.Cluster(primary).ConnectionString("postgres", User, 3));
                await conn.OpenAsync(ct);
                await using var cmd = new NpgsqlCommand("SELECT last_archived_time, last_failed_time FROM pg_stat_archiver", conn);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                if (await r.ReadAsync(ct))
                {
                    DateTimeOffset? archived = r.IsDBNull(0) ? null : r.GetFieldValue<DateTimeOffset>(0);
                    DateTimeOffset? failed = r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1);
                    var failing = failed is not null && (archived is null || failed > archived);
                    newest = failing ? (archived is { } a && a > newest ? a : newest) : env.Time.GetUtcNow();
                }
            }
            catch (NpgsqlException) { } // the primary does not answer: the backups' own points are what is known
        }
        return new RecoveryWindow(oldest, newest > oldest ? newest : oldest);
    }

    public async Task<RestoredInstance> RestoreAsync(RestorePlan plan, Action<string> progress, CancellationToken ct)
    {
        var address = env.Options.Regions.First(r => r.Name == plan.Region).Address;
        if (restores.Records().Any(r => r.Name == plan.Name))
            throw new RestoreRequestException($"a restored instance named '{plan.Name}' exists; choose another --as, or `regami-dr restore drop {plan.Name}` first");
        var port = restores.FreePort(address);
        var record = new RestoreRecord
        {
            Name = plan.Name,
            Region = plan.Region,
            Host = address,
            Port = port,
            Source = plan.Source,
            BackupId = plan.Backup.Id,
            BackupLabel = plan.Copy.Label,
            CreatedAt = env.Time.GetUtcNow(),
            RestoringPid = Environment.ProcessId,
        };
        System.IO.Directory.CreateDirectory(restores.Directory(plan.Region, plan.Name));
        restores.Save(record);
        var sw = Stopwatch.StartNew();
        try
        {
            if (plan.ToTime is not null || plan.Latest) await ArchiveCurrentWalAsync(progress, ct);
            progress($"restoring {plan.Copy.Label} from {plan.Copy.Region}'s repository into {plan.Name} ({address}:{port})" +
                (plan.ToTime is { } to ? $", replaying WAL up to {to:yyyy-MM-ddTHH:mm:ss.fffZ}" : plan.Latest ? ", replaying every archived WAL segment" : ""));
            await RestoreIntoAsync(plan.Copy, plan.ToTime, restores.Directory(plan.Region, plan.Name), address, port, ct, plan.Latest);
            record.Seconds = Math.Round(sw.Elapsed.TotalSeconds, 2);
        }
        catch (OperationCanceledException)
        {
            // Interrupted (Ctrl-C, SIGTERM): the files stay for `restore drop`; the CLI says it was interrupted.
            record.Error = "interrupted";
            throw;
        }
        catch (Exception e) when (e is LabException or CommandFailedException or NpgsqlException)
        {
            record.Error = e.Message;
            throw new LabException($"restore into {plan.Name} failed: {e.Message}. Its files are kept in {restores.Directory(plan.Region, plan.Name)}; " +
                $"`regami-dr restore drop {plan.Name}` removes them. Nothing else was changed", e);
        }
        finally
        {
            record.RestoringPid = null;
            restores.Save(record);
        }
        return restores.View(record);
    }

    /// <summary>
    /// A point in time is recoverable only once the WAL that covers it is in the repositories: switch
    /// the primary's WAL segment and wait until the archiver has pushed it.
    /// </summary>
    private async Task ArchiveCurrentWalAsync(Action<string> progress, CancellationToken ct)
    {
        var primary = (await env.Topology.GetAsync(ct)).Primary;
        if (primary is null || !env.Cluster(primary).IsRunning()) return;
        var cluster = env.Cluster(primary);
        string? segment;
        try
        {
            // Recovery to a time stops at the first commit after it; on an idle database there may be none, and
            // PostgreSQL then ends recovery "before the configured recovery target was reached". A transaction
            // with an xid writes a commit record stamped now.
            await cluster.ScalarAsync<long>("postgres", User, "SELECT txid_current()", ct);
            segment = await cluster.ScalarAsync<string>("postgres", User, "SELECT pg_walfile_name(pg_switch_wal())", ct);
        }
        catch (NpgsqlException) { return; } // the primary does not answer: what is archived is what can be restored
        progress($"archiving WAL up to {segment} from {primary}");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            var last = await cluster.ScalarAsync<string>("postgres", User, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver", ct);
            if (string.CompareOrdinal(last, segment) >= 0) return;
            await Task.Delay(200, ct);
        }
        throw new LabException($"the primary {primary} did not archive WAL segment {segment} within 60 s (pg_stat_archiver; see {env.Paths.PgLog(primary)}): the point in time is not in the repositories yet");
    }

    public Task<IReadOnlyList<RestoredInstance>> ListRestoresAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<RestoredInstance>>(restores.Records().Select(restores.View).ToList());

    public async Task<string> AdoptAsync(string name, string region, CancellationToken ct)
    {
        var record = restores.Records().FirstOrDefault(r => r.Name == name)
            ?? throw new LabException($"no restored instance {name} (`regami-dr restore list`)") { ExitCode = 2 };
        if (record.Region != region) throw new LabException($"{name} was restored into {record.Region}, not {region}") { ExitCode = 2 };
        if (restores.IsRestoring(record)) throw new LabException($"{name} is still being restored by process {record.RestoringPid}") { ExitCode = 2 };
        var notes = new List<string>();
        var cluster = env.Cluster(region);
        if (cluster.IsRunning())
        {
            // The region's own database: a fenced primary is stopped already; a standby (restore in the other region) stops here.
            await cluster.StopAsync("fast", ct);
            notes.Add($"stopped {region}'s database");
        }
        // A fast shutdown of the restored instance: a clean checkpoint, nothing to replay when it starts in its new place.
        await restores.StopAsync(record, ct);
        var data = env.Paths.PgData(region);
        var aside = $"{data}.replaced-{env.Time.GetUtcNow():yyyyMMddTHHmmssZ}";
        if (System.IO.Directory.Exists(data))
        {
            System.IO.Directory.Move(data, aside);
            notes.Add($"{region}'s previous data kept in {aside}");
        }
        System.IO.Directory.Move(restores.DataDirectory(region, name), data);
        // The restore's own settings go: recovery targets (a standby cloned from it later would stop at them),
        // archiving off, and any synchronous standby or read-only default the backup carried.
        foreach (var key in new[] { "archive_mode", "restore_command", "recovery_target", "recovery_target_time", "recovery_target_action", "recovery_target_lsn",
                     "recovery_target_xid", "recovery_target_name", "recovery_target_inclusive", "recovery_target_timeline", "primary_conninfo", "primary_slot_name",
                     "synchronous_standby_names", "default_transaction_read_only" })
            PostgresAutoConf.Set(data, key, null);
        foreach (var signal in new[] { "standby.signal", "recovery.signal" }) File.Delete(Path.Combine(data, signal));
        await cluster.StartAsync(ct);
        System.IO.Directory.Delete(restores.Directory(region, name), recursive: true);
        // A repository lost with the old databases (a provider outage) gets its stanza back before the new primary's
        // WAL is pushed there; until then archive-push fails for it and PostgreSQL keeps the segments.
        await engine.EnsureStanzaAsync(region, ct);
        notes.Insert(0, $"{name} ({record.Source}) is now {region}'s database at {cluster.Address}:{cluster.Port} (pid {cluster.PostmasterPid()}), archiving into the repositories");
        return string.Join("; ", notes);
    }

    public async Task<bool> DropRestoreAsync(string name, CancellationToken ct)
    {
        var record = restores.Records().FirstOrDefault(r => r.Name == name);
        if (record is null) return false;
        if (restores.IsRestoring(record))
            throw new LabException($"{name} is being restored by process {record.RestoringPid}; stop that command first") { ExitCode = 2 };
        await restores.StopAsync(record, ct);
        System.IO.Directory.Delete(restores.Directory(record.Region, record.Name), recursive: true);
        return true;
    }
}
