using Microsoft.Data.Sqlite;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Tests.Store;
using Regami.Dr.Store;

namespace Regami.Dr.Core.Tests.Audit;

/// <summary>
/// The audit trail on a real SQLite file. Tampering goes straight at the file with SQL, as
/// someone with shell access would, and <see cref="IAuditLog.VerifyAsync"/> must name the first
/// event that no longer verifies.
/// </summary>
public class SqliteAuditLogTests : IDisposable
{
    private static readonly DateTimeOffset Now = StoreTimes.Now;
    private readonly TempStateDirectory _dir = new();
    private readonly StateStore _store;

    public SqliteAuditLogTests() => _store = StateStore.Open(_dir.Path, StoreTimes.Clock());

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    private IAuditLog Audit => _store.Audit;

    private static AuditEntry Entry(DateTimeOffset at, string action, string outcome = AuditOutcome.Succeeded, string? details = null) =>
        new(at, "ops@bastion", "failover --to eu-central-1", "eu-central-1", action, outcome, details);

    private async Task<List<AuditEvent>> AppendAsync(int count, DateTimeOffset? at = null)
    {
        var events = new List<AuditEvent>();
        for (var i = 0; i < count; i++)
            events.Add(await Audit.AppendAsync(Entry((at ?? Now).AddSeconds(i), $"step.{i + 1}", details: $"step {i + 1} done"), default));
        return events;
    }

    private void Sql(string sql) => RawSql.Execute(_dir.DatabasePath, sql);

    [Fact]
    public async Task Appends_get_consecutive_sequences_linked_by_hash()
    {
        var paris = new DateTimeOffset(2026, 11, 24, 22, 30, 0, TimeSpan.FromHours(1));
        var first = await Audit.AppendAsync(Entry(paris, "guard.rpo", AuditOutcome.Info, """{"lagSeconds":0.4}"""), default);
        var second = await Audit.AppendAsync(Entry(paris.AddSeconds(1), "step.promote-standby", AuditOutcome.Started), default);

        Assert.Equal(1, first.Sequence);
        Assert.Equal(AuditChain.Genesis, first.PreviousHash);
        Assert.Equal(TimeSpan.Zero, first.Entry.At.Offset);
        Assert.Equal(paris, first.Entry.At);
        Assert.Equal(AuditChain.Hash(AuditChain.Genesis, 1, first.Entry), first.Hash);
        Assert.Equal(2, second.Sequence);
        Assert.Equal(first.Hash, second.PreviousHash);

        var listed = await Audit.ListAsync(null, null, default);
        Assert.Equal([first, second], listed);
    }

    [Fact]
    public async Task List_filters_by_time_and_keeps_the_newest_when_limited()
    {
        await AppendAsync(5);

        var since = await Audit.ListAsync(Now.AddSeconds(2), null, default);
        var newest = await Audit.ListAsync(null, 2, default);
        var both = await Audit.ListAsync(Now.AddSeconds(1), 3, default);

        Assert.Equal([3L, 4, 5], since.Select(e => e.Sequence));
        Assert.Equal([4L, 5], newest.Select(e => e.Sequence));
        Assert.Equal([3L, 4, 5], both.Select(e => e.Sequence));
    }

    [Fact]
    public async Task An_untouched_trail_verifies()
    {
        var events = await AppendAsync(4);

        var v = await Audit.VerifyAsync(default);

        Assert.True(v.Valid, v.Sentence);
        Assert.Equal(4, v.EventsChecked);
        Assert.Equal($"the audit chain verifies: 4 events (1–4), head hash {events[^1].Hash[..16]}", v.Sentence);
    }

    [Fact]
    public async Task Tamper_an_updated_field_is_named()
    {
        await AppendAsync(3);
        await Audit.AppendAsync(Entry(Now.AddSeconds(3), "step.promote-standby", AuditOutcome.Failed, "pg_promote() timed out"), default);
        await AppendAsync(2, Now.AddSeconds(4));

        Sql("UPDATE audit_events SET outcome = 'succeeded', details = 'promoted' WHERE seq = 4");

        var v = await Audit.VerifyAsync(default);
        Assert.False(v.Valid);
        Assert.Equal(4, v.FirstBrokenSequence);
        Assert.Equal(3, v.EventsChecked);
        Assert.Equal("event 4: content does not match its hash (the event was edited); the 3 events before it verify", v.Sentence);
    }

