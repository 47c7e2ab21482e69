using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Tests.Drills;

namespace Regami.Dr.Core.Tests.Controller;

/// <summary>A hung database does not stretch the controller's tick (and so its detection) past one interval.</summary>
public sealed class ControllerTickTests
{
    [Fact]
    public async Task A_database_that_does_not_answer_within_the_interval_is_observed_running_but_unreachable_and_the_tick_goes_on()
    {
        var h = new ControllerHarness();
        var hung = new TaskCompletionSource();
        h.Regions.Regions[FakeRegions.Home].ObservationHeldUntil = hung.Task;

        var tick = h.Loop.TickAsync(default);
        Assert.False(tick.IsCompleted);      // waiting for the hung primary…
        h.Time.Advance(h.Options.Interval);  // …for one interval, not for the port's own timeout
        await tick.WaitAsync(TimeSpan.FromSeconds(30));

        var home = h.State.Current.Observation!.Regions.Single(r => r.Region == FakeRegions.Home).Database;
        Assert.False(home.Reachable);
        Assert.True(home.Running);
        Assert.Equal(WriteAcceptance.Unknown, home.Writes);
        Assert.Contains("no answer within the controller's interval (1 s)", home.Error);
        Assert.True(h.State.Current.Observation.Regions.Single(r => r.Region == FakeRegions.Away).Database.IsReplica);
        Assert.Equal(0, h.Metrics.TickErrors.Value);
    }
}
