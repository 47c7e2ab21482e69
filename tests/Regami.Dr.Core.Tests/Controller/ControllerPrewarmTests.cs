using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Tests.Drills;

namespace Regami.Dr.Core.Tests.Controller;

/// <summary>The controller loop carries out the pre-warm: the standby's compute at the first failed check, back once the primary is calm.</summary>
public sealed class ControllerPrewarmTests
{
    [Fact]
    public async Task A_single_failed_check_starts_the_standbys_compute_and_a_calm_primary_scales_it_back_after_the_hold()
    {
        var h = new ControllerHarness(new ControllerPolicy { PrewarmOnSuspect = true, PrewarmHold = TimeSpan.FromSeconds(30) });
        var (regions, audit, probes, time, loop) = (h.Regions, h.Audit, h.Probes, h.Time, h.Loop);

        await loop.TickAsync(default);
        Assert.Equal(regions.StandbyInstances, regions.Regions[FakeRegions.Away].Instances);

        probes.HomeOk = false; // one failure: below the threshold, no failover, but suspect
        var d = await loop.TickAsync(default);
        Assert.False(d.IsFailover);
        Assert.Equal(regions.ActiveInstances, regions.Regions[FakeRegions.Away].Instances);
        Assert.Contains(audit.Events, e => e.Entry.Action == ControllerAuditActions.Prewarm && e.Entry.Outcome == "started" && e.Entry.Region == FakeRegions.Away);
        Assert.Equal(1, h.Metrics.Prewarms.WithLabels("started").Value);

        // Calm again: the compute stays through the hold, then goes back to standby size.
        probes.HomeOk = true;
        await loop.TickAsync(default);
        time.Advance(TimeSpan.FromSeconds(29));
        await loop.TickAsync(default);
        Assert.Equal(regions.ActiveInstances, regions.Regions[FakeRegions.Away].Instances);
        time.Advance(TimeSpan.FromSeconds(2));
        await loop.TickAsync(default);
        Assert.Equal(regions.StandbyInstances, regions.Regions[FakeRegions.Away].Instances);
        Assert.Contains(audit.Events, e => e.Entry.Action == ControllerAuditActions.Prewarm && e.Entry.Outcome == "scaled-back");
    }
}
