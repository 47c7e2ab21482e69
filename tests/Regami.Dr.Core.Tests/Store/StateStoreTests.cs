using Regami.Dr.Store;

namespace Regami.Dr.Core.Tests.Store;

public class StateStoreTests : IDisposable
{
    private readonly TempStateDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Open_creates_one_database_file_in_wal_mode_with_every_table()
    {
        using var store = StateStore.Open(System.IO.Path.Combine(_dir.Path, "nested"), StoreTimes.Clock());

        Assert.Equal(System.IO.Path.Combine(_dir.Path, "nested", "regami-dr.db"), store.DatabasePath);
        Assert.True(File.Exists(store.DatabasePath));
        Assert.Equal("wal", RawSql.Scalar(store.DatabasePath, "PRAGMA journal_mode"));
        var tables = RawSql.Scalar(store.DatabasePath,
            "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)");
        Assert.Equal("audit_anchor,audit_events,kv,run_steps,runs", tables);
        Assert.Equal(1L, RawSql.Scalar(store.DatabasePath, "PRAGMA user_version"));
    }

    [Fact]
    public async Task Opening_again_keeps_the_data()
    {
        using (var first = StateStore.Open(_dir.Path, StoreTimes.Clock()))
            await first.SetAsync("k", "v");

        using var second = StateStore.Open(_dir.Path, StoreTimes.Clock());

        Assert.Equal("v", (await second.GetAsync("k"))?.Value);
    }

    [Fact]
    public void A_database_from_a_newer_regami_dr_is_refused()
    {
        StateStore.Open(_dir.Path, StoreTimes.Clock()).Dispose();
        RawSql.Execute(_dir.DatabasePath, "PRAGMA user_version = 99");

        var e = Assert.Throws<InvalidOperationException>(() => StateStore.Open(_dir.Path, StoreTimes.Clock()));

        Assert.Contains("schema version 99, newer than this regami-dr understands (1)", e.Message);
    }

    [Fact]
    public async Task Key_values_are_stamped_with_the_injected_clock_and_overwritten()
    {
        var clock = StoreTimes.Clock();
        using var store = StateStore.Open(_dir.Path, clock);

        Assert.Null(await store.GetAsync(StateStore.LastObservedLagKey));

        await store.SetAsync(StateStore.LastObservedLagKey, """{"lagBytes":0,"lagSeconds":0.0}""");
        clock.Advance(TimeSpan.FromSeconds(5));
        await store.SetAsync(StateStore.LastObservedLagKey, """{"lagBytes":4096,"lagSeconds":0.4}""");

        var stored = await store.GetAsync(StateStore.LastObservedLagKey);
        Assert.Equal("""{"lagBytes":4096,"lagSeconds":0.4}""", stored?.Value);
        Assert.Equal(StoreTimes.Now.AddSeconds(5), stored?.UpdatedAt);
        Assert.Equal(1L, RawSql.Scalar(_dir.DatabasePath, "SELECT COUNT(*) FROM kv"));
    }
}
