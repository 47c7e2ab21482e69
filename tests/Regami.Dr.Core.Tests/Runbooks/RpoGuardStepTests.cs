using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Tests.Drills;

namespace Regami.Dr.Core.Tests.Runbooks;

/// <summary>
/// The rpo-guard step's source of lag on a primary that does not answer at once (a hung server):
/// it does not wait out the observation's timeout when the remembered sample already passes, and
/// it still waits for the primary when only the primary's answer could let the failover go ahead.
/// </summary>
public sealed class RpoGuardStepTests
{
    private readonly FakeRegions regions = new(TimeProvider.System);
    private DrPorts Ports => new(regions, regions, regions, regions, regions);
    private static readonly RpoGuardPolicy Guard = new();

    [Fact]
    public async Task A_hung_primary_is_not_waited_for_when_the_remembered_sample_passes_and_the_wait_is_cancelled()
    {
        var remembered = new LagSample(DateTimeOffset.UtcNow.AddSeconds(-1), FakeRegions.Home, FakeRegions.Away, 0, 0, StandbyStreaming: true);
        await regions.RememberAsync(remembered, default);
        var never = new TaskCompletionSource();
        regions.Regions[FakeRegions.Home].ObservationHeldUntil = never.Task;

        var sample = await FailoverRunbook.LastKnownLagAsync(FakeRegions.Home, FakeRegions.Away, Ports, TimeProvider.System, Guard, default)
            .WaitAsync(TimeSpan.FromSeconds(30)); // never held: it returns after FreshLagWait, not never

        Assert.Same(remembered, sample);
        Assert.True(RpoGuardDecision.Evaluate(sample, DateTimeOffset.UtcNow, Guard).Pass);
    }

    [Fact]
    public async Task A_slow_primary_is_waited_for_when_the_remembered_sample_would_be_refused()
    {
        // Remembered: 10 minutes old, refused. Only the primary's own answer can let this failover go ahead.
        await regions.RememberAsync(new LagSample(DateTimeOffset.UtcNow.AddMinutes(-10), FakeRegions.Home, FakeRegions.Away, 0, 0, StandbyStreaming: true), default);
        var answer = new TaskCompletionSource();
        regions.Regions[FakeRegions.Home].ObservationHeldUntil = answer.Task;

        var asking = FailoverRunbook.LastKnownLagAsync(FakeRegions.Home, FakeRegions.Away, Ports, TimeProvider.System, Guard, default);
        await Task.Delay(FailoverRunbook.FreshLagWait * 3);
        Assert.False(asking.IsCompleted); // still waiting for the primary, past the short wait
        answer.SetResult();
        var sample = await asking.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(sample);
        Assert.True((DateTimeOffset.UtcNow - sample.At).TotalSeconds < 5); // the fresh one, and remembered
        Assert.Equal(sample, await regions.LastAsync(default));
        Assert.True(RpoGuardDecision.Evaluate(sample, DateTimeOffset.UtcNow, Guard).Pass);
    }

    [Fact]
    public async Task A_primary_that_answers_at_once_gives_the_fresh_sample_even_when_the_remembered_one_passes()
    {
        var remembered = new LagSample(DateTimeOffset.UtcNow.AddSeconds(-1), FakeRegions.Home, FakeRegions.Away, 0, 0, StandbyStreaming: true);
        await regions.RememberAsync(remembered, default);

        var sample = await FailoverRunbook.LastKnownLagAsync(FakeRegions.Home, FakeRegions.Away, Ports, TimeProvider.System, Guard, default);

        Assert.NotSame(remembered, sample);
        Assert.True(sample!.At > remembered.At);
    }
}
