using Microsoft.Data.Sqlite;
using Regami.Dr.Core.Audit;

namespace Regami.Dr.Store;

/// <summary>
/// The audit trail in the state database: table <c>audit_events</c> (one row per event, the
/// chain's hashes beside the fields they cover) and <c>audit_anchor</c> (one row, written by
/// prune, saying where the remaining chain starts).
/// </summary>
public sealed class SqliteAuditLog : IAuditLog
{
    private const string Columns = "seq, at, actor, command, region, action, outcome, details, prev_hash, hash";
    private readonly SqliteDatabase _db;

    internal SqliteAuditLog(SqliteDatabase db) => _db = db;

    public async Task<AuditEvent> AppendAsync(AuditEntry entry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.Actor, "entry.Actor");
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.Command, "entry.Command");
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.Action, "entry.Action");
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.Outcome, "entry.Outcome");
        var stored = entry with { At = entry.At.ToUniversalTime() };

        await using var connection = await _db.OpenAsync(ct);
        // Ordering invariant: the last hash is read inside the same write transaction that
        // inserts the new event (BEGIN IMMEDIATE takes the write lock first), so two processes
        // appending at once queue up instead of both linking to the same predecessor.
        await using var tx = SqliteDatabase.BeginWrite(connection);
        var (sequence, previousHash) = await NextLinkAsync(connection, tx, ct);
        var hash = AuditChain.Hash(previousHash, sequence, stored);
        await SqliteDatabase.ExecuteAsync(connection, tx,
            $"INSERT INTO audit_events ({Columns}) VALUES ($seq, $at, $actor, $command, $region, $action, $outcome, $details, $prev, $hash)", ct,
            ("$seq", sequence), ("$at", SqliteDatabase.Time(stored.At)), ("$actor", stored.Actor), ("$command", stored.Command),
            ("$region", stored.Region), ("$action", stored.Action), ("$outcome", stored.Outcome), ("$details", stored.Details),
            ("$prev", previousHash), ("$hash", hash));
        await tx.CommitAsync(ct);
        return new AuditEvent(sequence, stored, previousHash, hash);
    }

    /// <summary>The next event links to the newest event, else to the prune anchor, else to genesis.</summary>
    private static async Task<(long Sequence, string PreviousHash)> NextLinkAsync(SqliteConnection connection, SqliteTransaction tx, CancellationToken ct)
    {
        await using (var last = SqliteDatabase.Command(connection, "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1", tx))
        await using (var reader = await last.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct)) return (reader.GetInt64(0) + 1, reader.GetString(1));
        }
        var anchor = await ReadAnchorAsync(connection, tx, ct);
        return anchor is null ? (1, AuditChain.Genesis) : (anchor.FirstSequence, anchor.PreviousHash);
    }

    public async Task<IReadOnlyList<AuditEvent>> ListAsync(DateTimeOffset? since, int? limit, CancellationToken ct)
    {
        if (limit is < 0) throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must not be negative");
        await using var connection = await _db.OpenAsync(ct);
        var where = since is null ? "" : "WHERE at >= $since";
        var sql = limit is null
            ? $"SELECT {Columns} FROM audit_events {where} ORDER BY seq"
            : $"SELECT * FROM (SELECT {Columns} FROM audit_events {where} ORDER BY seq DESC LIMIT $limit) ORDER BY seq";
        await using var command = SqliteDatabase.Command(connection, sql, null,
            ("$since", since is null ? null : SqliteDatabase.Time(since.Value)), ("$limit", limit));
        return await ReadEventsAsync(command, ct);
    }

    public async Task<AuditVerification> VerifyAsync(CancellationToken ct)
    {
        await using var connection = await _db.OpenAsync(ct);
        // One read transaction, so the events and the anchor are one consistent snapshot.
        await using var tx = connection.BeginTransaction(deferred: true);
        return await VerifyAsync(connection, tx, ct);
    }

    /// <summary>
    /// Reads events in physical order (<c>ORDER BY rowid</c>), not by sequence, so that the
    /// sequence check in <see cref="AuditChain.Verify"/> sees the rows as they are stored.
    /// </summary>
    private static async Task<AuditVerification> VerifyAsync(SqliteConnection connection, SqliteTransaction tx, CancellationToken ct)
    {
        var anchor = await ReadAnchorAsync(connection, tx, ct);
        await using var command = SqliteDatabase.Command(connection, $"SELECT {Columns} FROM audit_events ORDER BY rowid", tx);
        var events = await ReadEventsAsync(command, ct, forVerification: true);
        return AuditChain.Verify(events, anchor);
    }

    public async Task<AuditPruneResult> PruneAsync(DateTimeOffset olderThan, DateTimeOffset now, bool dryRun, CancellationToken ct)
    {
        var (cutoff, clamped) = AuditChain.PruneCutoff(olderThan, now);
        await using var connection = await _db.OpenAsync(ct);
        await using var tx = SqliteDatabase.BeginWrite(connection);

        var verification = await VerifyAsync(connection, tx, ct);
        if (!verification.Valid) throw new AuditChainBrokenException(verification);

        var anchor = await ReadAnchorAsync(connection, tx, ct);
        // Prune a prefix of the chain only: everything before the first event at or after the
        // cutoff. An old-stamped event after a younger one (clock skew) is kept, so no event
        // younger than the cutoff is ever removed and the rest stays one unbroken chain.
        var firstKept = await SqliteDatabase.ScalarAsync(connection, tx,
            "SELECT MIN(seq) FROM audit_events WHERE at >= $cutoff", ct, ("$cutoff", SqliteDatabase.Time(cutoff)));
        var pruneSql = firstKept is null ? "" : "WHERE seq < $first";
        var count = Convert.ToInt32(await SqliteDatabase.ScalarAsync(connection, tx,
            $"SELECT COUNT(*) FROM audit_events {pruneSql}", ct, ("$first", firstKept)));
        if (count == 0) return new AuditPruneResult(0, cutoff, clamped, anchor);

        // The new anchor: where the kept chain starts and the hash it links to. When nothing is
        // kept, the sequence the next append gets and the newest pruned event's hash.
        AuditAnchor newAnchor;
        if (firstKept is not null)
        {
            var previous = (string)(await SqliteDatabase.ScalarAsync(connection, tx,
                "SELECT prev_hash FROM audit_events WHERE seq = $first", ct, ("$first", firstKept)))!;
            newAnchor = new AuditAnchor(Convert.ToInt64(firstKept), previous, now.ToUniversalTime(), (anchor?.PrunedCount ?? 0) + count);
        }
        else
        {
            var (next, previous) = await NextLinkAsync(connection, tx, ct);
            newAnchor = new AuditAnchor(next, previous, now.ToUniversalTime(), (anchor?.PrunedCount ?? 0) + count);
        }

        if (dryRun) return new AuditPruneResult(count, cutoff, clamped, newAnchor);

        await SqliteDatabase.ExecuteAsync(connection, tx, $"DELETE FROM audit_events {pruneSql}", ct, ("$first", firstKept));
        await SqliteDatabase.ExecuteAsync(connection, tx,
            """
            INSERT INTO audit_anchor (id, first_seq, prev_hash, pruned_at, pruned_count) VALUES (1, $first, $prev, $at, $count)
            ON CONFLICT (id) DO UPDATE SET first_seq = excluded.first_seq, prev_hash = excluded.prev_hash,
                pruned_at = excluded.pruned_at, pruned_count = excluded.pruned_count
            """, ct,
            ("$first", newAnchor.FirstSequence), ("$prev", newAnchor.PreviousHash), ("$at", SqliteDatabase.Time(now)), ("$count", newAnchor.PrunedCount));
        await tx.CommitAsync(ct);
        return new AuditPruneResult(count, cutoff, clamped, newAnchor);
    }

    private static async Task<AuditAnchor?> ReadAnchorAsync(SqliteConnection connection, SqliteTransaction? tx, CancellationToken ct)
    {
        await using var command = SqliteDatabase.Command(connection,
            "SELECT first_seq, prev_hash, pruned_at, pruned_count FROM audit_anchor WHERE id = 1", tx);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new AuditAnchor(reader.GetInt64(0), reader.GetString(1), SqliteDatabase.Time(reader.GetString(2)), reader.GetInt32(3));
    }

    /// <param name="forVerification">
    /// When true, values no writer of ours produces (a time not in canonical form, NULL in a
    /// required column) are read as placeholders, so verification reports that event as edited
    /// instead of failing to read the trail.
    /// </param>
    private static async Task<IReadOnlyList<AuditEvent>> ReadEventsAsync(SqliteCommand command, CancellationToken ct, bool forVerification = false)
    {
        var events = new List<AuditEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            // A required column set to NULL by hand reads as "" for verification (its hash no
            // longer matches); a normal read fails loudly instead.
            string Required(int ordinal) => forVerification ? SqliteDatabase.NullableString(reader, ordinal) ?? "" : reader.GetString(ordinal);
            var entry = new AuditEntry(
                At: ReadTime(Required(1), forVerification),
                Actor: Required(2),
                Command: Required(3),
                Region: SqliteDatabase.NullableString(reader, 4),
                Action: Required(5),
                Outcome: Required(6),
                Details: SqliteDatabase.NullableString(reader, 7));
            events.Add(new AuditEvent(reader.GetInt64(0), entry, Required(8), Required(9)));
        }
        return events;
    }

    private static DateTimeOffset ReadTime(string text, bool forVerification)
    {
        if (!forVerification) return SqliteDatabase.Time(text);
        try { return SqliteDatabase.Time(text); }
        catch (FormatException) { return DateTimeOffset.MinValue; }
    }
}
