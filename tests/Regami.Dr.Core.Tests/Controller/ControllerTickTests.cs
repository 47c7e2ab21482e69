using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Providers;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Tests.Drills;
using Regami.Dr.Core.Tests.Runbooks;
using Regami.Dr.Server.Controller;

namespace Regami.Dr.Core.Tests.Controller;

/// <summary>A hung database does not stretch the controller's tick (and so its detection) past one interval.</summary>
public sealed class ControllerTickTests
{
    [Fact]
    public async Task A_database_that_does_not_answer_within_the_interval_is_observed_running_but_unreachable_and_the_tick_goes_on()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        var regions = new FakeRegions(time);
        var ports = new DrPorts(regions, regions, regions, regions, regions);
        var deps = new ControllerDependencies(ports, new RunbookCatalog(ports, new FailoverPolicy()), new InMemoryJournal(), new InMemoryAudit(), new InMemoryLease(),
            new ControllerPrewarmTests.AlwaysLeader(time), new ControllerPrewarmTests.NoAlerts(), null, new ControllerPrewarmTests.ScriptedHealth(), time);
        var options = new ControllerOptions { Policy = new ControllerPolicy(), Regions = [FakeRegions.Home, FakeRegions.Away], Owner = "controller@test", ListenUrl = new Uri("http://127.0.0.1:1/"), TokenFile = "/dev/null" };
        var metrics = new ControllerMetrics();
        var state = new ControllerState();
        var loop = new ControllerLoop(options, deps, metrics, state, NullLogger.Instance);
        var hung = new TaskCompletionSource();
        regions.Regions[FakeRegions.Home].ObservationHeldUntil = hung.Task;

        var tick = loop.TickAsync(default);
        Assert.False(tick.IsCompleted); // waiting for the hung primary…
        time.Advance(options.Interval);  // …for one interval, not for the port's own timeout
        await tick.WaitAsync(TimeSpan.FromSeconds(30));

        var home = state.Current.Observation!.Regions.Single(r => r.Region == FakeRegions.Home).Database;
        Assert.False(home.Reachable);
        Assert.True(home.Running);
        Assert.Equal(Regami.Dr.Core.Ports.WriteAcceptance.Unknown, home.Writes);
        Assert.Contains("no answer within the controller's interval (1 s)", home.Error);
        Assert.True(state.Current.Observation.Regions.Single(r => r.Region == FakeRegions.Away).Database.IsReplica);
        Assert.Equal(0, metrics.TickErrors.Value);
    }
}
