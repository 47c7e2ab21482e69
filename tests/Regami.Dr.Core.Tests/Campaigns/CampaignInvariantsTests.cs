using Regami.Dr.Core.Campaigns;
using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Tests.Campaigns;

public sealed class CampaignInvariantsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static RunRecord Run(string kind, DateTimeOffset startedAt, RunOutcome outcome, string lastStep = "promote-standby") =>
        new($"{kind}-x", kind, new Dictionary<string, string>(), "controller", 1, startedAt, null, outcome, null,
            [new StepRecord(1, lastStep, StepOutcome.Started, startedAt, null, 1, null)]);

    [Fact]
    public void Two_regions_acknowledging_in_one_round_break_single_writer_and_one_does_not()
    {
        var samples = new[] { new WriterSample(T0, ["eu-west-3"]), new WriterSample(T0.AddSeconds(1), ["eu-west-3", "eu-central-1"]) };
        var v = Assert.Single(CampaignInvariants.SingleWriter(4, samples));
        Assert.Equal(CampaignInvariantIds.SingleWriter, v.Invariant);
        Assert.Contains("eu-west-3 and eu-central-1", v.Detail);
    }

    [Fact]
    public void A_lost_acknowledged_write_is_a_violation_in_sync_mode_and_only_counted_in_async_mode()
    {
        var attempts = new[]
        {
            new WriteAttempt(1, T0, WriteOutcome.Acknowledged, T0, 201, "eu-west-3", T0, "127.0.0.2"),
            new WriteAttempt(2, T0, WriteOutcome.Acknowledged, T0, 201, "eu-west-3", T0, "127.0.0.2"),
        };
        var writes = WriteSetChecker.Classify(attempts, new HashSet<long> { 1 });
        Assert.Equal(CampaignInvariantIds.NoLostWrites, Assert.Single(CampaignInvariants.Losses(1, writes, ReplicationMode.Sync)).Invariant);
        Assert.Empty(CampaignInvariants.Losses(1, writes, ReplicationMode.Async));
    }

    [Fact]
    public void A_run_still_running_is_neither_completed_nor_resumable()
    {
        var runs = new[] { Run("failover", T0, RunOutcome.Running), Run("failback", T0, RunOutcome.Interrupted), Run("switchover", T0, RunOutcome.Refused) };
        var v = Assert.Single(CampaignInvariants.Runs(2, runs));
        Assert.Contains("promote-standby", v.Detail);
    }

    [Fact]
    public void A_failover_started_inside_a_flap_window_is_a_violation_and_one_after_it_is_not()
    {
        var window = new FlapWindow(T0, T0.AddSeconds(10));
        var inside = Run("failover", T0.AddSeconds(5), RunOutcome.Succeeded);
        var after = Run("failover", T0.AddSeconds(11), RunOutcome.Succeeded);
        Assert.Single(CampaignInvariants.Flapping(3, [window], [inside]));
        Assert.Empty(CampaignInvariants.Flapping(3, [window], [after, Run("failback", T0.AddSeconds(2), RunOutcome.Succeeded)]));
    }

    [Fact]
    public void Rto_runs_from_the_fault_to_the_first_write_another_region_acknowledged()
    {
        var attempts = new[]
        {
            new WriteAttempt(1, T0.AddSeconds(-1), WriteOutcome.Acknowledged, T0.AddSeconds(-0.9), 201, "eu-west-3", null, null),
            new WriteAttempt(2, T0.AddSeconds(1), WriteOutcome.Refused, T0.AddSeconds(1.1), 503, null, null, null),
            new WriteAttempt(3, T0.AddSeconds(6), WriteOutcome.Acknowledged, T0.AddSeconds(6.2), 201, "eu-central-1", null, null),
            new WriteAttempt(4, T0.AddSeconds(7), WriteOutcome.Acknowledged, T0.AddSeconds(7.1), 201, "eu-central-1", null, null),
        };
        Assert.Equal(TimeSpan.FromSeconds(6.2), CampaignInvariants.Rto(T0, "eu-west-3", attempts));
        Assert.Null(CampaignInvariants.Rto(T0, "eu-west-3", attempts.Take(2)));
    }

    [Fact]
    public void The_report_counts_faults_and_takes_the_median_rto()
    {
        SequenceResult Seq(int n, double? rto, params CampaignViolation[] v) =>
            new(n, ["kill-db", "controller-kill"], rto is null ? 0 : 1, rto is { } r ? TimeSpan.FromSeconds(r) : null, 10, 0, v, TimeSpan.FromSeconds(30), "failback");
        var report = new CampaignReport(7, ReplicationMode.Sync, [Seq(1, 5), Seq(2, null), Seq(3, 9), Seq(4, 6, new CampaignViolation(4, "x", "y"))], T0, TimeSpan.FromMinutes(2));
        Assert.Equal(8, report.Faults);
        Assert.Equal(4, report.FaultCounts["kill-db"]);
        Assert.Equal(TimeSpan.FromSeconds(6), report.MedianRto);
        Assert.Equal(3, report.Failovers);
        Assert.False(report.Passed);
    }
}
