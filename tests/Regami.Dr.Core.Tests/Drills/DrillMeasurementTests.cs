using Regami.Dr.Core.Drills;
using static Regami.Dr.Core.Tests.Drills.DrillTestKit;

namespace Regami.Dr.Core.Tests.Drills;

public sealed class DrillMeasurementTests
{
    private const int Precision = 6; // AddSeconds works in 100 ns ticks

    // ------------------------------------------------------------------ RTO

    [Fact]
    public void Rto_runs_from_the_fault_to_the_first_answer_of_the_final_run_of_acknowledgements()
    {
        WriteAttempt[] attempts =
        [
            Ack(1, 4.0),
            Ack(2, 5.01),          // the old primary still answered just after the fault: not a recovery
            Refused(3, 5.5),
            Unknown(4, 6.0),
            Ack(5, 7.0),
            Ack(6, 7.5),
        ];

        var r = DrillMeasurement.MeasureRecovery(attempts, At(5.0));

        Assert.Equal(At(7.01), r.RecoveredAt);
        Assert.Equal(2.01, r.Rto!.Value.TotalSeconds, Precision);
        Assert.Equal(1, r.OutagePeriods);
        Assert.Contains("seq 5", r.Reason);
    }

    [Fact]
    public void A_flap_after_a_first_success_moves_recovery_to_the_end_of_the_flap()
    {
        WriteAttempt[] attempts = [Refused(1, 5.1), Ack(2, 6.0), Refused(3, 6.5), Ack(4, 7.0), Ack(5, 7.2)];

        var r = DrillMeasurement.MeasureRecovery(attempts, At(5.0));

        Assert.Equal(At(7.01), r.RecoveredAt);
        Assert.Equal(2, r.OutagePeriods);
    }

    [Fact]
    public void A_write_that_times_out_after_later_writes_succeeded_does_not_delay_recovery_beyond_their_answers()
    {
        // seq 2 was sent last-before-recovery and only timed out at +7.0; seq 3, sent after it, was answered at +6.06.
        WriteAttempt[] attempts = [Refused(1, 5.5), Unknown(2, 6.0, timeout: 1.0), Ack(3, 6.05), Ack(4, 6.1)];

        var r = DrillMeasurement.MeasureRecovery(attempts, At(5.0));

        Assert.Equal(At(6.06), r.RecoveredAt);
    }

    [Fact]
    public void Never_recovered_when_the_last_write_failed()
    {
        var r = DrillMeasurement.MeasureRecovery([Ack(1, 4.0), Refused(2, 5.5), Ack(3, 6.0), Unknown(4, 7.0)], At(5.0));

        Assert.Null(r.Rto);
        Assert.Null(r.RecoveredAt);
        Assert.Equal(2, r.OutagePeriods);
        Assert.StartsWith("never recovered", r.Reason);
        Assert.Contains("seq 4", r.Reason);
    }

    [Fact]
    public void Never_recovered_when_nothing_was_sent_after_the_fault()
    {
        var r = DrillMeasurement.MeasureRecovery([Ack(1, 4.0)], At(5.0));

        Assert.Null(r.Rto);
        Assert.Equal("no write was sent after the fault", r.Reason);
    }

    [Fact]
    public void No_outage_at_all_gives_the_first_answer_after_the_fault()
    {
        var r = DrillMeasurement.MeasureRecovery([Ack(1, 4.9), Ack(2, 5.02), Ack(3, 5.04)], At(5.0));

        Assert.Equal(0.03, r.Rto!.Value.TotalSeconds, Precision);
        Assert.Equal(0, r.OutagePeriods);
    }

    // ------------------------------------------------------------------ RPO

    [Fact]
    public void Rpo_is_zero_when_no_acknowledged_write_is_lost()
    {
        var attempts = new[] { Ack(1, 1.0), Refused(2, 5.5), Unknown(3, 6.0), Ack(4, 7.0) };
        var writes = WriteSetChecker.Classify(attempts, Present(1, 4));

        var loss = DrillMeasurement.MeasureDataLoss(attempts, writes, At(5.0));

        Assert.Equal(TimeSpan.Zero, loss.Window);
        Assert.Null(loss.LastSafeCommitAt);
    }

