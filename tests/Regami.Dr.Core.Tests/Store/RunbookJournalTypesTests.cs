using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Core.Tests.Store;

public class RunbookJournalTypesTests
{
    [Fact]
    public void Run_ids_carry_kind_utc_start_and_a_hex_suffix()
    {
        var at = new DateTimeOffset(2026, 11, 24, 22, 30, 0, TimeSpan.FromHours(1));

        Assert.Equal("failover-20261124T213000Z-ab12", RunId.Create("failover", at, 0xab12));
        Assert.Equal("failback-20261124T213000Z-0001", RunId.Create("failback", at, 1));
        Assert.Throws<ArgumentException>(() => RunId.Create("Fail over", at, 1));
        Assert.Throws<ArgumentException>(() => RunId.Create("", at, 1));
    }

    [Fact]
    public void A_step_has_a_duration_once_finished()
    {
        var start = new DateTimeOffset(2026, 11, 24, 21, 30, 0, TimeSpan.Zero);
        var started = new StepRecord(1, "promote-standby", StepOutcome.Started, start, null, 1, null);

        Assert.Null(started.Duration);
        Assert.Equal(TimeSpan.FromSeconds(4.5), (started with { FinishedAt = start.AddSeconds(4.5) }).Duration);
    }

    [Fact]
    public async Task A_lease_handle_releases_once()
    {
        var releases = 0;
        var handle = new RunbookLeaseHandle("failover-1", () => { releases++; return ValueTask.CompletedTask; });

        Assert.True(handle.IsHeld);
        await handle.DisposeAsync();
        await handle.DisposeAsync();

        Assert.False(handle.IsHeld);
        Assert.Equal(1, releases);
    }
}
