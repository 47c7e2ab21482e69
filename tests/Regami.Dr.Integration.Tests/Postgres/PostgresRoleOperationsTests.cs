using System.Diagnostics;
using Npgsql;
using Regami.Dr.Core.Ports;
using Regami.Dr.Lab.Postgres;
using Regami.Dr.Lab.Processes;
using Xunit.Abstractions;

namespace Regami.Dr.Integration.Tests.Postgres;

/// <summary>
/// The failover / switchover / failback primitives against real PostgreSQL pairs. Each test
/// builds its own pair on its own 127.0.40.x addresses and tears it down.
/// </summary>
public sealed class PostgresRoleOperationsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private static readonly CancellationToken None = CancellationToken.None;

    private void Log(string text) => output.WriteLine(text);

    private async Task<T> TimedAsync<T>(string what, Func<Task<T>> action)
    {
        var sw = Stopwatch.StartNew();
        var result = await action();
        Log($"{what}: {sw.Elapsed.TotalMilliseconds:0} ms");
        return result;
    }

    private async Task TimedAsync(string what, Func<Task> action) => await TimedAsync(what, async () => { await action(); return 0; });

    /// <summary>
    /// Campaign regression (seed 20261129, sequence 2: region-outage, kill-db, pause-replication): a
    /// standby whose replay was paused waited at promote until the step timed out (PostgreSQL acts on a
    /// promote request only once replay resumes). Promote resumes replay first and says so.
    /// </summary>
    [Fact]
    public async Task Campaign_promote_of_a_standby_with_paused_replay_resumes_it_and_keeps_every_row()
    {
        await using var pg = await PgTestPair.StartAsync(12, 13);
        var (a, b, ops) = (pg.A, pg.B, pg.Ops);
        await pg.ExecAsync(a, "CREATE TABLE t (id int PRIMARY KEY, v text)");
        await TimedAsync("wait until replayed", async () => await ops.WaitUntilReplayedAsync(b, (await pg.CurrentLsnAsync(a))!, Wait, None));
        await pg.ExecAsync(b, "SELECT pg_wal_replay_pause()");
        await pg.InsertAsync(a, 1, 1, "while-paused");
        var lsn = (await pg.CurrentLsnAsync(a))!;
        await PgTestPair.EventuallyAsync(() => pg.ScalarAsync<string>(a, "SELECT flush_lsn::text FROM pg_stat_replication"), f => f == lsn, Wait, "the standby received the row");

        var said = await TimedAsync("promote a paused standby", () => ops.PromoteAsync(b, TimeSpan.FromSeconds(20), None));
        Assert.Equal("replay was paused: resumed it first", said);
        Assert.False(await pg.ScalarAsync<bool>(b, "SELECT pg_is_in_recovery()"));
        Assert.Equal(1L, await pg.ScalarAsync<long>(b, "SELECT count(*) FROM t WHERE v LIKE 'while-paused-%'"));
    }

    [Fact]
    public async Task Promote_makes_the_standby_writable_with_the_data_written_before_and_a_new_timeline_in_its_control_file()
    {
        await using var pg = await PgTestPair.StartAsync(2, 3);
        var (a, b, ops) = (pg.A, pg.B, pg.Ops);
        await pg.ExecAsync(a, "CREATE TABLE t (id int PRIMARY KEY, v text)");
        await pg.InsertAsync(a, 1, 1, "before-promote");
        await TimedAsync("wait until replayed", async () => await ops.WaitUntilReplayedAsync(b, (await pg.CurrentLsnAsync(a))!, Wait, None));

        // Synchronous standby on and off, checked where PostgreSQL reports it.
        await ops.SetSynchronousStandbyAsync(a, PgTestPair.SlotB, None);
        Assert.Equal($"\"{PgTestPair.SlotB}\"", PostgresAutoConf.Get(a.DataDirectory, "synchronous_standby_names")); // ALTER SYSTEM's own quoting, read back
        await PgTestPair.EventuallyAsync(() => pg.ScalarAsync<string>(a, "SELECT sync_state FROM pg_stat_replication"), s => s == "sync", Wait, "sync_state = sync");
        await pg.InsertAsync(a, 2, 2, "sync-commit");
        await ops.SetSynchronousStandbyAsync(a, null, None);
        await PgTestPair.EventuallyAsync(() => pg.ScalarAsync<string>(a, "SELECT sync_state FROM pg_stat_replication"), s => s == "async", Wait, "sync_state = async");

        // A standby that does not replay: the wait gives up with both positions in the message.
        await pg.ExecAsync(b, "SELECT pg_wal_replay_pause()");
        await pg.InsertAsync(a, 3, 3, "while-paused");
        var lsn = (await pg.CurrentLsnAsync(a))!;
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => ops.WaitUntilReplayedAsync(b, lsn, TimeSpan.FromMilliseconds(300), None));
        Log("timeout message: " + timeout.Message);
        Assert.Contains(lsn, timeout.Message);
        Assert.Matches(@"replayed up to [0-9A-F]+/[0-9A-F]+", timeout.Message);
        await pg.ExecAsync(b, "SELECT pg_wal_replay_resume()");
        await TimedAsync("wait until caught up", () => ops.WaitUntilCaughtUpAsync(a, PgTestPair.SlotB, 0, Wait, None));

        Assert.Equal(1, (await ops.ReadControlDataAsync(b, None)).TimelineId);
        await TimedAsync("promote", () => ops.PromoteAsync(b, TimeSpan.FromSeconds(30), None));
        Assert.False(await pg.ScalarAsync<bool>(b, "SELECT pg_is_in_recovery()"));
        Assert.Equal("before-promote-1", await pg.ScalarAsync<string>(b, "SELECT v FROM t WHERE id = 1"));
        Assert.Equal(3L, await pg.ScalarAsync<long>(b, "SELECT count(*) FROM t"));
        await pg.InsertAsync(b, 4, 4, "after-promote");
        // The CHECKPOINT after promotion: pg_control names timeline 2 (what pg_rewind reads).
        Assert.Equal(2, (await ops.ReadControlDataAsync(b, None)).TimelineId);

        // Idempotent: a primary returns at once.
        await TimedAsync("promote again (already primary)", () => ops.PromoteAsync(b, TimeSpan.FromSeconds(30), None));
        await ops.PromoteAsync(a, TimeSpan.FromSeconds(30), None);
        Assert.Equal(1, (await ops.ReadControlDataAsync(a, None)).TimelineId);
    }

    [Fact]
    public async Task Unplanned_failover_then_failback_by_pg_rewind_drops_what_only_the_old_primary_had()
    {
        await using var pg = await PgTestPair.StartAsync(4, 5);
        var (a, b, ops) = (pg.A, pg.B, pg.Ops);
        await pg.ExecAsync(a, "CREATE TABLE t (id int PRIMARY KEY, v text)");
        await pg.InsertAsync(a, 1, 100, "a");
        await ops.WaitUntilReplayedAsync(b, (await pg.CurrentLsnAsync(a))!, Wait, None);

        // Diverge: B is cut off (pausing replay is not enough: at promotion B replays all WAL it
        // has received), A commits rows B never receives, then A crashes (SIGKILL of every process).
        await b.StopAsync("fast", None);
        await pg.InsertAsync(a, 101, 110, "a-only");
        await PgTestPair.WaitGoneAsync(PgTestPair.SignalTree(a, Posix.SIGKILL), TimeSpan.FromSeconds(5));
        Assert.Equal("in production", (await ops.ReadControlDataAsync(a, None)).ClusterState);

        await b.StartAsync(None);
        await TimedAsync("promote B", () => ops.PromoteAsync(b, TimeSpan.FromSeconds(30), None));
        await pg.InsertAsync(b, 201, 220, "b");
        Assert.Equal(120L, await pg.ScalarAsync<long>(b, "SELECT count(*) FROM t"));
        // B will want A as its synchronous standby; pg_rewind copies B's auto.conf (with that
        // setting and B's old primary_conninfo) into A: the rebuild must not leave either there.
        await ops.SetSynchronousStandbyAsync(b, PgTestPair.SlotA, None);

        var result = await TimedAsync("rebuild A from B", () => ops.RebuildAsStandbyAsync(a, b, PgTestPair.SlotA, PgTestPair.SlotA, allowReclone: false, None));
        Log($"rebuild: {result.Path} in {result.Duration.TotalMilliseconds:0} ms: {result.Detail}");
        Assert.Equal(RebuildPath.Rewind, result.Path);
        Assert.Contains("single-user mode", result.Detail);   // the crashed A was recovered offline first
        Assert.Contains("servers diverged", result.Detail);
        Assert.DoesNotContain("no rewind required", result.Detail);
        Assert.True(File.Exists(Path.Combine(a.DataDirectory, "standby.signal")));
        Assert.Equal(PgTestPair.SlotA, PostgresAutoConf.Get(a.DataDirectory, "primary_slot_name"));
        Assert.Contains($"host={b.Address}", PostgresAutoConf.Get(a.DataDirectory, "primary_conninfo"));
        Assert.Contains("removed synchronous_standby_names", result.Detail);
        Assert.Null(PostgresAutoConf.Get(a.DataDirectory, "synchronous_standby_names"));
        Assert.Empty(Directory.GetDirectories(Path.Combine(a.DataDirectory, "pg_replslot"))); // A's old slot for B is gone

        await TimedAsync("start A as standby", () => a.StartAsync(None));
        await TimedAsync("A catches up", () => ops.WaitUntilCaughtUpAsync(b, PgTestPair.SlotA, 0, Wait, None));
        Assert.True(await pg.ScalarAsync<bool>(a, "SELECT pg_is_in_recovery()"));
        Assert.Equal("streaming", await pg.ScalarAsync<string>(b, $"SELECT state FROM pg_stat_replication WHERE application_name = '{PgTestPair.SlotA}'"));
        var checksumB = await pg.ChecksumAsync(b);
        Assert.Equal(checksumB, await pg.ChecksumAsync(a));
        Assert.StartsWith("120:", checksumB);
        Assert.Equal(0L, await pg.ScalarAsync<long>(a, "SELECT count(*) FROM t WHERE id BETWEEN 101 AND 110"));

        // A keeps streaming what B writes next, as B's synchronous standby.
        Assert.Equal("sync", await pg.ScalarAsync<string>(b, $"SELECT sync_state FROM pg_stat_replication WHERE application_name = '{PgTestPair.SlotA}'"));
        await pg.InsertAsync(b, 221, 230, "b");
        await ops.WaitUntilReplayedAsync(a, (await pg.CurrentLsnAsync(b))!, Wait, None);
        Assert.Equal(130L, await pg.ScalarAsync<long>(a, "SELECT count(*) FROM t"));
    }

    [Fact]
    public async Task Switchover_stops_writes_fences_cleanly_and_the_old_primary_follows_without_rewind_and_without_read_only()
    {
        await using var pg = await PgTestPair.StartAsync(6, 7);
        var (a, b, ops) = (pg.A, pg.B, pg.Ops);
        await pg.ExecAsync(a, "CREATE TABLE t (id int PRIMARY KEY, v text)");
        await pg.InsertAsync(a, 1, 50, "a");

        // A cancelled switchover: stop writes, allow them again.
        await ops.StopWritesAsync(a, None);
        await ops.AllowWritesAsync(a, None);
        await pg.InsertAsync(a, 51, 51, "a");
        Assert.Null(PostgresAutoConf.Get(a.DataDirectory, "default_transaction_read_only"));

        // A client session that is open during the switchover is terminated.
        await using var client = new NpgsqlConnection(a.ConnectionString("postgres", PgTestPair.User, 5));
        await client.OpenAsync();
        var lsn = await TimedAsync("stop writes", () => ops.StopWritesAsync(a, None));
        Log($"stop writes at {lsn}");
        await Assert.ThrowsAnyAsync<NpgsqlException>(async () =>
        {
            await using var cmd = new NpgsqlCommand("INSERT INTO t VALUES (1000, 'client')", client);
            await cmd.ExecuteNonQueryAsync();
        });
        var refused = await Assert.ThrowsAsync<PostgresException>(() => pg.InsertAsync(a, 52, 52, "refused"));
        Assert.Equal("25006", refused.SqlState); // read_only_sql_transaction
        Log("write after stop: " + refused.MessageText);

        await TimedAsync("wait until replayed", () => ops.WaitUntilReplayedAsync(b, lsn, Wait, None));
        var fence = await TimedAsync("fence A", () => ops.FenceAsync(a, None));
        Log("fence: " + fence);
        Assert.Contains("pg_ctl stop -m fast", fence);
        Assert.DoesNotContain("SIGKILL", fence);
        Assert.False(a.IsRunning());
        Assert.Equal("shut down", (await ops.ReadControlDataAsync(a, None)).ClusterState);
        Assert.Contains("already stopped", await ops.FenceAsync(a, None));

        await TimedAsync("promote B", () => ops.PromoteAsync(b, TimeSpan.FromSeconds(30), None));
        await pg.InsertAsync(b, 52, 60, "b");
        var result = await TimedAsync("rebuild A from B", () => ops.RebuildAsStandbyAsync(a, b, PgTestPair.SlotA, PgTestPair.SlotA, allowReclone: false, None));
        Log($"rebuild: {result.Path} in {result.Duration.TotalMilliseconds:0} ms: {result.Detail}");
        Assert.Equal(RebuildPath.Rewind, result.Path);
        Assert.Contains("no rewind required", result.Detail);
        Assert.Contains("removed default_transaction_read_only", result.Detail);
        Assert.Null(PostgresAutoConf.Get(a.DataDirectory, "default_transaction_read_only"));

        await a.StartAsync(None);
        await TimedAsync("A catches up", () => ops.WaitUntilCaughtUpAsync(b, PgTestPair.SlotA, 0, Wait, None));
        Assert.Equal(await pg.ChecksumAsync(b), await pg.ChecksumAsync(a));
        Assert.StartsWith("60:", await pg.ChecksumAsync(a));
        Assert.Equal("off", await pg.ScalarAsync<string>(a, "SHOW default_transaction_read_only"));

        // Rebuilding a standby that already follows: nothing to do but rewrite its settings.
        await a.StopAsync("fast", None);
        var again = await ops.RebuildAsStandbyAsync(a, b, PgTestPair.SlotA, PgTestPair.SlotA, allowReclone: false, None);
        Log($"rebuild again: {again.Path} in {again.Duration.TotalMilliseconds:0} ms: {again.Detail}");
        Assert.Equal(RebuildPath.AlreadyStandby, again.Path);
        await a.StartAsync(None);
        await ops.WaitUntilCaughtUpAsync(b, PgTestPair.SlotA, 0, Wait, None);
    }

    [Fact]
    public async Task When_pg_rewind_is_impossible_the_rebuild_fails_with_its_message_or_reclones_when_allowed()
    {
        await using var pg = await PgTestPair.StartAsync(8, 9);
        var (a, b, ops) = (pg.A, pg.B, pg.Ops);
        await pg.ExecAsync(a, "CREATE TABLE t (id int PRIMARY KEY, v text)");
        await pg.InsertAsync(a, 1, 100, "a");
        await ops.WaitUntilReplayedAsync(b, (await pg.CurrentLsnAsync(a))!, Wait, None);

        // Diverge across WAL segments, stop A cleanly, then lose A's WAL before its last checkpoint
        // (recycled / archived away): pg_rewind cannot find the divergence point in A's WAL.
        await b.StopAsync("fast", None);
        await pg.InsertAsync(a, 101, 110, "a-only");
        await pg.ExecAsync(a, "SELECT pg_switch_wal()");
        await pg.InsertAsync(a, 111, 120, "a-only");
        await pg.ExecAsync(a, "SELECT pg_switch_wal()");
        await pg.InsertAsync(a, 121, 130, "a-only");
        Log("fence: " + await ops.FenceAsync(a, None));
        var control = await ops.ReadControlDataAsync(a, None);
        var keepFrom = control.Fields["Latest checkpoint's REDO WAL file"];
        var walDir = Path.Combine(a.DataDirectory, "pg_wal");
        var removed = Directory.GetFiles(walDir).Select(Path.GetFileName)
            .Where(n => n!.Length == 24 && n.All(Uri.IsHexDigit) && string.CompareOrdinal(n, keepFrom) < 0).ToList();
        foreach (var n in removed) File.Delete(Path.Combine(walDir, n!));
        foreach (var f in Directory.GetFiles(Path.Combine(walDir, "archive_status")))
            if (removed.Contains(Path.GetFileName(f).Split('.')[0])) File.Delete(f);
        Log($"removed {removed.Count} WAL segment(s) of A older than {keepFrom}");
        Assert.NotEmpty(removed);

        await b.StartAsync(None);
        await ops.PromoteAsync(b, TimeSpan.FromSeconds(30), None);
        await pg.InsertAsync(b, 201, 210, "b");

        var failed = await Assert.ThrowsAsync<CommandFailedException>(() => ops.RebuildAsStandbyAsync(a, b, PgTestPair.SlotA, PgTestPair.SlotA, allowReclone: false, None));
        Log("without reclone: " + failed.Message);
        Assert.Contains("pg_rewind", failed.Message);
        Assert.Contains("could not", failed.Result.StandardError);
        Assert.True(a.Exists); // untouched
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(a.DataDirectory)!, "pgdata.failed-*"));

        var result = await TimedAsync("rebuild A from B with reclone", () => ops.RebuildAsStandbyAsync(a, b, PgTestPair.SlotA, PgTestPair.SlotA, allowReclone: true, None));
        Log($"rebuild: {result.Path} in {result.Duration.TotalMilliseconds:0} ms: {result.Detail}");
        Assert.Equal(RebuildPath.Reclone, result.Path);
        Assert.Contains("could not", result.Detail);
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(a.DataDirectory)!, "pgdata.failed-*")); // deleted after success

        await a.StartAsync(None);
        await TimedAsync("A catches up", () => ops.WaitUntilCaughtUpAsync(b, PgTestPair.SlotA, 0, Wait, None));
        Assert.Equal(await pg.ChecksumAsync(b), await pg.ChecksumAsync(a));
        Assert.StartsWith("110:", await pg.ChecksumAsync(a));
        Assert.Equal(0L, await pg.ScalarAsync<long>(a, "SELECT count(*) FROM t WHERE id BETWEEN 101 AND 130"));
    }

    [Fact]
    public async Task Fence_resumes_a_hung_server_and_stops_it_and_kills_when_the_stop_cannot_finish()
    {
        await using var pg = await PgTestPair.StartAsync(10, 11);
        var (a, b, ops) = (pg.A, pg.B, pg.Ops);
        await pg.ExecAsync(a, "CREATE TABLE t (id int PRIMARY KEY, v text)");
        await ops.WaitUntilCaughtUpAsync(a, PgTestPair.SlotB, 0, Wait, None);

        // 1. A stop that cannot finish: the standby is frozen, so the primary's walsender waits for
        // it to confirm the shutdown checkpoint (up to wal_sender_timeout): fence kills.
        var standbyTree = PgTestPair.SignalTree(b, Posix.SIGSTOP);
        await pg.InsertAsync(a, 1, 10, "a");
        var quick = new PostgresRoleOperations(PgTestPair.Bin, PgTestPair.Runner, PgTestPair.User) { FenceStopTimeout = TimeSpan.FromSeconds(2) };
        IReadOnlyList<int> tree = ProcessTree.Descendants(a.PostmasterPid()!.Value).Prepend(a.PostmasterPid()!.Value).ToList();
        var fence = await TimedAsync("fence with a frozen standby (stop timeout 2 s)", () => quick.FenceAsync(a, None));
        Log("fence: " + fence);
        Assert.Contains("SIGKILL", fence);
        Assert.False(a.IsRunning());
        Assert.DoesNotContain(tree, Posix.IsAlive);
        // Only the walsender was waiting: the shutdown checkpoint may be written already, and the
        // sentence reports what pg_control says rather than guessing.
        var state = (await ops.ReadControlDataAsync(a, None)).ClusterState;
        Assert.Contains($"pg_control says '{state}'", fence);

        // 2. Whatever the kill left, the old primary is made rewindable (the single-user crash
        // recovery itself is proven by the failover test, where the primary is SIGKILLed outright).
        var clean = await TimedAsync("clean shutdown of the killed primary", () => ops.EnsureCleanShutdownAsync(a, None));
        Log("clean: " + clean);
        Assert.Equal("shut down", (await ops.ReadControlDataAsync(a, None)).ClusterState);
        Assert.False(a.IsRunning());
        Assert.StartsWith("cleanly shut down already", await ops.EnsureCleanShutdownAsync(a, None));

        // 3. A SIGSTOP-hung server: resumed, then a clean fast stop.
        await a.StartAsync(None);
        tree = PgTestPair.SignalTree(a, Posix.SIGSTOP);
        fence = await TimedAsync("fence a SIGSTOP-hung server", () => ops.FenceAsync(a, None));
        Log("fence: " + fence);
        Assert.Contains("resumed", fence);
        Assert.Contains("pg_ctl stop -m fast", fence);
        Assert.DoesNotContain("SIGKILL", fence);
        Assert.False(a.IsRunning());
        Assert.DoesNotContain(tree, Posix.IsAlive);
        Assert.Equal("shut down", (await ops.ReadControlDataAsync(a, None)).ClusterState);
        Assert.Contains("already stopped", await ops.FenceAsync(a, None));

        // 4. A crashed standby is recovered as a standby, offline: "shut down in recovery".
        foreach (var p in standbyTree) Posix.Signal(p, Posix.SIGKILL);
        await PgTestPair.WaitGoneAsync(standbyTree, TimeSpan.FromSeconds(5));
        Assert.Equal("in archive recovery", (await ops.ReadControlDataAsync(b, None)).ClusterState);
        clean = await TimedAsync("clean shutdown of the crashed standby", () => ops.EnsureCleanShutdownAsync(b, None));
        Log("clean: " + clean);
        Assert.Contains("as a standby", clean);
        Assert.Equal("shut down in recovery", (await ops.ReadControlDataAsync(b, None)).ClusterState);
        Assert.True(File.Exists(Path.Combine(b.DataDirectory, "standby.signal")));
        Assert.False(b.IsRunning());
    }
}