    [Fact]
    public void Rpo_is_the_fault_minus_the_commit_of_the_newest_surviving_write_before_the_losses()
    {
        // 1–3 replicated, 4–6 committed on the old primary only, 7 acknowledged by the new primary after the failover.
        var attempts = new[]
        {
            Ack(1, 1.0, committed: 1.0), Ack(2, 2.0, committed: 2.0), Ack(3, 3.0, committed: 3.25),
            Ack(4, 4.0, committed: 4.0), Ack(5, 4.5, committed: 4.5), Ack(6, 4.9, committed: 4.9),
            Refused(8, 5.5), Ack(7, 8.0, committed: 8.0),
        };
        var writes = WriteSetChecker.Classify(attempts, Present(1, 2, 3, 7));

        var loss = DrillMeasurement.MeasureDataLoss(attempts, writes, At(5.0));

        Assert.Equal([4L, 5L, 6L], writes.Lost);
        Assert.Equal(At(3.25), loss.LastSafeCommitAt);
        Assert.Equal(1.75, loss.Window.TotalSeconds, Precision);
        Assert.Equal(At(5.0), loss.WindowEnd);
    }

    [Fact]
    public void A_write_acknowledged_after_the_fault_and_lost_extends_the_window()
    {
        // An unfenced old primary kept acknowledging until +5.8 s; all of that is gone.
        var attempts = new[] { Ack(1, 4.0, committed: 4.0), Ack(2, 4.8, committed: 4.8), Ack(3, 5.8, committed: 5.8) };
        var writes = WriteSetChecker.Classify(attempts, Present(1));

        var loss = DrillMeasurement.MeasureDataLoss(attempts, writes, At(5.0));

        Assert.Equal(1.8, loss.Window.TotalSeconds, Precision);
        Assert.Equal(At(5.8), loss.WindowEnd);
    }

    [Fact]
    public void With_no_survivor_before_the_losses_the_window_starts_at_the_oldest_lost_commit()
    {
        var attempts = new[] { Ack(1, 2.0, committed: 2.0), Ack(2, 3.0, committed: 3.0) };
        var writes = WriteSetChecker.Classify(attempts, Present());

        var loss = DrillMeasurement.MeasureDataLoss(attempts, writes, At(5.0));

        Assert.Null(loss.LastSafeCommitAt);
        Assert.Equal(3.0, loss.Window.TotalSeconds, Precision);
    }

    [Fact]
    public void A_write_without_a_commit_time_counts_at_its_send_time()
    {
        var attempts = new[] { Ack(1, 3.0) with { CommittedAt = null }, Ack(2, 4.0, committed: 4.0) };
        var writes = WriteSetChecker.Classify(attempts, Present(1));

        var loss = DrillMeasurement.MeasureDataLoss(attempts, writes, At(5.0));

        Assert.Equal(2.0, loss.Window.TotalSeconds, Precision);
    }

    // ------------------------------------------------------------------ phases

    [Fact]
    public void Phases_are_consecutive_and_add_up_to_the_rto()
    {
        var o = RegionOutage();

        var m = DrillMeasurement.Measure(o.Attempts, o.PresentSeqs, o.Marks);

        Assert.Equal(DrillPhaseNames.All.Except([DrillPhaseNames.Restore, DrillPhaseNames.CopyBack]), m.Phases.Select(p => p.Name)); // a failover restores nothing
        Assert.Equal([1.0, 0.1, 0.2, 0.3, 0.8, 0.5, 0.16], m.Phases.Select(p => Math.Round(p.Seconds, 6)));
        Assert.Equal(m.Rto!.Value.TotalSeconds, m.Phases.Sum(p => p.Seconds), Precision);
        Assert.Equal(3.06, m.Rto!.Value.TotalSeconds, Precision);
        for (var i = 1; i < m.Phases.Count; i++)
            Assert.Equal(m.Phases[i - 1].To, m.Phases[i].From);
        Assert.Equal(At(5.0), m.Phases[0].From);
    }

