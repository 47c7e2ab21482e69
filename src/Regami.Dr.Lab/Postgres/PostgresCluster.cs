using Npgsql;
using Regami.Dr.Lab.Processes;

namespace Regami.Dr.Lab.Postgres;

/// <summary>What a PostgreSQL server says about itself (and, on a primary, about its standby).</summary>
public sealed record PostgresObservation(
    bool Reachable,
    string? Error,
    bool InRecovery,
    bool ReadOnlyByDefault,
    string? CurrentLsn,
    int? Timeline,
    // primary side: the standby as pg_stat_replication sees it
    string? ReplicaState,
    string? ReplicaSyncState,
    long? ReplicaLagBytes,
    double? ReplicaReplayLagSeconds,
    // standby side
    string? ReceiveLsn,
    string? ReplayLsn,
    bool? WalReceiverStreaming,
    bool? ReplayPaused,
    double? ReplayTimestampAgeSeconds)
{
    public static PostgresObservation Unreachable(string error) =>
        new(false, error, false, false, null, null, null, null, null, null, null, null, null, null, null);
}

/// <summary>
/// One PostgreSQL cluster of the lab, driven with PostgreSQL's own tools: initdb, pg_ctl,
/// pg_basebackup -R. Port and listen address are passed on the command line, never in the
/// conf files, because pg_basebackup and pg_rewind copy those files between regions.
/// </summary>
public sealed class PostgresCluster(PostgresBinaries bin, CommandRunner runner, string dataDirectory, string address, int port, string logFile, string? socketDirectory = null)
{
    /// <summary>The lab's plain archive (a directory beside the data directory), for clusters without a backup engine.</summary>
    public const string CopyArchiveCommand = "test ! -f ../wal-archive/%f && cp %p ../wal-archive/%f";

    public string DataDirectory { get; } = dataDirectory;
    public string Address { get; } = address;
    public int Port { get; } = port;

    public bool Exists => File.Exists(Path.Combine(DataDirectory, "PG_VERSION"));

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    public string ConnectionString(string database, string user, int timeoutSeconds = 2) => new NpgsqlConnectionStringBuilder
    {
        Host = Address,
        Port = Port,
        Username = user,
        Database = database,
        // Control connections are never pooled: a pooled connection survives a server restart
        // and then fails with 57P01.
        Pooling = false,
        Timeout = timeoutSeconds,
        CommandTimeout = timeoutSeconds,
    }.ConnectionString;

    /// <summary>initdb, then the settings every lab node needs (identical on both regions).</summary>
    /// <param name="archiveCommand">archive_command (the lab's: pgBackRest's archive-push to every region's repository).</param>
    public async Task InitAsync(string user, CancellationToken ct, string archiveCommand = CopyArchiveCommand)
    {
        await runner.RunPostgresAsync(bin.InitDb, ["-D", DataDirectory, "-U", user, "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C"], CommandTimeout, ct);
        var conf = $"""

            # --- regami-dr lab settings (port and listen_addresses are given by pg_ctl -o) ---
            wal_level = replica
            wal_log_hints = on                 # pg_rewind after a failover
            wal_keep_size = '64MB'             # keeps WAL for pg_rewind / a lagging standby
            max_wal_senders = 10
            max_replication_slots = 10
            hot_standby = on
            hot_standby_feedback = on
            wal_receiver_status_interval = 1s  # fresh replay_lag figures
            archive_mode = on
            archive_command = '{archiveCommand.Replace("'", "''")}'
            archive_timeout = 60
            log_line_prefix = '%m [%p] '
            """;
        await AppendAsPostgresAsync(Path.Combine(DataDirectory, "postgresql.conf"), conf, ct);
        // The lab is loopback-only; trust on 127.0.0.0/8 keeps it free of secrets.
        await AppendAsPostgresAsync(Path.Combine(DataDirectory, "pg_hba.conf"),
            "\nhost all all 127.0.0.0/8 trust\nhost replication all 127.0.0.0/8 trust\n", ct);
    }

    /// <summary>A standby of <paramref name="primary"/>: pg_basebackup -R with a physical slot.</summary>
    public Task CloneFromAsync(PostgresCluster primary, string user, string slot, string applicationName, CancellationToken ct) =>
        runner.RunPostgresAsync(bin.PgBaseBackup,
            ["-h", primary.Address, "-p", primary.Port.ToString(), "-U", user, "-D", DataDirectory,
             "-R", "-S", slot, "-X", "stream", "--no-sync", "-c", "fast", "-d", $"application_name={applicationName}"],
            CommandTimeout, ct);

    /// <summary>Where the server's Unix socket is (the backup engine connects through it); null: no socket.</summary>
    public string? SocketDirectory { get; } = socketDirectory;

