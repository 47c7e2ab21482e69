using Npgsql;
using Regami.Dr.Core.Drills;

namespace Regami.Dr.Lab.Drills;

/// <summary>The drill's ground truth on the lab: SQL on each region's PostgreSQL, and pg_ctl for a fenced one.</summary>
public sealed class LabRecordsInspector(LabEnvironment env) : IRecordsInspector
{
    private const string SeqsInRange = "SELECT seq FROM records WHERE seq BETWEEN $1 AND $2";
    /// <summary>Row count and checksum of the records table (shared with the backup verification's scratch restores).</summary>
    internal const string Digest = "SELECT count(*)::text || ':' || coalesce(md5(string_agg(seq::text || ':' || payload, ',' ORDER BY seq)), '') FROM records";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    public async Task<long> MaxSeqAsync(string region, CancellationToken ct) =>
        await ScalarAsync<long?>(region, "SELECT coalesce(max(seq), 0) FROM records", ct) ?? 0;

    public Task<IReadOnlySet<long>> PresentSeqsAsync(string region, SeqRange range, CancellationToken ct) =>
        ReadSeqsAsync(env.Cluster(region).ConnectionString(env.Options.Database.Name, env.Options.Database.User, 10), range, ct);

    /// <summary>
    /// Starts the fenced old primary in isolation — no TCP listener, only a Unix socket inside its
    /// own data directory, no archiving — reads the workload's rows, and stops it again.
    /// </summary>
    public async Task<IReadOnlySet<long>> ReadFencedPrimaryAsync(string region, SeqRange range, CancellationToken ct)
    {
        var cluster = env.Cluster(region);
        if (cluster.IsRunning()) throw new InvalidOperationException($"{region} should be fenced (stopped) after the failover, but it runs");
        var bin = env.Binaries();
        var port = env.Options.Ports.Postgres;
        await env.Runner.RunPostgresAsync(bin.PgCtl, ["-D", cluster.DataDirectory, "-l", env.Paths.PgLog(region), "-w", "-t", "60",
            "-o", $"-p {port} -c listen_addresses='' -c unix_socket_directories='{cluster.DataDirectory}' -c archive_mode=off", "start"], StartTimeout, ct);
        try
        {
            return await ReadSeqsAsync($"Host={cluster.DataDirectory};Port={port};Username={env.Options.Database.User};Database={env.Options.Database.Name};Pooling=false;Timeout=10", range, ct);
        }
        finally
        {
            await env.Runner.RunPostgresAsync(bin.PgCtl, ["-D", cluster.DataDirectory, "-m", "fast", "-w", "stop"], StopTimeout, CancellationToken.None);
        }
    }

    public async Task<RecordsDigest> DigestAsync(string region, CancellationToken ct)
    {
        var text = await ScalarAsync<string>(region, Digest, ct) ?? "";
        var parts = text.Split(':', 2);
        return new RecordsDigest(long.TryParse(parts[0], out var rows) ? rows : 0, parts.Length > 1 ? parts[1] : "");
    }

    public async Task<string?> ServerVersionAsync(string preferredRegion, CancellationToken ct)
    {
        foreach (var region in env.Options.Regions.Select(r => r.Name).Prepend(preferredRegion))
            try { return await ScalarAsync<string>(region, "SHOW server_version", ct); }
            catch (NpgsqlException) { } // that region is down; ask the next one
        return null;
    }

    public async Task<string> CutReplicationAsync(string standbyRegion, CancellationToken ct)
    {
        await ScalarAsync<bool?>(standbyRegion, "ALTER SYSTEM SET primary_conninfo = ''", ct);
        await ScalarAsync<bool?>(standbyRegion, "SELECT pg_reload_conf()", ct);
        return $"primary_conninfo cleared on {standbyRegion}";
    }

    private static async Task<IReadOnlySet<long>> ReadSeqsAsync(string connectionString, SeqRange range, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(SeqsInRange, conn) { Parameters = { new() { Value = range.First }, new() { Value = range.Last } } };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var seqs = new HashSet<long>();
        while (await reader.ReadAsync(ct)) seqs.Add(reader.GetInt64(0));
        return seqs;
    }

    private Task<T?> ScalarAsync<T>(string region, string sql, CancellationToken ct) =>
        env.Cluster(region).ScalarAsync<T>(env.Options.Database.Name, env.Options.Database.User, sql, ct);
}
