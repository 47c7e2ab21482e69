using Npgsql;
using Regami.Dr.Core.Backups;
using Regami.Dr.Core.Drills;
using Regami.Dr.Lab.Processes;

namespace Regami.Dr.Lab.Drills;

/// <summary>The lab's data-loss faults: real SQL, real SIGKILLs, real directories removed.</summary>
public sealed class LabDataLoss(LabEnvironment env) : IDataLossInjector
{
    private string Database => env.Options.Database.Name;
    private string User => env.Options.Database.User;

    public async Task<DataLossResult> DropRecordsAsync(string region, CancellationToken ct)
    {
        var cluster = env.Cluster(region);
        await using var conn = new NpgsqlConnection(cluster.ConnectionString(Database, User, 30));
        await conn.OpenAsync(ct);
        var rows = await ScalarAsync<long>(conn, "SELECT count(*) FROM records", ct);
        // CASCADE: nothing depends on records in the sample schema, but a drill must not stop at a view someone added.
        await using (var drop = new NpgsqlCommand("DROP TABLE records CASCADE", conn)) await drop.ExecuteNonQueryAsync(ct);
        var at = env.Time.GetUtcNow();
        return new DataLossResult(at, rows, [$"DROP TABLE records on {region} ({cluster.Address}:{cluster.Port}): {rows} rows gone"]);
    }

    public async Task<DataLossResult> DeleteRecordsAsync(string region, SeqRange range, CancellationToken ct)
    {
        var cluster = env.Cluster(region);
        await using var conn = new NpgsqlConnection(cluster.ConnectionString(Database, User, 30));
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // The server's clock just before the DELETE: every transaction that committed before it is in a restore
        // to this instant, and the DELETE's own commit comes after it, so such a restore has every deleted row.
        var before = await ScalarAsync<DateTime>(conn, "SELECT clock_timestamp()", ct);
        await using var delete = new NpgsqlCommand("DELETE FROM records WHERE seq BETWEEN $1 AND $2", conn, tx)
        {
            Parameters = { new() { Value = range.First }, new() { Value = range.Last } },
        };
        var rows = await delete.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        var at = new DateTimeOffset(DateTime.SpecifyKind(before, DateTimeKind.Utc));
        return new DataLossResult(at, rows, [$"DELETE FROM records WHERE seq BETWEEN {range.First} AND {range.Last} on {region}: {rows} rows, transaction begun at {at:HH:mm:ss.fff}Z"]);
    }

    public async Task<DataLossResult> LoseProviderAsync(string lostRepositoryRegion, CancellationToken ct)
    {
        var actions = new List<string>();
        foreach (var region in env.Options.Regions.Select(r => r.Name))
        {
            var cluster = env.Cluster(region);
            if (cluster.IsRunning() && cluster.PostmasterPid() is { } pid)
            {
                Posix.Signal(pid, Posix.SIGCONT);
                Posix.Signal(pid, Posix.SIGKILL);
                await WaitForExitAsync(pid, ct);
                actions.Add($"SIGKILL PostgreSQL {region} (pid {pid})");
            }
        }
        var at = env.Time.GetUtcNow();
        foreach (var region in env.Options.Regions.Select(r => r.Name))
        {
            // The backends die with their postmaster a moment later; the directory goes once nothing writes into it.
            var data = env.Paths.PgData(region);
            if (Directory.Exists(data)) { Directory.Delete(data, recursive: true); actions.Add($"removed {region}'s data directory {data}"); }
        }
        var repo = env.Paths.BackupRepository(lostRepositoryRegion);
        if (Directory.Exists(repo)) { Directory.Delete(repo, recursive: true); actions.Add($"removed {lostRepositoryRegion}'s backup repository {repo}"); }
        return new DataLossResult(at, null, actions);
    }

    private static string ConnectionString(RestoredInstance i) => new NpgsqlConnectionStringBuilder
    {
        Host = i.Host, Port = i.Port, Database = i.Database, Username = i.User, Pooling = false, Timeout = 30, CommandTimeout = 300,
    }.ConnectionString;

    public async Task<long> CopyRecordsBackAsync(RestoredInstance from, string toRegion, SeqRange range, CancellationToken ct)
    {
        var source = ConnectionString(from);
        var seqs = new List<long>();
        var payloads = new List<string>();
        var regions = new List<string>();
        var committed = new List<DateTime>();
        await using (var src = new NpgsqlConnection(source))
        {
            await src.OpenAsync(ct);
            await using var read = new NpgsqlCommand("SELECT seq, payload, region, committed_at FROM records WHERE seq BETWEEN $1 AND $2 ORDER BY seq", src)
            {
                Parameters = { new() { Value = range.First }, new() { Value = range.Last } },
            };
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                seqs.Add(reader.GetInt64(0));
                payloads.Add(reader.GetString(1));
                regions.Add(reader.GetString(2));
                committed.Add(reader.GetDateTime(3));
            }
        }
        if (seqs.Count == 0) return 0;
        await using var dst = new NpgsqlConnection(env.Cluster(toRegion).ConnectionString(Database, User, 300));
        await dst.OpenAsync(ct);
        // One statement: all the rows come back or none does. A row the application wrote again meanwhile is kept.
        await using var insert = new NpgsqlCommand(
            "INSERT INTO records (seq, payload, region, committed_at) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[]) " +
            "ON CONFLICT (seq) DO NOTHING", dst)
        {
            Parameters = { new() { Value = seqs.ToArray() }, new() { Value = payloads.ToArray() }, new() { Value = regions.ToArray() }, new() { Value = committed.ToArray() } },
        };
        return await insert.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task WaitForExitAsync(int pid, CancellationToken ct)
    {
        for (var i = 0; i < 100 && Posix.IsAlive(pid); i++) await Task.Delay(50, ct);
    }
}
