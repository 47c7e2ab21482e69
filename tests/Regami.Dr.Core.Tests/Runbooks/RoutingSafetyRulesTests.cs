using Regami.Dr.Core.Providers;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Tests.Drills;

namespace Regami.Dr.Core.Tests.Runbooks;

/// <summary>ARC-style safety rules on every routing change a runbook makes, refused with the rule's name.</summary>
public sealed class RoutingSafetyRulesTests
{
    private readonly FakeRegions regions = new(TimeProvider.System);
    private RoutingSafetyRules Rules() => new(regions, regions, regions);

    [Fact]
    public async Task Turning_off_the_last_routed_region_is_refused_by_name()
    {
        await regions.SetRoutingControlAsync(FakeRegions.Away, false, default);
        var e = await Assert.ThrowsAsync<GuardRefusedException>(() => Rules().SetRoutingControlAsync(FakeRegions.Home, false, default));
        Assert.Equal(RoutingSafetyRules.AtLeastOneRouted, e.Guard);
        Assert.True(regions.Regions[FakeRegions.Home].RoutingControl);   // nothing changed
    }

    [Fact]
    public async Task Routing_to_a_second_region_while_both_accept_writes_is_refused_by_name_and_allowed_once_one_is_fenced()
    {
        await regions.SetRoutingControlAsync(FakeRegions.Away, false, default);
        regions.Regions[FakeRegions.Away].Writable = true;   // split brain
        var e = await Assert.ThrowsAsync<GuardRefusedException>(() => Rules().SetRoutingControlAsync(FakeRegions.Away, true, default));
        Assert.Equal(RoutingSafetyRules.NoTwoWritersRouted, e.Guard);
        Assert.Contains("eu-west-3 and eu-central-1", e.Message);
        Assert.False(regions.Regions[FakeRegions.Away].RoutingControl);

        await regions.FenceAsync(FakeRegions.Home, default);
        await Rules().SetRoutingControlAsync(FakeRegions.Away, true, default);
        Assert.True(regions.Regions[FakeRegions.Away].RoutingControl);
    }

    [Fact]
    public async Task Marking_a_region_healthy_while_two_routed_regions_accept_writes_is_refused_by_name()
    {
        regions.Regions[FakeRegions.Away].Writable = true;   // split brain, both routed
        var e = await Assert.ThrowsAsync<GuardRefusedException>(() => Rules().MarkHealthyAsync(FakeRegions.Away, "run r-1", default));
        Assert.Equal(RoutingSafetyRules.NoTwoWritersRouted, e.Guard);

        await regions.FenceAsync(FakeRegions.Home, default);
        Assert.Equal($"{FakeRegions.Away} marked healthy", await Rules().MarkHealthyAsync(FakeRegions.Away, "run r-1", default));
    }
}

/// <summary>Regressions found by the fault campaign (bench/fault-campaign.sh), named after the finding.</summary>
public sealed class CampaignRegressionTests
{
    /// <summary>
    /// Campaign seed 11, sequence 2: after a failover and a failback (which leaves the old region's
    /// routing control off), the next automatic failover was refused at fence-traffic by the
    /// at-least-one-region-routed rule, 20 times in a row — no failover after the first failback.
    /// </summary>
    [Fact]
    public async Task Campaign_failover_after_a_failback_swaps_routing_controls_instead_of_being_refused()
    {
        var regions = new FakeRegions(TimeProvider.System);
        var ports = new DrPorts(regions, regions, regions, regions, regions);
        await regions.RememberAsync(new Core.Ports.LagSample(DateTimeOffset.UtcNow, FakeRegions.Home, FakeRegions.Away, 0, 0), default);
        lock (regions.Gate)
        {
            regions.Regions[FakeRegions.Away].RoutingControl = false;   // as a failback leaves it
            (regions.Regions[FakeRegions.Home].Running, regions.Regions[FakeRegions.Home].Writable) = (false, false);   // kill-db
        }
        var catalog = new RunbookCatalog(ports, new FailoverPolicy());
        var choice = await catalog.ChooseAsync(new RunbookAsk(FailoverRunbook.Kind), default);
        var engine = new RunbookEngine(new InMemoryJournal(), new InMemoryAudit(), new InMemoryLease(), TimeProvider.System, Regami.Dr.Store.ProcessHostFacts.Current, "controller");

        var result = await engine.RunAsync(choice.Runbook!, "test", new RunbookRunOptions(), null, default);

        Assert.True(result.Outcome == Core.Runbooks.Journal.RunOutcome.Succeeded, string.Join("\n", result.Steps.Select(s => $"{s.Name} {s.Outcome} {s.Detail}")));
        Assert.Contains("turned on first", result.Steps.Single(s => s.Name == FailoverRunbook.StepNames.FenceTraffic).Detail);
        Assert.False(regions.Regions[FakeRegions.Home].RoutingControl);
        Assert.True(regions.Regions[FakeRegions.Away].RoutingControl);
        Assert.True(regions.Regions[FakeRegions.Away].Writable);
    }
}