    [Fact]
    public void A_missing_mark_leaves_its_phase_out_and_the_next_phase_absorbs_its_time()
    {
        var marks = new DrillMarks(At(0)) { Detected = At(3), Promoted = At(3.5), TrafficSwitched = At(4.5) };

        var phases = DrillMeasurement.MeasurePhases(marks, firstSuccess: At(5));

        Assert.Equal([DrillPhaseNames.Detection, DrillPhaseNames.Promotion, DrillPhaseNames.TrafficSwitch, DrillPhaseNames.FirstSuccess],
            phases.Select(p => p.Name));
        Assert.Equal([3.0, 0.5, 1.0, 0.5], phases.Select(p => p.Seconds));
    }

    [Fact]
    public void A_mark_earlier_than_the_previous_one_gives_a_zero_phase_and_the_total_still_holds()
    {
        // Compute was ready before promotion finished (scaled in parallel).
        var marks = new DrillMarks(At(0)) { Promoted = At(2), ComputeReady = At(1.5), TrafficSwitched = At(3) };

        var phases = DrillMeasurement.MeasurePhases(marks, firstSuccess: At(3.5));

        Assert.Equal([2.0, 0.0, 1.0, 0.5], phases.Select(p => p.Seconds));
        Assert.Equal(3.5, phases.Sum(p => p.Seconds), Precision);
    }

    [Fact]
    public void Without_recovery_there_is_no_first_success_phase()
    {
        var phases = DrillMeasurement.MeasurePhases(new DrillMarks(At(0)) { Detected = At(3) }, firstSuccess: null);

        Assert.Equal([DrillPhaseNames.Detection], phases.Select(p => p.Name));
    }

    [Fact]
    public void With_no_marks_and_no_recovery_there_are_no_phases()
    {
        Assert.Empty(DrillMeasurement.MeasurePhases(new DrillMarks(At(0)), firstSuccess: null));
    }

    [Fact]
    public void A_first_success_mark_overrides_the_measured_one_for_the_phases_only()
    {
        var o = RegionOutage();
        var m = DrillMeasurement.Measure(o.Attempts, o.PresentSeqs, o.Marks with { FirstSuccess = At(8.5) });

        Assert.Equal(At(8.5), m.Phases[^1].To);
        Assert.Equal(3.06, m.Rto!.Value.TotalSeconds, Precision);
    }

    // ------------------------------------------------------------------ the whole measurement and the verdict

    [Fact]
    public void Region_outage_measures_writes_rto_and_rpo()
    {
        var o = RegionOutage();

        var m = DrillMeasurement.Measure(o.Attempts, o.PresentSeqs, o.Marks);

        Assert.Equal(100, m.AttemptedWrites);
        Assert.Equal(70, m.Writes.Acknowledged);
        Assert.Equal([48L, 49L, 50L], m.Writes.Lost);
        Assert.Equal([56L, 64L, 72L, 80L], m.Writes.Recovered);
        Assert.Equal(26, m.Writes.Failed.Count);
        Assert.Empty(m.Writes.Unexpected);
        Assert.Equal(22, m.RefusedAttempts);
        Assert.Equal(8, m.UnknownAttempts);
        Assert.Equal(At(4.655), m.DataLoss.LastSafeCommitAt!.Value, TimeSpan.FromMilliseconds(0.01));
        Assert.Equal(0.345, m.Rpo.TotalSeconds, 6);
        Assert.True(m.MeetsTargets(new DrillTargets(10, 5)));
        Assert.False(m.MeetsTargets(new DrillTargets(3, 5)));
        Assert.False(m.MeetsTargets(new DrillTargets(10, 0.3)));
        Assert.True(m.MeetsTargets(new DrillTargets(3.06, 0.345)));
    }

    [Fact]
    public void Never_recovered_never_meets_targets()
    {
        var marks = new DrillMarks(At(5));
        var m = DrillMeasurement.Measure([Ack(1, 4), Refused(2, 6)], Present(1), marks);

        Assert.Null(m.Rto);
        Assert.False(m.MeetsTargets(DrillTargets.Plan));
    }
}
