using Regami.Dr.Core.Campaigns;

namespace Regami.Dr.Core.Tests.Campaigns;

public sealed class CampaignPlannerTests
{
    private static readonly CampaignShape Shape = CampaignShape.Lab;

    [Fact]
    public void The_same_seed_gives_the_same_plan_so_a_failure_can_be_replayed()
    {
        var a = CampaignPlanner.Plan(4242, 50, Shape).Select(s => s.ToString()).ToList();
        var b = CampaignPlanner.Plan(4242, 50, Shape).Select(s => s.ToString()).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, CampaignPlanner.Plan(4243, 50, Shape).Select(s => s.ToString()).ToList());
    }

    [Fact]
    public void A_prefix_of_a_longer_plan_is_the_shorter_plan()
    {
        // `--only N` replays sequence N of the same seed whatever --sequences was: sequences do not depend on the count.
        var shortPlan = CampaignPlanner.Plan(9, 5, Shape);
        var longPlan = CampaignPlanner.Plan(9, 40, Shape);
        Assert.Equal(shortPlan.Select(s => s.ToString()), longPlan.Take(5).Select(s => s.ToString()));
    }

    [Fact]
    public void Over_a_long_plan_every_fault_is_drawn_and_controller_faults_land_inside_a_failover()
    {
        var plan = CampaignPlanner.Plan(1, 200, Shape);
        var drawn = plan.SelectMany(s => s.Steps).Select(s => s.Fault).ToHashSet();
        Assert.Equal(CampaignFaults.All.ToHashSet(), drawn);
        Assert.All(plan, s => Assert.InRange(s.Steps.Count, 1, Shape.MaxSteps));
        // A controller fault right after a primary fault, early enough to hit detection or the runbook.
        Assert.Contains(plan, s => s.Steps.Zip(s.Steps.Skip(1)).Any(p =>
            CampaignFaults.TakesPrimaryAway(p.First.Fault) && p.Second.Fault == CampaignFault.ControllerKill && p.Second.Wait < TimeSpan.FromSeconds(6)));
    }

    [Fact]
    public void Flaps_stay_below_the_detection_window_and_pauses_outlast_the_lease()
    {
        var plan = CampaignPlanner.Plan(3, 200, Shape).SelectMany(s => s.Steps).ToList();
        foreach (var flap in plan.Where(s => s.Fault == CampaignFault.Flapping))
        {
            var failing = Shape.ChecksFailedBy(flap.Hold);
            Assert.InRange(failing, 1, Shape.FailureThreshold - 1);
            Assert.True(flap.Hold >= Shape.CheckInterval * 0.2, "a flap long enough to be seen");
            Assert.True(flap.Gap > Shape.CheckInterval + Shape.CheckTimeout, "a passing check between two hangs resets the count");
        }
        Assert.All(plan.Where(s => s.Fault == CampaignFault.ControllerPause), p => Assert.True(p.Hold > Shape.LeaseTtl));
    }

    /// <summary>
    /// Campaign seed 20261129, sequence 75: partition-controller for 11.3 s, then flapping 1.3 s later. The
    /// controller, cut off from the primary for longer than detection, failed over (safely, fencing first),
    /// and the flap inside the partition was judged a "failover on flapping". Such a partition blinds the
    /// controller: the flap is not judged; a short one (shorter than detection) does not.
    /// </summary>
    [Fact]
    public void Campaign_sequence_75_a_controller_partition_longer_than_detection_blinds_the_controller()
    {
        Assert.True(CampaignFaults.BlindsController(new CampaignStep(CampaignFault.PartitionController, TimeSpan.FromSeconds(2.3), TimeSpan.FromSeconds(11.3)), Shape));
        Assert.True(CampaignFaults.BlindsController(new CampaignStep(CampaignFault.PartitionController, TimeSpan.Zero, TimeSpan.FromSeconds(3)), Shape));
        Assert.False(CampaignFaults.BlindsController(new CampaignStep(CampaignFault.PartitionController, TimeSpan.Zero, TimeSpan.FromSeconds(2.9)), Shape));
        Assert.False(CampaignFaults.BlindsController(new CampaignStep(CampaignFault.PartitionRegions, TimeSpan.Zero, TimeSpan.FromSeconds(30)), Shape));
    }
}
