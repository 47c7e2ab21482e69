using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Npgsql;
using Regami.Dr.Core.Polling;
using Regami.Dr.Core.Ports;
using Regami.Dr.Lab.Processes;

namespace Regami.Dr.Lab.Postgres;

/// <summary>
/// The PostgreSQL primitives of failover, switchover and failback runbooks: promote, stop and
/// allow writes, fence, clean shutdown, rebuild an old primary as a standby (pg_rewind, else a
/// fresh pg_basebackup), wait for replay, synchronous standby. Every PostgreSQL program runs
/// through <see cref="CommandRunner.RunPostgresAsync"/> (as the postgres user when we are root);
/// errors carry the program's or the server's own message (<see cref="CommandFailedException"/>,
/// <see cref="PostgresException"/>).
/// </summary>
public sealed class PostgresRoleOperations(PostgresBinaries bin, CommandRunner runner, string user)
{
    /// <summary>How long <see cref="FenceAsync"/> lets <c>pg_ctl stop -m fast</c> try before it kills.</summary>
    public TimeSpan FenceStopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Poll interval of the wait methods.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);
    private const int SqlTimeoutSeconds = 10;

    private string PostgresProgram => Path.Combine(bin.Directory, "postgres");

    // ---------------------------------------------------------------- promote

    /// <summary>
    /// Promotes a standby (<c>pg_promote(true, seconds)</c>), waits until it leaves recovery, then
    /// runs CHECKPOINT so the control file names the new timeline (pg_rewind reads it there; without
    /// it, it says "no rewind required" for a diverged old primary). A primary returns at once (it
    /// is only checkpointed if its control file still names an older timeline).
    /// </summary>
    /// <returns>What it had to do first, or null (e.g. "replay was paused: resumed it").</returns>
    public async Task<string?> PromoteAsync(PostgresCluster cluster, TimeSpan timeout, CancellationToken ct)
    {
        var waitSeconds = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        await using var conn = await OpenAsync(cluster, SqlTimeoutSeconds, ct);
        if (!await InRecoveryAsync(conn, ct))
        {
            await CheckpointIfTimelineStaleAsync(conn, ct);
            return null;
        }
        // A standby whose replay is paused acts on a promote request only once replay resumes and the
        // pending WAL is replayed (repmgrd resumes it in a failover for the same reason). Found by the
        // fault campaign: pause-replication then kill-db left the failover waiting at promote for 60 s.
        string? note = null;
        if (await ScalarAsync<bool>(conn, "SELECT pg_is_wal_replay_paused()", ct, SqlTimeoutSeconds))
        {
            await ExecuteAsync(conn, "SELECT pg_wal_replay_resume()", ct, SqlTimeoutSeconds);
            note = "replay was paused: resumed it first";
        }
        var sw = Stopwatch.StartNew();
        try
        {
            await ScalarAsync<bool>(conn, "SELECT pg_promote(true, $1)", ct, waitSeconds + 5, waitSeconds);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState)
        {
            // "recovery is not in progress": promoted meanwhile (by someone else); fine.
        }
        // pg_promote() itself waited; what is left of the timeout bounds the check that it took.
        var left = sw.Elapsed < timeout ? timeout - sw.Elapsed : TimeSpan.Zero;
        await Poll.UntilOrThrowAsync(async c => !await InRecoveryAsync(conn, c), left, PollInterval, TimeProvider.System,
            () => $"PostgreSQL {Describe(cluster)} is still in recovery {timeout.TotalSeconds:0.#} s after pg_promote()", ct);
        await ExecuteAsync(conn, "CHECKPOINT", ct, (int)CommandTimeout.TotalSeconds);
        return note;
    }

    // ---------------------------------------------------------------- writes

    /// <summary>
    /// Planned switchover, first step: the primary refuses new writes. Sets
    /// <c>default_transaction_read_only = on</c> (ALTER SYSTEM + reload, and waits until new sessions
    /// see it), then terminates every other client backend so no session keeps writing in an open
    /// transaction, and returns <c>pg_current_wal_lsn()</c>: the standby has every write once it
    /// has replayed that. (A session may still ask for a read-write transaction explicitly; the
    /// fence that follows is what makes it final.)
    /// </summary>
    public async Task<string> StopWritesAsync(PostgresCluster cluster, CancellationToken ct)
    {
        await using var conn = await OpenAsync(cluster, SqlTimeoutSeconds, ct);
        if (await InRecoveryAsync(conn, ct))
            throw new InvalidOperationException($"PostgreSQL {Describe(cluster)} is a standby (in recovery): there are no writes to stop");
        await ExecuteAsync(conn, "ALTER SYSTEM SET default_transaction_read_only = on", ct);
        await ExecuteAsync(conn, "SELECT pg_reload_conf()", ct);
        await WaitForSettingAsync(cluster, "default_transaction_read_only", "on", ct);
        await ExecuteAsync(conn, """
            SELECT pg_terminate_backend(pid, 5000)
            FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
            """, ct, SqlTimeoutSeconds + 10);
        return await ScalarAsync<string>(conn, "SELECT pg_current_wal_lsn()::text", ct)
            ?? throw new InvalidOperationException("pg_current_wal_lsn() returned NULL");
    }

    /// <summary>Undoes <see cref="StopWritesAsync"/>: ALTER SYSTEM RESET default_transaction_read_only; reload.</summary>
    public async Task AllowWritesAsync(PostgresCluster cluster, CancellationToken ct)
    {
        await using var conn = await OpenAsync(cluster, SqlTimeoutSeconds, ct);
        // This very session may be read-only by default (that is what is being undone).
        await ExecuteAsync(conn, "SET default_transaction_read_only = off", ct);
        await ExecuteAsync(conn, "ALTER SYSTEM RESET default_transaction_read_only", ct);
        await ExecuteAsync(conn, "SELECT pg_reload_conf()", ct);
        await WaitForSettingAsync(cluster, "default_transaction_read_only", "off", ct);
    }

    // ---------------------------------------------------------------- fence

    /// <summary>
    /// After this returns the server is not running. Resumes the postmaster's tree (it may be
    /// SIGSTOP-hung), tries <c>pg_ctl stop -m fast</c> for <see cref="FenceStopTimeout"/>, and else
    /// SIGKILLs the postmaster and its children and waits until they are gone. Returns a sentence
    /// saying what it did; "already stopped" when nothing runs.
    /// </summary>
    public async Task<string> FenceAsync(PostgresCluster cluster, CancellationToken ct)
    {
        var where = Describe(cluster);
        if (cluster.PostmasterPid() is not { } pid || !cluster.IsRunning()) return $"PostgreSQL {where} already stopped";
        var sw = Stopwatch.StartNew();
        var tree = ProcessTree.Descendants(pid).Prepend(pid).ToList();
        var resumed = 0;
        foreach (var p in tree)
        {
            var wasStopped = Posix.State(p) == 'T';
            if (Posix.Signal(p, Posix.SIGCONT) && wasStopped) resumed++;
        }
        var prefix = resumed > 0 ? $"resumed {resumed} stopped process(es) with SIGCONT; " : "";

        string? stopError = null;
        try
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(FenceStopTimeout.TotalSeconds));
            await runner.RunPostgresAsync(bin.PgCtl, ["-D", cluster.DataDirectory, "-m", "fast", "-w", "-t", seconds.ToString(CultureInfo.InvariantCulture), "stop"],
                TimeSpan.FromSeconds(seconds + 5), ct);
        }
        catch (CommandFailedException e) { stopError = e.Message; }
        if (stopError is null && await WaitGoneAsync([pid], TimeSpan.FromSeconds(5), ct))
            return $"{prefix}stopped PostgreSQL {where} (postmaster {pid}) with pg_ctl stop -m fast in {sw.Elapsed.TotalSeconds:0.0} s";

        // Collect the children again before the postmaster dies: orphans are re-parented and lost to the tree.
        var victims = ProcessTree.Descendants(pid).Concat(tree).Where(p => p != pid).Distinct().ToList();
        Posix.Signal(pid, Posix.SIGKILL);
        foreach (var p in victims) Posix.Signal(p, Posix.SIGKILL);
        var all = victims.Prepend(pid).ToList();
        if (!await WaitGoneAsync(all, TimeSpan.FromSeconds(10), ct))
            throw new InvalidOperationException($"could not fence PostgreSQL {where}: pid(s) {string.Join(", ", all.Where(Posix.IsAlive))} survive SIGKILL");
        // Until the dead postmaster is reaped, PostgreSQL takes its zombie for a live postmaster
        // ("lock file postmaster.pid already exists"): wait a little so the caller can go on at once.
        await WaitReapedAsync(pid, TimeSpan.FromSeconds(5), ct);
        var why = stopError ?? "pg_ctl stop returned but the postmaster did not exit";
        // The shutdown checkpoint may have completed before the kill (e.g. only walsenders were
        // still waiting for a frozen standby): say what the control file says, not a guess.
        string state;
        try { state = (await ReadControlDataAsync(cluster, ct)).ClusterState; }
        catch (Exception e) when (e is CommandFailedException or FormatException) { state = "unknown (" + e.Message + ")"; }
        return $"{prefix}pg_ctl stop -m fast failed ({why}); killed postmaster {pid} and {victims.Count} child process(es) with SIGKILL " +
               $"({sw.Elapsed.TotalSeconds:0.0} s in all); pg_control says '{state}'";
    }

    // ---------------------------------------------------------------- control data / clean shutdown

    /// <summary>pg_controldata -D (as postgres when root, with LC_ALL=C so the labels are English).</summary>
    public async Task<ControlData> ReadControlDataAsync(PostgresCluster cluster, CancellationToken ct)
    {
        var r = await RunUntranslatedAsync(bin.PgControlData, ["-D", cluster.DataDirectory], ct);
        return ControlData.Parse(r.StandardOutput);
    }

    /// <summary>
    /// pg_rewind needs a cleanly shut down target. A crashed primary gets crash recovery in
    /// single-user mode, never open to clients (as Patroni does: archive_mode=on with
    /// archive_command=false, so unarchived WAL is kept, not recycled). A crashed standby
    /// (standby.signal or recovery.signal) cannot run single-user mode, and crash recovery as a
    /// primary would write WAL of its own on the old timeline; it is started as a standby without a
    /// TCP listener (its only socket is a Unix socket in its own 0700 data directory) and without
    /// primary_conninfo until it is consistent, then stopped fast
    /// ("shut down in recovery"). Returns what it did. The cluster must not be running.
    /// </summary>
    public async Task<string> EnsureCleanShutdownAsync(PostgresCluster cluster, CancellationToken ct)
    {
        if (cluster.IsRunning())
            throw new InvalidOperationException($"PostgreSQL {Describe(cluster)} is running (postmaster {cluster.PostmasterPid()}): fence it first");
        var before = await ReadControlDataAsync(cluster, ct);
        if (before.IsCleanlyShutDown) return $"cleanly shut down already ({before.ClusterState})";
        var sw = Stopwatch.StartNew();
        var reaped = "";
        if (cluster.PostmasterPid() is { } stale && Posix.Exists(stale) && !Posix.IsAlive(stale))
        {
            await WaitReapedAsync(stale, TimeSpan.FromSeconds(10), ct);
            reaped = $"waited {sw.Elapsed.TotalSeconds:0.0} s for the dead postmaster {stale} to be reaped; ";
        }
        var standby = File.Exists(Path.Combine(cluster.DataDirectory, "standby.signal")) || File.Exists(Path.Combine(cluster.DataDirectory, "recovery.signal"));
        var how = standby ? await RecoverStandbyOfflineAsync(cluster, ct) : await RecoverInSingleUserModeAsync(cluster, before, ct);
        var after = await ReadControlDataAsync(cluster, ct);
        if (!after.IsCleanlyShutDown)
            throw new InvalidOperationException($"PostgreSQL {Describe(cluster)} is still '{after.ClusterState}' after {how}");
        return $"was '{before.ClusterState}': {reaped}{how} in {sw.Elapsed.TotalSeconds:0.0} s, now '{after.ClusterState}'";
    }

    private async Task<string> RecoverInSingleUserModeAsync(PostgresCluster cluster, ControlData control, CancellationToken ct)
    {
        List<string> args = ["--single", "-D", cluster.DataDirectory, "-c", "listen_addresses=", "-c", "unix_socket_directories="];
        // archive_mode=on keeps .ready segments (nothing archives in single-user mode); it needs wal_level >= replica.
        if (control.Fields.GetValueOrDefault("wal_level setting") is not "minimal") args.AddRange(["-c", "archive_mode=on", "-c", "archive_command=false"]);
        else args.AddRange(["-c", "archive_mode=off"]);
        args.Add("postgres");
        // CommandRunner closes stdin at once: the backend reads EOF (as from /dev/null) and shuts down cleanly.
        await runner.RunPostgresAsync(PostgresProgram, args, CommandTimeout, ct);
        return "crash recovery in single-user mode (postgres --single, no listener)";
    }

    private async Task<string> RecoverStandbyOfflineAsync(PostgresCluster cluster, CancellationToken ct)
    {
        // The log goes to a temporary file the postgres user can create; its tail explains a failure.
        var log = Path.Combine(Path.GetTempPath(), $"regami-dr-recovery-{Guid.NewGuid():N}.log");
        // A postmaster needs one listening socket: a Unix socket inside the data directory (mode
        // 0700, the postgres user's), so no client can reach the server meanwhile. Socket paths
        // are limited to 107 bytes; a long data directory path gets a private temp dir instead.
        string? socketDir = null;
        var socketIn = cluster.DataDirectory;
        if (cluster.DataDirectory.Length + ".s.PGSQL.".Length + 6 > 100)
        {
            socketDir = socketIn = Directory.CreateTempSubdirectory("regami-dr-sock-").FullName;
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(socketDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            PostgresAutoConf.CopyOwner(socketDir, cluster.DataDirectory);
        }
        var options = $"-p {cluster.Port} -c listen_addresses='' -c unix_socket_directories='{socketIn}' -c hot_standby=on -c primary_conninfo='' -c archive_command=false";
        try
        {
            try
            {
                await runner.RunPostgresAsync(bin.PgCtl, ["-D", cluster.DataDirectory, "-l", log, "-w", "-t", "60", "-o", options, "start"], CommandTimeout, ct);
            }
            catch (CommandFailedException e)
            {
                await runner.RunPostgresAsync(bin.PgCtl, ["-D", cluster.DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"], CommandTimeout, ct, check: false);
                throw new InvalidOperationException($"the crashed standby {Describe(cluster)} did not reach a consistent state offline: {e.Message}; log: {Tail(log)}", e);
            }
            await runner.RunPostgresAsync(bin.PgCtl, ["-D", cluster.DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], CommandTimeout, ct);
        }
        finally
        {
            try { File.Delete(log); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            try { if (socketDir is not null) Directory.Delete(socketDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return "recovery as a standby until consistent (no TCP listener, no primary_conninfo), then pg_ctl stop -m fast";
    }

    // ---------------------------------------------------------------- rebuild

    /// <summary>
    /// Makes the stopped <paramref name="target"/> a streaming standby of the running primary
    /// <paramref name="source"/>, without starting it: creates the physical slot on the source,
    /// ensures a clean shutdown, runs pg_rewind; when that fails and <paramref name="allowReclone"/>,
    /// moves the data directory aside (<c>DATA.failed-&lt;UTC timestamp&gt;</c>), runs pg_basebackup
    /// and deletes the old directory only after success (it is put back when the copy fails too).
    /// Then standby.signal, primary_conninfo and primary_slot_name are written, the settings a
    /// standby must not carry (default_transaction_read_only from a switchover,
    /// synchronous_standby_names copied from the source) are removed, and the target's stale
    /// replication slots are dropped (pg_rewind keeps them; they would pin WAL on the standby).
    /// </summary>
    public async Task<RebuildOutcome> RebuildAsStandbyAsync(PostgresCluster target, PostgresCluster source, string slot, string applicationName,
        bool allowReclone, CancellationToken ct, bool forceReclone = false)
    {
        var sw = Stopwatch.StartNew();
        if (target.IsRunning())
            throw new InvalidOperationException($"the rebuild target {Describe(target)} is running (postmaster {target.PostmasterPid()}): fence it first");
        var notes = new List<string>();
        int sourceTimeline;
        await using (var conn = await OpenAsync(source, SqlTimeoutSeconds, ct))
        {
            if (await InRecoveryAsync(conn, ct))
                throw new InvalidOperationException($"the rebuild source {Describe(source)} is in recovery: a standby is rebuilt from the primary");
            if (await CheckpointIfTimelineStaleAsync(conn, ct) is { } checkpointNote) notes.Add(checkpointNote);
            sourceTimeline = (await TimelinesAsync(conn, ct)).Current ?? 0;
            var exists = await ScalarAsync<bool>(conn, "SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)", ct, SqlTimeoutSeconds, slot);
            if (!exists)
            {
                // Reserve WAL now: the standby connects only after the rebuild.
                await ExecuteAsync(conn, "SELECT pg_create_physical_replication_slot($1, true)", ct, SqlTimeoutSeconds, slot);
                notes.Add($"created slot {slot} on the source");
            }
        }

        RebuildPath path;
        string what;
        if (forceReclone)
        {
            what = await RecloneAsync(target, source, slot, applicationName, "a fresh clone was asked for (--reclone)", ct);
            path = RebuildPath.Reclone;
        }
        else if (!target.Exists)
        {
            if (!allowReclone)
                throw new InvalidOperationException($"the rebuild target {target.DataDirectory} holds no PostgreSQL data directory (no PG_VERSION) and recloning is not allowed");
            what = await RecloneAsync(target, source, slot, applicationName, "the target has no data directory", ct);
            path = RebuildPath.Reclone;
        }
        else
        {
            var hadStandbySignal = File.Exists(Path.Combine(target.DataDirectory, "standby.signal"));
            try
            {
                var clean = await EnsureCleanShutdownAsync(target, ct);
                if (!clean.StartsWith("cleanly shut down already", StringComparison.Ordinal)) notes.Add("target " + clean);
                var rewind = await RunUntranslatedAsync(bin.PgRewind,
                    [$"--target-pgdata={target.DataDirectory}",
                     $"--source-server=host={source.Address} port={source.Port} user={ConnInfoValue(user)} dbname=postgres connect_timeout=10",
                     "--progress"], ct);
                var (noRewind, summary) = SummarizeRewind(rewind.StandardError + rewind.StandardOutput);
                var control = await ReadControlDataAsync(target, ct);
                var targetTimeline = Math.Max(control.TimelineId,
                    int.TryParse(control.Fields.GetValueOrDefault("Min recovery ending loc's timeline"), out var t) ? t : 0);
                path = noRewind && hadStandbySignal && targetTimeline == sourceTimeline ? RebuildPath.AlreadyStandby : RebuildPath.Rewind;
                what = path == RebuildPath.AlreadyStandby ? $"already a standby on timeline {sourceTimeline}; {summary}" : summary;
            }
            catch (Exception e) when (allowReclone && e is CommandFailedException or InvalidOperationException or FormatException)
            {
                var reason = e is CommandFailedException cf ? RewindError(cf) : e.Message;
                what = await RecloneAsync(target, source, slot, applicationName, reason, ct);
                path = RebuildPath.Reclone;
            }
        }

        ConfigureStandby(target.DataDirectory, source, slot, applicationName, notes);
        if (path == RebuildPath.Rewind)
        {
            // pg_rewind sets the target's minimum recovery point to the source's insert position.
            // On an idle primary no WAL follows it, so the standby would never become consistent
            // (seen: "consistent recovery state has not been yet reached" until someone writes).
            // A forced checkpoint writes (and flushes) a record past it.
            await using var conn = await OpenAsync(source, SqlTimeoutSeconds, ct);
            await ExecuteAsync(conn, "CHECKPOINT", ct, 60);
            notes.Add("checkpointed the source so the rewound standby can reach consistency on an idle primary");
        }
        var detail = string.Join("; ", new[] { what }.Concat(notes));
        return new RebuildOutcome(path, sw.Elapsed, detail);
    }

    private async Task<string> RecloneAsync(PostgresCluster target, PostgresCluster source, string slot, string applicationName, string reason, CancellationToken ct)
    {
        var dir = target.DataDirectory.TrimEnd('/');
        string? aside = null;
        if (Directory.Exists(dir))
        {
            aside = $"{dir}.failed-{DateTime.UtcNow:yyyyMMdd'T'HHmmssfff'Z'}";
            Directory.Move(dir, aside);
        }
        var sw = Stopwatch.StartNew();
        try
        {
            await target.CloneFromAsync(source, user, slot, applicationName, ct);
        }
        catch (Exception e) when (e is CommandFailedException or OperationCanceledException)
        {
            // pg_basebackup removes what it created; put the old directory back so nothing is lost.
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            if (aside is not null) Directory.Move(aside, dir);
            if (e is OperationCanceledException) throw;
            throw new InvalidOperationException($"pg_rewind was impossible ({reason}) and pg_basebackup failed too: {e.Message}; the old data directory is back in place", e);
        }
        if (aside is not null) Directory.Delete(aside, recursive: true);
        return $"recloned with pg_basebackup in {sw.Elapsed.TotalSeconds:0.0} s because {(reason.StartsWith("a fresh clone", StringComparison.Ordinal) ? reason : "pg_rewind was impossible: " + reason)}" +
               (aside is null ? "" : $"; the old data directory was moved aside to {Path.GetFileName(aside)} and deleted after the copy");
    }

    /// <summary>
    /// A new lab's standby without pg_basebackup: a copy of the primary's data directory taken
    /// right after initdb, before the primary ever started (a cleanly shut down cluster is a base
    /// backup of itself: same system identifier, same checkpoint), configured as its standby. It
    /// saves the base backup's forced checkpoint and streamed copy (≈ 2 s of `lab up` here, most
    /// of it fsync). The slot must exist on the primary before the standby starts, as for a clone.
    /// </summary>
    public async Task SeedStandbyAsync(PostgresCluster stoppedPrimary, PostgresCluster standby, string slot, string applicationName, CancellationToken ct)
    {
        if (stoppedPrimary.IsRunning() || !stoppedPrimary.Exists)
            throw new InvalidOperationException($"a standby is seeded from a primary that exists and never ran ({Describe(stoppedPrimary)})");
        if (standby.Exists) throw new InvalidOperationException($"{Describe(standby)} already has a data directory");
        // Copied and configured aside, then renamed into place: an interrupted seed never leaves a
        // data directory that would start as a second primary (no standby.signal) or half copied.
        var aside = standby.DataDirectory + ".seeding";
        if (Directory.Exists(aside)) Directory.Delete(aside, recursive: true);
        // cp -a as the user that owns the data (root: postgres), so the copy keeps its owner and mode 0700.
        await runner.RunPostgresAsync("cp", ["-a", stoppedPrimary.DataDirectory, aside], CommandTimeout, ct);
        ConfigureStandby(aside, stoppedPrimary, slot, applicationName, []);
        Directory.Move(aside, standby.DataDirectory);
    }

    private void ConfigureStandby(string dir, PostgresCluster source, string slot, string applicationName, List<string> notes)
    {
        var signal = Path.Combine(dir, "standby.signal");
        if (!File.Exists(signal))
        {
            File.WriteAllText(signal, "");
            PostgresAutoConf.CopyOwner(signal, dir);
        }
        PostgresAutoConf.Set(dir, "primary_conninfo",
            $"host={ConnInfoValue(source.Address)} port={source.Port} user={ConnInfoValue(user)} application_name={ConnInfoValue(applicationName)}");
        PostgresAutoConf.Set(dir, "primary_slot_name", slot);
        foreach (var key in new[] { "default_transaction_read_only", "synchronous_standby_names" })
        {
            if (PostgresAutoConf.Get(dir, key) is { } old)
            {
                PostgresAutoConf.Set(dir, key, null);
                notes.Add($"removed {key} = '{old}' from postgresql.auto.conf");
            }
        }
        var slots = Path.Combine(dir, "pg_replslot");
        if (Directory.Exists(slots))
        {
            var stale = Directory.GetDirectories(slots).Select(Path.GetFileName).Where(n => !string.IsNullOrEmpty(n)).ToList();
            foreach (var s in stale) Directory.Delete(Path.Combine(slots, s!), recursive: true);
            if (stale.Count > 0) notes.Add($"dropped stale replication slot(s) {string.Join(", ", stale)} from the target");
        }
        notes.Add($"standby of {source.Address}:{source.Port} via slot {slot} as '{applicationName}' (not started)");
    }

    private static readonly Regex ProgressLine = new(@"^\s*\d+/\d+ kB \(\d+%\) copied", RegexOptions.Compiled);

    /// <summary>pg_rewind's messages without the progress lines (but the last one), prefixes stripped.</summary>
    internal static (bool NoRewindRequired, string Summary) SummarizeRewind(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.StartsWith("pg_rewind: ", StringComparison.Ordinal) ? l["pg_rewind: ".Length..] : l)
            .ToList();
        var noRewind = lines.Any(l => l.Contains("no rewind required", StringComparison.Ordinal));
        var lastProgress = lines.LastOrDefault(l => ProgressLine.IsMatch(l));
        var kept = lines.Where(l => !ProgressLine.IsMatch(l) && l is not "Done!" && !l.StartsWith("reading ", StringComparison.Ordinal)
                                    && !l.StartsWith("syncing ", StringComparison.Ordinal)).ToList();
        if (lastProgress is not null && !noRewind) kept.Add(lastProgress);
        var summary = "pg_rewind: " + (kept.Count == 0 ? "done" : string.Join("; ", kept)) + $" ({lines.Count} output line(s))";
        return (noRewind, summary);
    }

    private static string RewindError(CommandFailedException e)
    {
        var lines = e.Result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !ProgressLine.IsMatch(l.Replace("pg_rewind: ", ""))).ToList();
        var errors = lines.Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase) || l.Contains("fatal", StringComparison.OrdinalIgnoreCase)).ToList();
        return string.Join(" | ", (errors.Count > 0 ? errors : lines).Take(4)) is { Length: > 0 } s ? s : e.Message;
    }

    // ---------------------------------------------------------------- waits

    /// <summary>Polls until the standby's <c>pg_last_wal_replay_lsn()</c> is at least <paramref name="lsn"/>.</summary>
    public async Task WaitUntilReplayedAsync(PostgresCluster standby, string lsn, TimeSpan timeout, CancellationToken ct)
    {
        var wanted = ParseLsn(lsn);
        string? last = null, lastError = null;
        NpgsqlConnection? conn = null;
        try
        {
            await Poll.UntilOrThrowAsync(async c =>
            {
                try
                {
                    conn ??= await OpenAsync(standby, 2, c);
                    last = await ScalarAsync<string>(conn, "SELECT pg_last_wal_replay_lsn()::text", c, 2);
                    lastError = last is null ? "pg_last_wal_replay_lsn() is NULL: the server never was a standby" : null;
                    return last is not null && ParseLsn(last) >= wanted;
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or SocketException && !c.IsCancellationRequested)
                {
                    lastError = e.Message;
                    if (conn is not null) await conn.DisposeAsync();
                    conn = null;
                    return false;
                }
            }, timeout, PollInterval, TimeProvider.System,
                () => $"standby {Describe(standby)} has replayed up to {last ?? "(unknown)"}, not {lsn}, after {timeout.TotalSeconds:0.#} s" +
                      (lastError is null ? "" : $" (last error: {lastError})"), ct);
        }
        finally
        {
            if (conn is not null) await conn.DisposeAsync();
        }
    }

    /// <summary>
    /// Polls until <c>pg_stat_replication</c> on the primary shows <paramref name="standbyApplicationName"/>
    /// streaming with at most <paramref name="maxLagBytes"/> bytes between the primary's current
    /// LSN and the standby's replay LSN.
    /// </summary>
    public async Task WaitUntilCaughtUpAsync(PostgresCluster primary, string standbyApplicationName, long maxLagBytes, TimeSpan timeout, CancellationToken ct)
    {
        var seen = "not connected (no row in pg_stat_replication)";
        NpgsqlConnection? conn = null;
        try
        {
            await Poll.UntilOrThrowAsync(async c =>
            {
                try
                {
                    conn ??= await OpenAsync(primary, 2, c);
                    await using var cmd = new NpgsqlCommand("""
                        SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, replay_lsn::text, pg_current_wal_lsn()::text
                        FROM pg_stat_replication WHERE application_name = $1
                        ORDER BY backend_start DESC LIMIT 1
                        """, conn) { CommandTimeout = 2 };
                    cmd.Parameters.Add(new NpgsqlParameter { Value = standbyApplicationName });
                    await using var r = await cmd.ExecuteReaderAsync(c);
                    if (await r.ReadAsync(c))
                    {
                        var state = r.IsDBNull(0) ? null : r.GetString(0);
                        long? lag = r.IsDBNull(1) ? null : r.GetInt64(1);
                        seen = $"state {state ?? "?"}, replay {(r.IsDBNull(2) ? "?" : r.GetString(2))} vs current {r.GetString(3)}, lag {(lag is null ? "?" : $"{lag} bytes")}";
                        return state == "streaming" && lag is { } l && l <= maxLagBytes;
                    }
                    seen = "not connected (no row in pg_stat_replication)";
                    return false;
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or SocketException && !c.IsCancellationRequested)
                {
                    seen = $"primary unreachable: {e.Message}";
                    if (conn is not null) await conn.DisposeAsync();
                    conn = null;
                    return false;
                }
            }, timeout, PollInterval, TimeProvider.System,
                () => $"standby '{standbyApplicationName}' did not catch up with {Describe(primary)} (≤ {maxLagBytes} bytes) within {timeout.TotalSeconds:0.#} s: {seen}", ct);
        }
        finally
        {
            if (conn is not null) await conn.DisposeAsync();
        }
    }

    // ---------------------------------------------------------------- synchronous standby

    /// <summary>ALTER SYSTEM SET synchronous_standby_names = '"name"' ('' when null); reload; waits until new sessions see it.</summary>
    public async Task SetSynchronousStandbyAsync(PostgresCluster primary, string? standbyName, CancellationToken ct)
    {
        var value = standbyName is null ? "" : "\"" + standbyName.Replace("\"", "\"\"") + "\"";
        await using var conn = await OpenAsync(primary, SqlTimeoutSeconds, ct);
        await ExecuteAsync(conn, $"ALTER SYSTEM SET synchronous_standby_names = {SqlLiteral(value)}", ct);
        await ExecuteAsync(conn, "SELECT pg_reload_conf()", ct);
        await WaitForSettingAsync(primary, "synchronous_standby_names", value, ct);
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>"0/3000060" → its 64-bit position.</summary>
    public static ulong ParseLsn(string lsn)
    {
        var slash = lsn.IndexOf('/');
        if (slash <= 0 || !uint.TryParse(lsn[..slash], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hi)
            || !uint.TryParse(lsn[(slash + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var lo))
            throw new FormatException($"'{lsn}' is not a WAL location (like 0/3000060)");
        return ((ulong)hi << 32) | lo;
    }

    private static string Describe(PostgresCluster c) => $"{c.Address}:{c.Port} ({c.DataDirectory})";

    private static string SqlLiteral(string s) => "'" + s.Replace("'", "''") + "'";

    /// <summary>A libpq conninfo value, quoted when it needs to be.</summary>
    internal static string ConnInfoValue(string v) =>
        v.Length > 0 && v.All(c => !char.IsWhiteSpace(c) && c is not '\'' and not '\\') ? v : "'" + v.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    private Task<CommandResult> RunUntranslatedAsync(string program, IEnumerable<string> args, CancellationToken ct) =>
        runner.RunPostgresAsync("env", ["LC_ALL=C", program, .. args], CommandTimeout, ct);

    private async Task<NpgsqlConnection> OpenAsync(PostgresCluster cluster, int timeoutSeconds, CancellationToken ct)
    {
        var conn = new NpgsqlConnection(cluster.ConnectionString("postgres", user, timeoutSeconds));
        try
        {
            await conn.OpenAsync(ct);
            return conn;
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql, CancellationToken ct, int timeoutSeconds = SqlTimeoutSeconds, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = timeoutSeconds };
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T?> ScalarAsync<T>(NpgsqlConnection conn, string sql, CancellationToken ct, int timeoutSeconds = SqlTimeoutSeconds, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = timeoutSeconds };
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        var v = await cmd.ExecuteScalarAsync(ct);
        return v is null or DBNull ? default : (T)v;
    }

    private static async Task<bool> InRecoveryAsync(NpgsqlConnection conn, CancellationToken ct) =>
        await ScalarAsync<bool>(conn, "SELECT pg_is_in_recovery()", ct);

    /// <summary>The timeline in the control file (last checkpoint) and, on a primary, the timeline it writes now.</summary>
    private static async Task<(int? Control, int? Current)> TimelinesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT (SELECT timeline_id FROM pg_control_checkpoint()),
                   CASE WHEN pg_is_in_recovery() THEN NULL
                        ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END
            """, conn) { CommandTimeout = SqlTimeoutSeconds };
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return (r.IsDBNull(0) ? null : r.GetInt32(0), r.IsDBNull(1) ? null : r.GetInt32(1));
    }

    /// <summary>DESIGN §7: a primary promoted without a checkpoint still names the old timeline in pg_control.</summary>
    private static async Task<string?> CheckpointIfTimelineStaleAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var (control, current) = await TimelinesAsync(conn, ct);
        if (current is null || control == current) return null;
        await ExecuteAsync(conn, "CHECKPOINT", ct, (int)CommandTimeout.TotalSeconds);
        return $"CHECKPOINT on the source (its control file named timeline {control}, it writes timeline {current})";
    }

    /// <summary>After pg_reload_conf(): waits (≤ 5 s) until a new session sees <paramref name="name"/> = <paramref name="expected"/>.</summary>
    private async Task WaitForSettingAsync(PostgresCluster cluster, string name, string expected, CancellationToken ct)
    {
        string? seen = null;
        await Poll.UntilOrThrowAsync(async c =>
        {
            await using var conn = await OpenAsync(cluster, SqlTimeoutSeconds, c);
            seen = await ScalarAsync<string>(conn, "SELECT current_setting($1)", c, SqlTimeoutSeconds, name);
            return seen == expected;
        }, TimeSpan.FromSeconds(5), PollInterval, TimeProvider.System,
            () => $"PostgreSQL {Describe(cluster)}: {name} is still '{seen}', not '{expected}', 5 s after pg_reload_conf()", ct);
    }

    private static readonly TimeSpan ProcessPollInterval = TimeSpan.FromMilliseconds(20);

    private static Task<bool> WaitGoneAsync(IReadOnlyList<int> pids, TimeSpan timeout, CancellationToken ct) =>
        Poll.UntilAsync(_ => Task.FromResult(!pids.Any(Posix.IsAlive)), timeout, ProcessPollInterval, TimeProvider.System, ct);

    /// <summary>
    /// Waits until a dead process is reaped (its pid no longer exists at all). A killed postmaster
    /// stays a zombie until its parent (often init, which may reap lazily) collects it, and
    /// PostgreSQL's lock-file check takes a zombie for a running postmaster.
    /// </summary>
    internal static Task WaitReapedAsync(int pid, TimeSpan timeout, CancellationToken ct) =>
        Poll.UntilAsync(_ => Task.FromResult(!(Posix.Exists(pid) && !Posix.IsAlive(pid))), timeout, ProcessPollInterval, TimeProvider.System, ct);

    private static string Tail(string file)
    {
        try
        {
            return string.Join(" | ", File.ReadAllLines(file).TakeLast(5));
        }
        catch (IOException) { return "(no log)"; }
        catch (UnauthorizedAccessException) { return "(log unreadable)"; }
    }
}