    [Fact]
    public async Task Tamper_an_unreadable_time_is_reported_not_thrown()
    {
        await AppendAsync(3);

        Sql("UPDATE audit_events SET at = 'yesterday' WHERE seq = 2");

        var v = await Audit.VerifyAsync(default);
        Assert.Equal(2, v.FirstBrokenSequence);
        Assert.StartsWith("event 2: content does not match its hash (the event was edited)", v.Sentence);
    }

    [Fact]
    public async Task Tamper_a_table_rebuilt_without_constraints_and_a_nulled_field_is_reported_not_thrown()
    {
        await AppendAsync(3);

        Sql("""
            CREATE TABLE loose AS SELECT * FROM audit_events;
            DROP TABLE audit_events;
            CREATE TABLE audit_events (seq INTEGER PRIMARY KEY, at, actor, command, region, action, outcome, details, prev_hash, hash);
            INSERT INTO audit_events SELECT * FROM loose;
            DROP TABLE loose;
            UPDATE audit_events SET actor = NULL WHERE seq = 3;
            """);

        var v = await Audit.VerifyAsync(default);
        Assert.Equal(3, v.FirstBrokenSequence);
        Assert.StartsWith("event 3: content does not match its hash (the event was edited)", v.Sentence);
    }

    [Fact]
    public async Task Tamper_a_deleted_row_is_named_at_the_next_event()
    {
        await AppendAsync(6);

        Sql("DELETE FROM audit_events WHERE seq = 4");

        var v = await Audit.VerifyAsync(default);
        Assert.False(v.Valid);
        Assert.Equal(5, v.FirstBrokenSequence);
        Assert.Equal(
            "event 5: previous-hash does not match event 3; sequence jumps from 3 to 5 (event 4 is missing) (an event was removed or reordered); the 3 events before it verify",
            v.Sentence);
    }

    [Fact]
    public async Task Tamper_the_newest_row_deleted_leaves_a_valid_chain_with_an_older_head()
    {
        // Documents the limit of a hash chain: removing the newest events leaves a valid chain.
        // The head hash in the sentence is what an operator keeps elsewhere to notice it.
        var events = await AppendAsync(4);

        Sql("DELETE FROM audit_events WHERE seq = 4");

        var v = await Audit.VerifyAsync(default);
        Assert.True(v.Valid);
        Assert.DoesNotContain(events[^1].Hash[..16], v.Sentence);
        Assert.Contains(events[2].Hash[..16], v.Sentence);
    }

    [Fact]
    public async Task Tamper_two_rows_swapped_is_named_at_the_first_of_them()
    {
        await AppendAsync(5);

        // Swap every column but the sequence (seq is the rowid, so this is what swapping two
        // rows' contents can do): the stored order now reads 1, 3, 2, 4, 5.
        Sql("""
            CREATE TEMP TABLE swap AS SELECT * FROM audit_events WHERE seq IN (2, 3);
            UPDATE audit_events SET (at, actor, command, region, action, outcome, details, prev_hash, hash) =
                (SELECT at, actor, command, region, action, outcome, details, prev_hash, hash FROM swap WHERE swap.seq = 5 - audit_events.seq)
            WHERE seq IN (2, 3);
            """);
        Assert.Equal("step.3", RawSql.Scalar(_dir.DatabasePath, "SELECT action FROM audit_events WHERE seq = 2"));

        var v = await Audit.VerifyAsync(default);
        Assert.False(v.Valid);
        Assert.Equal(2, v.FirstBrokenSequence);
        Assert.Equal(
            "event 2: content does not match its hash; previous-hash does not match event 1 (the event was edited, replaced or moved from another position); the 1 event before it verifies",
            v.Sentence);
    }

    [Fact]
    public async Task Tamper_rows_renumbered_to_swap_places_are_named()
    {
        await AppendAsync(5);

        // Move whole rows, sequence included, through a free number.
        Sql("UPDATE audit_events SET seq = 100 WHERE seq = 2; UPDATE audit_events SET seq = 2 WHERE seq = 3; UPDATE audit_events SET seq = 3 WHERE seq = 100;");

        var v = await Audit.VerifyAsync(default);
        Assert.Equal(2, v.FirstBrokenSequence);
        Assert.StartsWith("event 2: content does not match its hash; previous-hash does not match event 1", v.Sentence);
    }

