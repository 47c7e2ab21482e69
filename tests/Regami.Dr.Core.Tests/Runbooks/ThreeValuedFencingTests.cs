using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Core.Tests.Drills;
using Regami.Dr.Core.Topology;
using Regami.Dr.Store;

namespace Regami.Dr.Core.Tests.Runbooks;

/// <summary>
/// "Unreachable" is neither "fenced" nor "not writable" (issue 10, item 7): a server that does not
/// answer may still take writes from whoever reaches it, so runbooks treat it as unknown.
/// </summary>
public sealed class ThreeValuedFencingTests
{
    private readonly FakeRegions regions = new(TimeProvider.System);
    private DrPorts Ports => new(regions, regions, regions, regions, regions);

    private async Task<RunbookResult> RunAsync(Runbook runbook) =>
        await new RunbookEngine(new InMemoryJournal(), new InMemoryAudit(), new InMemoryLease(), TimeProvider.System, ProcessHostFacts.Current, "test")
            .RunAsync(runbook, "test", new RunbookRunOptions(), null, default);

    [Theory]
    [InlineData(true, true, true, WriteAcceptance.Accepts)]
    [InlineData(true, true, false, WriteAcceptance.Refuses)]    // a replica, or read-only
    [InlineData(false, false, false, WriteAcceptance.Refuses)]  // the process is gone
    [InlineData(false, true, false, WriteAcceptance.Unknown)]   // running, no answer: hung, or out of reach
    public void Write_acceptance_is_three_valued(bool reachable, bool running, bool writable, WriteAcceptance expected) =>
        Assert.Equal(expected, new DatabaseObservation("r", reachable, running, false, writable, null, null, null, null, null).Writes);

    [Fact]
    public async Task An_unreachable_old_primary_is_reported_unknown_and_nothing_is_promoted()
    {
        await regions.RememberAsync(new LagSample(DateTimeOffset.UtcNow, FakeRegions.Home, FakeRegions.Away, 0, 0), default);
        regions.Regions[FakeRegions.Home].Unanswering = true;

        var result = await RunAsync(FailoverRunbook.Build(FakeRegions.Home, FakeRegions.Away, force: false, Ports, new FailoverPolicy()));

        Assert.NotEqual(RunOutcome.Succeeded, result.Outcome);
        var fence = result.Steps.Single(s => s.Name == FailoverRunbook.StepNames.FenceDatabase);
        Assert.Equal(StepOutcome.Failed, fence.Outcome);
        Assert.Contains("unknown", fence.Detail);
        Assert.DoesNotContain(result.Steps, s => s.Name == FailoverRunbook.StepNames.PromoteStandby);
        Assert.False(regions.Regions[FakeRegions.Away].Writable);
        Assert.NotEqual(RegionRole.Primary, (await regions.GetAsync(default)).Roles[FakeRegions.Away]);
    }

    [Fact]
    public async Task The_single_writer_assertion_refuses_to_route_while_another_database_is_unknown()
    {
        regions.Regions[FakeRegions.Away].InRecovery = false;
        regions.Regions[FakeRegions.Away].Writable = true;
        regions.Regions[FakeRegions.Home].Unanswering = true;
        var step = FailoverRunbook.Build(FakeRegions.Home, FakeRegions.Away, force: false, Ports, new FailoverPolicy()).Steps
            .Single(s => s.Name == FailoverRunbook.StepNames.AssertSingleWriter);
        var e = await Assert.ThrowsAsync<GuardRefusedException>(() => step.Execute(new RunbookContext("r", new Dictionary<string, string>(), TimeProvider.System), default));
        Assert.Contains("eu-west-3 (no answer", e.Message);
    }

    [Fact]
    public void A_switchover_asserts_a_single_writer_before_moving_traffic()
    {
        var steps = SwitchoverRunbook.Build(FakeRegions.Home, FakeRegions.Away, Ports, new FailoverPolicy()).Steps.Select(s => s.Name).ToList();
        Assert.True(steps.IndexOf(SwitchoverRunbook.StepNames.AssertSingleWriter) > steps.IndexOf(FailoverRunbook.StepNames.PromoteStandby));
        Assert.True(steps.IndexOf(SwitchoverRunbook.StepNames.AssertSingleWriter) < steps.IndexOf(SwitchoverRunbook.StepNames.MoveTraffic));
        var failback = FailbackRunbook.Build(FakeRegions.Home, FakeRegions.Away, Ports, new FailoverPolicy()).Steps.Select(s => s.Name).ToList();
        Assert.Contains(FailoverRunbook.StepNames.AssertSingleWriter, failback);
    }
}
