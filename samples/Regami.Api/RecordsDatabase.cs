using Npgsql;

namespace Regami.Api;

/// <summary>Role of the database as seen by this instance.</summary>
internal enum DatabaseRole { Primary, Replica, ReadOnly }

internal sealed record DatabaseState(DatabaseRole Role, string? Reason)
{
    public bool Writable => Role == DatabaseRole.Primary;

    public string RoleName => Role switch
    {
        DatabaseRole.Primary => "primary",
        DatabaseRole.Replica => "replica",
        _ => "read-only",
    };
}

internal enum SchemaResult { Ensured, ReadOnly }

/// <summary>
/// Owns the Npgsql data sources, the idempotent schema set-up and the classification of
/// database failures. The database is failed over / killed / promoted under the app, so
/// every connection-level failure clears the pool and the next request reconnects.
/// </summary>
internal sealed class RecordsDatabase : IAsyncDisposable
{
    // Arbitrary constant key for pg_advisory_xact_lock: instances starting together serialise their migrations.
    private const long MigrationLockKey = 0x5245_4741_4D49; // "REGAMI"

    private readonly ILogger<RecordsDatabase> _logger;
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaEnsured;

    public RecordsDatabase(RegamiApiOptions options, ILogger<RecordsDatabase> logger)
    {
        _logger = logger;
        DataSource = NpgsqlDataSource.Create(options.ConnectionString);
        HealthDataSource = NpgsqlDataSource.Create(options.HealthConnectionString);
    }

    /// <summary>Pooled data source for request traffic.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>Unpooled data source with 1 s timeouts for <c>/health?check=db</c>.</summary>
    public NpgsqlDataSource HealthDataSource { get; }

    public bool SchemaEnsured => _schemaEnsured;

    /// <summary>Forget that the schema exists (e.g. after 42P01 because the cluster was re-created).</summary>
    public void InvalidateSchema() => _schemaEnsured = false;

    /// <summary>Drops idle pooled connections; busy ones are closed when returned.</summary>
    public void ClearPool()
    {
        try { DataSource.Clear(); }
        catch (Exception ex) { _logger.LogDebug(ex, "Clearing the connection pool failed"); }
    }