    [Fact]
    public async Task A_write_transaction_takes_the_write_lock_at_once()
    {
        var db = new SqliteDatabase(_dir.DatabasePath);
        await using var holder = await db.OpenAsync(default);
        await using var tx = SqliteDatabase.BeginWrite(holder);

        // Another connection (as another process) that will not wait: it cannot start a write.
        await using var other = new SqliteConnection($"Data Source={_dir.DatabasePath};Pooling=False;Default Timeout=1");
        other.Open();
        await using var noWait = other.CreateCommand();
        noWait.CommandText = "PRAGMA busy_timeout = 0";
        noWait.ExecuteNonQuery();
        noWait.CommandText = "BEGIN IMMEDIATE";

        var e = Assert.Throws<SqliteException>(() => noWait.ExecuteNonQuery());
        Assert.Equal(5, e.SqliteErrorCode); // SQLITE_BUSY: the write lock was taken by BEGIN, before any read
    }

    [Fact]
    public async Task Prune_removes_old_events_keeps_recent_ones_and_the_chain_still_verifies()
    {
        var old = await AppendAsync(3, Now.AddDays(-100));
        var recent = await AppendAsync(2, Now.AddDays(-10));

        // Asked to prune everything older than 30 days: clamped to 90.
        var result = await Audit.PruneAsync(Now.AddDays(-30), Now, dryRun: false, default);

        Assert.Equal(3, result.Pruned);
        Assert.True(result.Clamped);
        Assert.Equal(Now.AddDays(-90), result.EffectiveCutoff);
        Assert.Equal(new AuditAnchor(4, old[^1].Hash, Now, 3), result.Anchor);
        Assert.Equal(recent, await Audit.ListAsync(null, null, default));
        var v = await Audit.VerifyAsync(default);
        Assert.True(v.Valid, v.Sentence);
        Assert.Equal(2, v.EventsChecked);
        Assert.Contains("3 older events were pruned", v.Sentence);

        // Appending after a prune continues the same chain.
        var next = await Audit.AppendAsync(Entry(Now, "role.change"), default);
        Assert.Equal(6, next.Sequence);
        Assert.Equal(recent[^1].Hash, next.PreviousHash);
        Assert.True((await Audit.VerifyAsync(default)).Valid);
    }

    [Fact]
    public async Task Prune_without_clamping_when_the_cutoff_is_old_enough()
    {
        await AppendAsync(3, Now.AddDays(-100));
        await AppendAsync(2, Now.AddDays(-10));

        var result = await Audit.PruneAsync(Now.AddDays(-95), Now, dryRun: false, default);

        Assert.Equal(3, result.Pruned);
        Assert.False(result.Clamped);
        Assert.Equal(Now.AddDays(-95), result.EffectiveCutoff);
    }

    [Fact]
    public async Task Tampering_after_a_prune_is_still_detected()
    {
        await AppendAsync(3, Now.AddDays(-100));
        await AppendAsync(3, Now.AddDays(-10));
        await Audit.PruneAsync(Now.AddDays(-90), Now, dryRun: false, default);

        Sql("UPDATE audit_events SET actor = 'someone-else@host' WHERE seq = 5");

        var v = await Audit.VerifyAsync(default);
        Assert.Equal(5, v.FirstBrokenSequence);
        Assert.Equal("event 5: content does not match its hash (the event was edited); the 1 event before it verifies", v.Sentence);
    }

    [Fact]
    public async Task Tamper_a_deleted_prune_anchor_is_detected()
    {
        await AppendAsync(3, Now.AddDays(-100));
        await AppendAsync(2, Now.AddDays(-10));
        await Audit.PruneAsync(Now.AddDays(-90), Now, dryRun: false, default);

        Sql("DELETE FROM audit_anchor");

        var v = await Audit.VerifyAsync(default);
        Assert.Equal(4, v.FirstBrokenSequence);
        Assert.Contains("the chain should start at event 1 (events 1–3 are missing)", v.Sentence);
    }

    [Fact]
    public async Task Tamper_the_oldest_kept_event_deleted_after_a_prune_is_detected()
    {
        await AppendAsync(3, Now.AddDays(-100));
        await AppendAsync(3, Now.AddDays(-10));
        await Audit.PruneAsync(Now.AddDays(-90), Now, dryRun: false, default);

        Sql("DELETE FROM audit_events WHERE seq = 4");

        var v = await Audit.VerifyAsync(default);
        Assert.Equal(5, v.FirstBrokenSequence);
        Assert.StartsWith("event 5: previous-hash does not match the prune anchor (the chain continues at event 4)", v.Sentence);
    }

