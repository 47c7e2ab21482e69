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
}