    public static async Task<DatabaseState> QueryStateAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only'), current_setting('transaction_read_only')",
            connection);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var inRecovery = reader.GetBoolean(0);
        var defaultReadOnly = reader.GetString(1);
        var txReadOnly = reader.GetString(2);
        if (inRecovery)
            return new DatabaseState(DatabaseRole.Replica, "database is in recovery (hot standby replica)");
        if (!string.Equals(defaultReadOnly, "off", StringComparison.OrdinalIgnoreCase))
            return new DatabaseState(DatabaseRole.ReadOnly, $"default_transaction_read_only is {defaultReadOnly}");
        if (!string.Equals(txReadOnly, "off", StringComparison.OrdinalIgnoreCase))
            return new DatabaseState(DatabaseRole.ReadOnly, $"transaction_read_only is {txReadOnly}");
        return new DatabaseState(DatabaseRole.Primary, null);
    }

    /// <summary>
    /// Runs the embedded Migrations/*.sql (idempotent) when the database is writable.
    /// Returns <see cref="SchemaResult.ReadOnly"/> on a replica / read-only database (the table
    /// replicates from the primary); throws on connection failures (caller classifies).
    /// </summary>
    public async Task<(SchemaResult Result, string? Reason)> EnsureSchemaAsync(CancellationToken ct)
    {
        if (_schemaEnsured) return (SchemaResult.Ensured, null);
        await _schemaLock.WaitAsync(ct);
        try
        {
            if (_schemaEnsured) return (SchemaResult.Ensured, null);
            await using var conn = await DataSource.OpenConnectionAsync(ct);
            var state = await QueryStateAsync(conn, ct);
            if (!state.Writable)
            {
                _logger.LogDebug("Skipping schema migrations: database is {Role} ({Reason}); the schema replicates from the primary",
                    state.RoleName, state.Reason);
                return (SchemaResult.ReadOnly, state.Reason);
            }

            var scripts = LoadMigrations();
            await using var tx = await conn.BeginTransactionAsync(ct);
            await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", conn, tx))
            {
                lockCmd.Parameters.AddWithValue("key", MigrationLockKey);
                await lockCmd.ExecuteNonQueryAsync(ct);
            }
            foreach (var (name, sql) in scripts)
            {
                await using var cmd = new NpgsqlCommand(sql, conn, tx);
                await cmd.ExecuteNonQueryAsync(ct);
                _logger.LogDebug("Applied migration {Migration}", name);
            }
            await tx.CommitAsync(ct);
            _schemaEnsured = true;
            _logger.LogInformation("Schema ensured ({Count} migration script(s))", scripts.Count);
            return (SchemaResult.Ensured, null);
        }
        catch (Exception ex) when (DbErrors.IsConnectionLevel(ex))
        {
            ClearPool();
            throw;
        }
        finally
        {
            _schemaLock.Release();
        }
    }

    internal static List<(string Name, string Sql)> LoadMigrations()
    {
        var assembly = typeof(RecordsDatabase).Assembly;
        var result = new List<(string, string)>();
        foreach (var name in assembly.GetManifestResourceNames()
                     .Where(n => n.Contains(".Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.OrdinalIgnoreCase))
                     .OrderBy(n => n, StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"Embedded migration {name} not found");
            using var reader = new StreamReader(stream);
            result.Add((name, reader.ReadToEnd()));
        }
        if (result.Count == 0)
            throw new InvalidOperationException("No embedded Migrations/*.sql resources found in " + assembly.GetName().Name);
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await HealthDataSource.DisposeAsync();
        _schemaLock.Dispose();
    }
}

/// <summary>How a database failure maps to an HTTP answer.</summary>
internal enum DbFailureKind
{
    /// <summary>23505 unique violation → 409.</summary>
    Duplicate,
    /// <summary>22xxx data exception (e.g. NUL in text) → 400.</summary>
    BadInput,
    /// <summary>42P01 undefined table → re-run migrations once, else 503.</summary>
    MissingSchema,
    /// <summary>25006 / in recovery → 503.</summary>
    ReadOnly,
    /// <summary>57P01/57P02/57P03 admin or crash shutdown, cannot connect now → 503.</summary>
    ShuttingDown,
    /// <summary>Unreachable, broken connection, timeout, class 08 → 503.</summary>
    Unavailable,
    /// <summary>Anything else → 503 (never 500).</summary>
    Other,
}

internal static class DbErrors
{
    public static DbFailureKind Classify(Exception ex)
    {
        if (ex is PostgresException pg)
        {
            var state = pg.SqlState;
            if (state == PostgresErrorCodes.UniqueViolation) return DbFailureKind.Duplicate;
            if (state == PostgresErrorCodes.ReadOnlySqlTransaction) return DbFailureKind.ReadOnly;
            if (state == PostgresErrorCodes.UndefinedTable) return DbFailureKind.MissingSchema;
            if (state is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow)
                return DbFailureKind.ShuttingDown;
            if (state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57", StringComparison.Ordinal)
                || state.StartsWith("53", StringComparison.Ordinal))
                return DbFailureKind.Unavailable;
            if (state.StartsWith("22", StringComparison.Ordinal)) return DbFailureKind.BadInput;
            return DbFailureKind.Other;
        }
        if (ex is NpgsqlException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException or IOException)
            return DbFailureKind.Unavailable;
        return DbFailureKind.Other;
    }

    /// <summary>
    /// True for failures that may leave pooled connections stale: any NpgsqlException that is not a
    /// PostgresException (I/O, timeout, pool), PostgresException of class 57 or 08, and timeouts/cancellations.
    /// </summary>
    public static bool IsConnectionLevel(Exception ex)
    {
        if (ex is PostgresException pg)
            return pg.SqlState.StartsWith("57", StringComparison.Ordinal) || pg.SqlState.StartsWith("08", StringComparison.Ordinal);
        return ex is NpgsqlException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException or IOException;
    }

    /// <summary>True when the failure is (or wraps) a timeout/cancellation: the database may be hung, so do not retry.</summary>
    public static bool IsTimeout(Exception ex)
    {
        for (var e = (Exception?)ex; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException or OperationCanceledException) return true;
            if (e is PostgresException { SqlState: PostgresErrorCodes.QueryCanceled }) return true;
        }
        return false;
    }

    /// <summary>Server message for PostgresException, otherwise the exception (and inner) message.</summary>
    public static string Reason(Exception ex)
    {
        if (ex is PostgresException pg) return $"{pg.SqlState}: {pg.MessageText}";
        var msg = ex.Message;
        if (ex.InnerException is { } inner && !string.IsNullOrEmpty(inner.Message) && !msg.TrimEnd('.').Contains(inner.Message.TrimEnd('.'), StringComparison.Ordinal))
            msg = $"{msg} ({inner.Message})";
        return msg;
    }

    public static string? SqlState(Exception ex) => (ex as PostgresException)?.SqlState;
}
