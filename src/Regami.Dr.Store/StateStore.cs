using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Store;

/// <summary>
/// The local state store: one SQLite file (<c>&lt;state dir&gt;/regami-dr.db</c>, WAL, shared by
/// the CLI and the controller) holding the audit trail, the runbook journal and a small
/// key/value table, plus the runbook lease file beside it.
/// </summary>
public sealed class StateStore : IDisposable
{
    public const string DatabaseFileName = "regami-dr.db";
    public const string LeaseFileName = "runbook.lease";

    /// <summary>The key under which the controller keeps the last replication lag it observed.</summary>
    public const string LastObservedLagKey = "replication.last-observed-lag";

    private readonly SqliteDatabase _db;
    private readonly TimeProvider _time;

    private StateStore(SqliteDatabase db, string stateDirectory, TimeProvider time)
    {
        _db = db;
        _time = time;
        StateDirectory = stateDirectory;
        Audit = new SqliteAuditLog(db);
        LocalJournal = new SqliteRunbookJournal(db);
        Lease = new FileRunbookLease(Path.Combine(stateDirectory, LeaseFileName), time);
    }

    /// <summary>
    /// Opens (creating if needed) the store in <paramref name="stateDirectory"/>: creates the
    /// directory, switches the database to WAL and creates missing tables. Safe to call from
    /// several processes at once.
    /// </summary>
    public static StateStore Open(string stateDirectory, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        ArgumentNullException.ThrowIfNull(time);
        var directory = Path.GetFullPath(stateDirectory);
        Directory.CreateDirectory(directory);
        var db = new SqliteDatabase(Path.Combine(directory, DatabaseFileName));
        db.EnsureSchema();
        return new StateStore(db, directory, time);
    }

    public string StateDirectory { get; }

    public string DatabasePath => _db.Path;

    public IAuditLog Audit { get; }

    public IRunbookJournal Journal => LocalJournal;

    /// <summary>The journal in this store (it can also import a run journaled on another host).</summary>
    public SqliteRunbookJournal LocalJournal { get; }

    public IRunbookLease Lease { get; }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, stamped with the current time.</summary>
    public async Task SetAsync(string key, string value, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(value);
        await using var connection = await _db.OpenAsync(ct);
        await SqliteDatabase.ExecuteAsync(connection, null,
            """
            INSERT INTO kv (key, value, updated_at) VALUES ($key, $value, $at)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
            """, ct,
            ("$key", key), ("$value", value), ("$at", SqliteDatabase.Time(_time.GetUtcNow())));
    }

    /// <summary>The value stored under <paramref name="key"/> and when it was stored, or null.</summary>
    public async Task<(string Value, DateTimeOffset UpdatedAt)?> GetAsync(string key, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        await using var connection = await _db.OpenAsync(ct);
        await using var command = SqliteDatabase.Command(connection, "SELECT value, updated_at FROM kv WHERE key = $key", null, ("$key", key));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return (reader.GetString(0), SqliteDatabase.Time(reader.GetString(1)));
    }

    /// <summary>Closes this process's pooled connections to the database file.</summary>
    public void Dispose() => _db.ReleasePooledConnections();
}
