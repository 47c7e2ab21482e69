using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Core.Tests.Runbooks;

public sealed class RepairHoldsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static RunRecord Run(string id, DateTimeOffset at, RunOutcome outcome, params (string Name, StepOutcome Outcome)[] steps) =>
        new(id, "failover", new Dictionary<string, string> { ["from"] = "eu-west-3", ["to"] = "eu-central-1" }, "controller", 1, at, null, outcome, null,
            steps.Select((s, i) => new StepRecord(i + 1, s.Name, s.Outcome, at, null, 1, null)).ToList());

    [Fact]
    public void An_unfinished_run_that_began_fencing_holds_its_source_region_and_says_who_finishes_it()
    {
        var run = Run("failover-1", T0, RunOutcome.Interrupted, ("check-target", StepOutcome.Succeeded), ("rpo-guard", StepOutcome.Succeeded), ("fence-traffic", StepOutcome.Succeeded), ("fence-compute", StepOutcome.Started));
        var hold = Assert.Single(RepairHolds.From([run]));
        Assert.Equal("eu-west-3", hold.Region);
        Assert.Contains("runbook resume failover-1", hold.Reason);
        Assert.Contains("fence-traffic succeeded", hold.Reason);
    }

    [Fact]
    public void Guards_alone_finished_runs_and_runs_a_later_success_superseded_hold_nothing()
    {
        var guardsOnly = Run("failover-1", T0, RunOutcome.Failed, ("check-target", StepOutcome.Failed));
        var finished = Run("failover-2", T0, RunOutcome.Succeeded, ("fence-traffic", StepOutcome.Succeeded));
        var superseded = Run("failover-3", T0, RunOutcome.Interrupted, ("fence-traffic", StepOutcome.Succeeded));
        var later = Run("failover-4", T0.AddMinutes(5), RunOutcome.Succeeded, ("fence-traffic", StepOutcome.Succeeded));
        Assert.Empty(RepairHolds.From([guardsOnly, finished]));
        Assert.Empty(RepairHolds.From([later, superseded]));
        Assert.Single(RepairHolds.From([superseded]));
    }

    [Fact]
    public void A_running_run_holds_its_source_from_its_first_step()
    {
        // The fault campaign's finding: `lab up` raced a failover still in its guards and queried the primary it was about to stop.
        var running = Run("failover-5", T0, RunOutcome.Running, ("check-target", StepOutcome.Succeeded), ("rpo-guard", StepOutcome.Started));
        Assert.Equal("eu-west-3", Assert.Single(RepairHolds.From([running])).Region);
    }
}