    [Fact]
    public async Task A_dry_run_prune_changes_nothing()
    {
        await AppendAsync(3, Now.AddDays(-100));
        await AppendAsync(2, Now.AddDays(-10));

        var result = await Audit.PruneAsync(Now.AddDays(-90), Now, dryRun: true, default);

        Assert.Equal(3, result.Pruned);
        Assert.Equal(4, result.Anchor?.FirstSequence);
        Assert.Equal(5, (await Audit.ListAsync(null, null, default)).Count);
        Assert.Equal(0L, RawSql.Scalar(_dir.DatabasePath, "SELECT COUNT(*) FROM audit_anchor"));
    }

    [Fact]
    public async Task Pruning_every_event_keeps_the_sequence_and_the_chain_going()
    {
        var old = await AppendAsync(3, Now.AddDays(-100));

        var result = await Audit.PruneAsync(Now.AddDays(-90), Now, dryRun: false, default);
        var empty = await Audit.VerifyAsync(default);
        var next = await Audit.AppendAsync(Entry(Now, "fence"), default);

        Assert.Equal(new AuditAnchor(4, old[^1].Hash, Now, 3), result.Anchor);
        Assert.True(empty.Valid, empty.Sentence);
        Assert.StartsWith("the audit chain has no events after the prune anchor", empty.Sentence);
        Assert.Equal(4, next.Sequence);
        Assert.Equal(old[^1].Hash, next.PreviousHash);
        Assert.True((await Audit.VerifyAsync(default)).Valid);
    }

    [Fact]
    public async Task A_second_prune_moves_the_anchor_and_adds_to_the_count()
    {
        await AppendAsync(2, Now.AddDays(-200));
        await AppendAsync(3, Now.AddDays(-100));
        await AppendAsync(1, Now.AddDays(-10));

        var first = await Audit.PruneAsync(Now.AddDays(-150), Now, dryRun: false, default);
        var second = await Audit.PruneAsync(Now.AddDays(-90), Now.AddDays(1), dryRun: false, default);
        var nothing = await Audit.PruneAsync(Now.AddDays(-90), Now.AddDays(1), dryRun: false, default);

        Assert.Equal((2, 3L, 2), (first.Pruned, first.Anchor!.FirstSequence, first.Anchor.PrunedCount));
        Assert.Equal((3, 6L, 5), (second.Pruned, second.Anchor!.FirstSequence, second.Anchor.PrunedCount));
        Assert.Equal(0, nothing.Pruned);
        Assert.Equal(second.Anchor, nothing.Anchor);
        Assert.True((await Audit.VerifyAsync(default)).Valid);
    }

    [Fact]
    public async Task Prune_never_removes_an_event_younger_than_the_retention_even_behind_a_skewed_clock()
    {
        await Audit.AppendAsync(Entry(Now.AddDays(-100), "a"), default);
        await Audit.AppendAsync(Entry(Now.AddDays(-10), "b"), default);
        await Audit.AppendAsync(Entry(Now.AddDays(-100), "c (written by a process with a wrong clock)"), default);

        var result = await Audit.PruneAsync(Now.AddDays(-90), Now, dryRun: false, default);

        Assert.Equal(1, result.Pruned);
        Assert.Equal([2L, 3], (await Audit.ListAsync(null, null, default)).Select(e => e.Sequence));
        Assert.True((await Audit.VerifyAsync(default)).Valid);
    }

    [Fact]
    public async Task Prune_refuses_to_erase_the_evidence_of_a_broken_chain()
    {
        await AppendAsync(3, Now.AddDays(-100));
        await AppendAsync(2, Now.AddDays(-10));
        Sql("UPDATE audit_events SET details = 'nothing happened' WHERE seq = 2");

        var e = await Assert.ThrowsAsync<AuditChainBrokenException>(() => Audit.PruneAsync(Now.AddDays(-90), Now, dryRun: false, default));

        Assert.Equal(2, e.Verification.FirstBrokenSequence);
        Assert.StartsWith("the audit chain does not verify, so nothing was pruned: event 2:", e.Message);
        Assert.Equal(5L, RawSql.Scalar(_dir.DatabasePath, "SELECT COUNT(*) FROM audit_events"));
    }
}
