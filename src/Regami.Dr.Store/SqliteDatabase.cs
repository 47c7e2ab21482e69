using Microsoft.Data.Sqlite;
using Regami.Dr.Core.Audit;

namespace Regami.Dr.Store;

/// <summary>
/// Opens connections to the state database with the settings every process must share, and
/// creates the schema. Several processes (CLI, controller) use the file at once: WAL lets
/// readers run beside one writer, the busy timeout makes a writer wait for another instead of
/// failing, and <c>synchronous=FULL</c> makes every commit durable before the call returns.
/// </summary>
internal sealed class SqliteDatabase
{
    /// <summary>The schema this code writes; a file with a newer one is refused.</summary>
    public const int SchemaVersion = 1;

    /// <summary>How long a writer waits for another process's write transaction.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(15);

    private readonly string _connectionString;

    public SqliteDatabase(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds * 2,
        }.ToString();
    }

    public string Path { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
            await ExecuteAsync(connection, null, $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Releases pooled connections to the file (so it can be moved or deleted).</summary>
    public void ReleasePooledConnections()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <summary>
    /// Switches the file to WAL and creates missing tables. Idempotent and safe when several
    /// processes open the store at once (the tables are created in one write transaction).
    /// </summary>
    public void EnsureSchema()
    {
        using var connection = Open();
        var mode = Scalar(connection, "PRAGMA journal_mode = WAL;") as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"state store {Path}: SQLite refused WAL journal mode (journal_mode is '{mode}')");

        using var tx = connection.BeginTransaction(deferred: false);
        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;", tx));
        if (version > SchemaVersion)
            throw new InvalidOperationException(
                $"state store {Path} has schema version {version}, newer than this regami-dr understands ({SchemaVersion}); upgrade regami-dr");
        Execute(connection, Schema, tx);
        Execute(connection, $"PRAGMA user_version = {SchemaVersion};", tx);
        tx.Commit();
    }

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS audit_events (
            seq       INTEGER PRIMARY KEY,
            at        TEXT NOT NULL,
            actor     TEXT NOT NULL,
            command   TEXT NOT NULL,
            region    TEXT,
            action    TEXT NOT NULL,
            outcome   TEXT NOT NULL,
            details   TEXT,
            prev_hash TEXT NOT NULL,
            hash      TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS audit_events_at ON audit_events(at);
        CREATE TABLE IF NOT EXISTS audit_anchor (
            id           INTEGER PRIMARY KEY CHECK (id = 1),
            first_seq    INTEGER NOT NULL,
            prev_hash    TEXT NOT NULL,
            pruned_at    TEXT NOT NULL,
            pruned_count INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS runs (
            id          TEXT PRIMARY KEY,
            kind        TEXT NOT NULL,
            parameters  TEXT NOT NULL,
            actor       TEXT NOT NULL,
            pid         INTEGER,
            started_at  TEXT NOT NULL,
            finished_at TEXT,
            outcome     TEXT NOT NULL,
            detail      TEXT
        );
        CREATE INDEX IF NOT EXISTS runs_started_at ON runs(started_at);
        CREATE TABLE IF NOT EXISTS run_steps (
            run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            idx         INTEGER NOT NULL,
            name        TEXT NOT NULL,
            outcome     TEXT NOT NULL,
            started_at  TEXT NOT NULL,
            finished_at TEXT,
            attempts    INTEGER NOT NULL,
            detail      TEXT,
            PRIMARY KEY (run_id, idx)
        );
        CREATE TABLE IF NOT EXISTS kv (
            key        TEXT PRIMARY KEY,
            value      TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """;

    public static string Time(DateTimeOffset at) => AuditChain.CanonicalTime(at);

    public static DateTimeOffset Time(string text) => AuditChain.ParseCanonicalTime(text);

    public static object Db(object? value) => value ?? DBNull.Value;

    public static SqliteCommand Command(SqliteConnection connection, string sql, SqliteTransaction? tx = null, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, Db(value));
        return command;
    }

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = Command(connection, sql, tx);
        command.ExecuteNonQuery();
    }

    public static object? Scalar(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = Command(connection, sql, tx);
        return command.ExecuteScalar();
    }

    public static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, sql, tx, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task<object?> ScalarAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, sql, tx, parameters);
        var value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    /// <summary>
    /// Starts a write transaction at once (<c>BEGIN IMMEDIATE</c>): the write lock is taken before
    /// anything is read, so a read-then-write (last hash, then insert) cannot interleave with
    /// another process's.
    /// </summary>
    public static SqliteTransaction BeginWrite(SqliteConnection connection) => connection.BeginTransaction(deferred: false);

    public static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
