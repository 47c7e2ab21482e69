using System.Diagnostics;
using Npgsql;
using Regami.Dr.Lab.Postgres;
using Regami.Dr.Lab.Processes;

namespace Regami.Dr.Integration.Tests.Postgres;

/// <summary>
/// A primary (A) and, optionally, a streaming standby (B) built like the lab builds them
/// (initdb + the lab settings, pg_basebackup -R -S slot), in a temp dir of their own on
/// loopback addresses 127.0.40.x, port 5432. Disposal stops whatever still runs and deletes it all.
/// </summary>
internal sealed class PgTestPair : IAsyncDisposable
{
    public const string User = "postgres";
    public const int Port = 5432;
    public const string SlotA = "node_a", SlotB = "node_b"; // slot (= application_name) of A on B, of B on A

    public static readonly PostgresBinaries Bin = PostgresBinaries.Locate(null);
    public static readonly CommandRunner Runner = new(Posix.IsRoot);

    public string BaseDir { get; }
    public PostgresCluster A { get; }
    public PostgresCluster B { get; }
    public PostgresRoleOperations Ops { get; } = new(Bin, Runner, User);

    private PgTestPair(string baseDir, int hostA, int hostB)
    {
        BaseDir = baseDir;
        A = Node("a", hostA);
        B = Node("b", hostB);
    }

    private PostgresCluster Node(string name, int host)
    {
        var dir = Path.Combine(BaseDir, name);
        Directory.CreateDirectory(Path.Combine(dir, "wal-archive")); // the lab's archive_command copies to ../wal-archive
        return new PostgresCluster(Bin, Runner, Path.Combine(dir, "pgdata"), $"127.0.40.{host}", Port, Path.Combine(dir, "postgres.log"));
    }

    public static async Task<PgTestPair> StartAsync(int hostA, int hostB, bool withStandby = true)
    {
        var root = Path.Combine(Path.GetTempPath(), $"regami-dr-pgops-tests-{Environment.UserName}");
        Directory.CreateDirectory(root);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        var baseDir = Path.Combine(root, Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(baseDir);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(baseDir, (UnixFileMode)0b111_101_101);
        var pair = new PgTestPair(baseDir, hostA, hostB);
        try
        {
            foreach (var c in new[] { pair.A, pair.B })
                if (!PortProbe.IsFree(c.Address, c.Port))
                    throw new InvalidOperationException($"{c.Address}:{c.Port} is in use by {PortProbe.Holder(c.Address, c.Port)} (a leftover test server?)");
            if (Posix.IsRoot) await Runner.RunAsync("chown", ["-R", "postgres:postgres", baseDir], TimeSpan.FromSeconds(10), default);
            await pair.A.InitAsync(User, default);
            await pair.A.StartAsync(default);
            if (withStandby)
            {
                await pair.ExecAsync(pair.A, $"SELECT pg_create_physical_replication_slot('{SlotB}', true)");
                await pair.B.CloneFromAsync(pair.A, User, SlotB, SlotB, default);
                await pair.B.StartAsync(default);
            }
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    public Task ExecAsync(PostgresCluster c, string sql) => c.ExecuteAsync("postgres", User, sql, default, 15);

    public async Task<T?> ScalarAsync<T>(PostgresCluster c, string sql)
    {
        await using var conn = new NpgsqlConnection(c.ConnectionString("postgres", User, 10));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        var v = await cmd.ExecuteScalarAsync();
        return v is null or DBNull ? default : (T)Convert.ChangeType(v, typeof(T));
    }

    public Task<string?> CurrentLsnAsync(PostgresCluster primary) => ScalarAsync<string>(primary, "SELECT pg_current_wal_lsn()::text");

    /// <summary>"count:md5 of every row in id order" of table t.</summary>
    public Task<string?> ChecksumAsync(PostgresCluster c) =>
        ScalarAsync<string>(c, "SELECT count(*) || ':' || coalesce(md5(string_agg(id || '=' || v, ',' ORDER BY id)), '') FROM t");

    public Task InsertAsync(PostgresCluster c, int from, int to, string tag) =>
        ExecAsync(c, $"INSERT INTO t SELECT g, '{tag}-' || g FROM generate_series({from}, {to}) g");

    /// <summary>Sends a signal to the postmaster and all its children (SIGKILL = a crash of the machine).</summary>
    public static IReadOnlyList<int> SignalTree(PostgresCluster c, int signal)
    {
        var pid = c.PostmasterPid() ?? throw new InvalidOperationException($"{c.DataDirectory} has no postmaster.pid");
        var tree = ProcessTree.Descendants(pid).Prepend(pid).ToList();
        foreach (var p in tree) Posix.Signal(p, signal);
        if (signal == Posix.SIGSTOP)
        {
            // Delivery is asynchronous: wait until every process shows state T.
            var sw = Stopwatch.StartNew();
            while (tree.Any(p => Posix.State(p) is { } s && s != 'T') && sw.Elapsed < TimeSpan.FromSeconds(2)) Thread.Sleep(5);
        }
        return tree;
    }

    /// <summary>Polls <paramref name="probe"/> every 50 ms until <paramref name="until"/> holds.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> until, TimeSpan within, string what)
    {
        var sw = Stopwatch.StartNew();
        var last = await probe();
        while (!until(last))
        {
            if (sw.Elapsed > within) throw new TimeoutException($"{what}: not true within {within.TotalSeconds:0.#} s; last value: {last}");
            await Task.Delay(50);
            last = await probe();
        }
        return last;
    }

    public static async Task WaitGoneAsync(IEnumerable<int> pids, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        var list = pids.ToList();
        while (list.Any(Posix.IsAlive))
        {
            if (sw.Elapsed > within) throw new TimeoutException($"pids {string.Join(", ", list.Where(Posix.IsAlive))} still alive");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in new[] { A, B })
        {
            try
            {
                if (c.PostmasterPid() is not { } pid || !c.IsRunning()) continue;
                var tree = ProcessTree.Descendants(pid).Prepend(pid).ToList();
                foreach (var p in tree) Posix.Signal(p, Posix.SIGCONT);
                await Runner.RunPostgresAsync(Bin.PgCtl, ["-D", c.DataDirectory, "-m", "immediate", "-w", "-t", "10", "stop"], TimeSpan.FromSeconds(15), default, check: false);
                if (c.IsRunning())
                    foreach (var p in tree) Posix.Signal(p, Posix.SIGKILL);
            }
            catch (Exception) { /* best effort */ }
        }
        try { Directory.Delete(BaseDir, recursive: true); }
        catch (Exception) { /* best effort */ }
    }
}