    /// <param name="extraOptions">More <c>-c name=value</c> settings for this start only (a restored instance: archive_mode=off…).</param>
    public async Task StartAsync(CancellationToken ct, string extraOptions = "")
    {
        if (SocketDirectory is { } dir && !Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir);
            if (runner.RunsAsPostgresUser) Posix.ChownToPostgres(dir, recursive: false);
        }
        await runner.RunPostgresAsync(bin.PgCtl,
            ["-D", DataDirectory, "-l", logFile, "-w", "-t", "60",
             "-o", $"-p {Port} -c listen_addresses={Address} -c unix_socket_directories='{SocketDirectory ?? ""}' {extraOptions}".TrimEnd(), "start"],
            CommandTimeout, ct);
    }

    /// <summary>pg_ctl stop; <paramref name="mode"/> is smart, fast or immediate.</summary>
    public Task StopAsync(string mode, CancellationToken ct) =>
        runner.RunPostgresAsync(bin.PgCtl, ["-D", DataDirectory, "-m", mode, "-w", "-t", "30", "stop"], CommandTimeout, ct);

    /// <summary>The postmaster's pid from postmaster.pid, when the file exists.</summary>
    public int? PostmasterPid()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        try
        {
            using var reader = new StreamReader(pidFile);
            return int.TryParse(reader.ReadLine(), out var pid) ? pid : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Running = the postmaster of this data directory is alive (it may be hung).</summary>
    public bool IsRunning() => PostmasterPid() is { } pid && Posix.IsAlive(pid) && Posix.CommandLine(pid).Contains(DataDirectory, StringComparison.Ordinal);

    public async Task ExecuteAsync(string database, string user, string sql, CancellationToken ct, int timeoutSeconds = 5)
    {
        await using var conn = new NpgsqlConnection(ConnectionString(database, user, timeoutSeconds));
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<T?> ScalarAsync<T>(string database, string user, string sql, CancellationToken ct, int timeoutSeconds = 5)
    {
        await using var conn = new NpgsqlConnection(ConnectionString(database, user, timeoutSeconds));
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        var value = await cmd.ExecuteScalarAsync(ct);
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>Observes the server within about <paramref name="timeout"/>; never throws for an unreachable server.</summary>
    public async Task<PostgresObservation> ObserveAsync(string user, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await using var conn = new NpgsqlConnection(ConnectionString("postgres", user, Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds))));
            await conn.OpenAsync(cts.Token);
            await using var cmd = new NpgsqlCommand("""
                SELECT pg_is_in_recovery(),
                       current_setting('default_transaction_read_only') = 'on',
                       CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,
                       (SELECT timeline_id FROM pg_control_checkpoint()),
                       pg_last_wal_receive_lsn()::text,
                       pg_last_wal_replay_lsn()::text,
                       CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END,
                       EXTRACT(EPOCH FROM (clock_timestamp() - pg_last_xact_replay_timestamp()))::float8,
                       (SELECT status = 'streaming' FROM pg_stat_wal_receiver LIMIT 1)
                """, conn);
            await using (var r = await cmd.ExecuteReaderAsync(cts.Token))
            {
                await r.ReadAsync(cts.Token);
                var inRecovery = r.GetBoolean(0);
                var readOnly = r.GetBoolean(1);
                var currentLsn = r.IsDBNull(2) ? null : r.GetString(2);
                var timeline = r.IsDBNull(3) ? (int?)null : r.GetInt32(3);
                var receive = r.IsDBNull(4) ? null : r.GetString(4);
                var replay = r.IsDBNull(5) ? null : r.GetString(5);
                bool? paused = r.IsDBNull(6) ? null : r.GetBoolean(6);
                double? replayAge = r.IsDBNull(7) ? null : r.GetDouble(7);
                bool? streaming = r.IsDBNull(8) ? (inRecovery ? false : null) : r.GetBoolean(8);
                await r.CloseAsync();

                string? replicaState = null, syncState = null;
                long? lagBytes = null;
                double? replayLag = null;
                if (!inRecovery)
                {
                    await using var rep = new NpgsqlCommand("""
                        SELECT state, sync_state,
                               pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,
                               EXTRACT(EPOCH FROM replay_lag)::float8
                        FROM pg_stat_replication ORDER BY backend_start LIMIT 1
                        """, conn);
                    await using var rr = await rep.ExecuteReaderAsync(cts.Token);
                    if (await rr.ReadAsync(cts.Token))
                    {
                        replicaState = rr.IsDBNull(0) ? null : rr.GetString(0);
                        syncState = rr.IsDBNull(1) ? null : rr.GetString(1);
                        lagBytes = rr.IsDBNull(2) ? null : Math.Max(0, rr.GetInt64(2));
                        replayLag = rr.IsDBNull(3) ? null : rr.GetDouble(3);
                    }
                    await rr.CloseAsync();
                    if (replicaState is null)
                    {
                        // No standby connected: its lag is not zero, it is growing. The slot still says
                        // how much WAL the standby has not confirmed; the RPO guard must see that, not
                        // the last figure from when it was streaming.
                        await using var slot = new NpgsqlCommand(
                            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM pg_replication_slots " +
                            "WHERE slot_type = 'physical' AND restart_lsn IS NOT NULL ORDER BY restart_lsn LIMIT 1", conn);
                        if (await slot.ExecuteScalarAsync(cts.Token) is long behind) lagBytes = Math.Max(0, behind);
                    }
                }
                return new PostgresObservation(true, null, inRecovery, readOnly, currentLsn, timeline,
                    replicaState, syncState, lagBytes, replayLag, receive, replay, streaming, paused, replayAge);
            }
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            if (ct.IsCancellationRequested) throw;
            return PostgresObservation.Unreachable(e is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0.#} s" : e.Message);
        }
    }

    private async Task AppendAsPostgresAsync(string file, string text, CancellationToken ct)
    {
        // The file belongs to the postgres user when we are root; appending as root keeps its owner.
        await File.AppendAllTextAsync(file, text, ct);
    }
}
