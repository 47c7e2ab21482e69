using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Tests.Store;
using Regami.Dr.Store;

namespace Regami.Dr.Component.Tests.Audit;

/// <summary>
/// Two writers on one audit file: SQLite's busy handler waits on the real clock, so these live
/// here and not with the unit tests of <c>SqliteAuditLogTests</c>.
/// </summary>
public sealed class SqliteAuditLogContentionTests : IDisposable
{
    private static readonly DateTimeOffset Now = StoreTimes.Now;
    private readonly TempStateDirectory _dir = new();
    private readonly StateStore _store;

    public SqliteAuditLogContentionTests() => _store = StateStore.Open(_dir.Path, StoreTimes.Clock());

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    private IAuditLog Audit => _store.Audit;

    private static AuditEntry Entry(DateTimeOffset at, string action) =>
        new(at, "ops@bastion", "failover --to eu-central-1", "eu-central-1", action, AuditOutcome.Succeeded, null);

    private async Task AppendAsync(int count)
    {
        for (var i = 0; i < count; i++)
            await Audit.AppendAsync(Entry(Now.AddSeconds(i), $"step.{i + 1}"), default);
    }

    [Fact]
    public async Task An_append_waits_for_another_writer_instead_of_failing()
    {
        await AppendAsync(1);
        var db = new SqliteDatabase(_dir.DatabasePath);
        var holder = await db.OpenAsync(default);
        var tx = SqliteDatabase.BeginWrite(holder);

        var append = Task.Run(() => Audit.AppendAsync(Entry(Now.AddSeconds(5), "fence"), default));
        // Not a synchronisation: a negative check that the append is still waiting on the lock.
        await Task.Delay(300);
        Assert.False(append.IsCompleted);
        tx.Commit();
        await holder.DisposeAsync();

        var appended = await append.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(2, appended.Sequence);
        Assert.True((await Audit.VerifyAsync(default)).Valid);
    }

    [Fact]
    public async Task Concurrent_appends_from_two_stores_never_fork_the_chain()
    {
        using var otherProcess = StateStore.Open(_dir.Path, StoreTimes.Clock());
        var writers = new[] { _store.Audit, otherProcess.Audit };

        var appends = Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            writers[i % 2].AppendAsync(Entry(Now.AddMilliseconds(i), $"step.{i}"), default)));
        var events = await Task.WhenAll(appends);

        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), events.Select(e => e.Sequence).Order());
        Assert.Equal(40, events.Select(e => e.PreviousHash).Distinct().Count());
        var v = await Audit.VerifyAsync(default);
        Assert.True(v.Valid, v.Sentence);
        Assert.Equal(40, v.EventsChecked);
    }
}
