using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Drills;
using static Regami.Dr.Core.Tests.Drills.DrillTestKit;

namespace Regami.Dr.Core.Tests.Drills;

/// <summary>The restore scenarios' pure parts: their catalogue entries, the recovery-point check, the RTO when data comes back late.</summary>
public sealed class RestoreDrillTests
{
    [Theory]
    [InlineData("corruption", DataLossKind.DropRecords, 1800, 3600)]
    [InlineData("accidental-delete", DataLossKind.DeleteRecords, 1200, 300)]
    [InlineData("provider-outage", DataLossKind.ProviderOutage, 900, 300)]
    public void The_restore_scenarios_carry_the_plans_targets(string name, DataLossKind loss, double rto, double rpo)
    {
        var s = DrillScenario.Find(name)!;
        Assert.Equal(RecoveryPath.Restore, s.Recovery);
        Assert.Equal(loss, s.DataLoss);
        Assert.Null(s.Fault);
        // A configured plan of 10 min / 1 min changes only the scenario that uses the plan's targets.
        var plan = new RecoveryTargets { Rto = TimeSpan.FromMinutes(10), Rpo = TimeSpan.FromMinutes(1) };
        var targets = s.TargetsWith(plan, null, null);
        if (loss == DataLossKind.ProviderOutage) Assert.Equal(new DrillTargets(600, 60), targets);
        else Assert.Equal(new DrillTargets(rto, rpo), targets);
        Assert.Equal(new DrillTargets(rto, rpo), s.TargetsWith(new RecoveryTargets(), null, null));
        Assert.True(s.Runs(DrillCheckKind.LossesAfterRecoveryPoint));
        Assert.False(s.Runs(DrillCheckKind.AcknowledgedWritesPresent)); // a restore loses what came after its point: counted, not failed
        Assert.Equal(loss == DataLossKind.DeleteRecords, s.Runs(DrillCheckKind.DeletedRowsBack));
    }

    [Fact]
    public void Every_write_answered_before_the_recovery_point_must_be_there()
    {
        IReadOnlyList<WriteAttempt> attempts = [Ack(1, 0.0), Ack(2, 1.0), Ack(3, 2.0), Refused(4, 2.5), Ack(5, 3.0)];
        // The point at +2.5 s: 1–3 answered before it; 5 after it may be lost.
        var ok = RecoveryPointCheck.Judge(attempts, Present(1, 2, 3), At(2.5), "the time restored to");
        Assert.True(ok.Passed, ok.Detail);
        Assert.Contains("all 3 writes acknowledged before the time restored to", ok.Detail);

        var hole = RecoveryPointCheck.Judge(attempts, Present(1, 3, 5), At(2.5), "the time restored to");
        Assert.False(hole.Passed);
        Assert.Equal([2L], hole.Holes);
        Assert.Contains("1 of 3", hole.Detail);

        var none = RecoveryPointCheck.Judge(attempts, Present(), At(-1), "the backup's consistent point");
        Assert.True(none.Passed);
        Assert.Contains("no acknowledged write of the workload is older", none.Detail);
    }

    [Fact]
    public void Rows_copied_back_after_the_service_answered_set_the_rto_and_its_last_phase()
    {
        // The service never stopped (every write acknowledged), but the deleted rows were back only at +20 s.
        IReadOnlyList<WriteAttempt> attempts = [.. Enumerable.Range(1, 30).Select(i => Ack(i, i * 1.0))];
        var marks = new DrillMarks(At(5)) { Detected = At(5.5), Decided = At(5.5), Restored = At(18), DataRestored = At(20) };
        var m = DrillMeasurement.Measure(attempts, Present(Enumerable.Range(1, 30).Select(i => (long)i)), marks);
        Assert.Equal(15, m.Rto!.Value.TotalSeconds, 6);
        Assert.Equal(At(20), m.Recovery.RecoveredAt);
        Assert.Contains("the lost rows were back", m.Recovery.Reason);
        Assert.Equal([DrillPhaseNames.Detection, DrillPhaseNames.Decision, DrillPhaseNames.Restore, DrillPhaseNames.CopyBack, DrillPhaseNames.FirstSuccess],
            m.Phases.Select(p => p.Name));
        Assert.Equal(15, m.Phases.Sum(p => p.Seconds), 6);
        Assert.Equal(TimeSpan.Zero, m.Rpo);
    }

    [Fact]
    public void Data_back_before_the_service_leaves_the_workloads_rto()
    {
        IReadOnlyList<WriteAttempt> attempts = [Ack(1, 0), Refused(2, 6), Refused(3, 7), Ack(4, 12), Ack(5, 13)];
        var marks = new DrillMarks(At(5)) { DataRestored = At(9) };
        var m = DrillMeasurement.Measure(attempts, Present(1, 4, 5), marks);
        Assert.Equal(At(12.010), m.Recovery.RecoveredAt);
    }

    [Fact]
    public void The_reports_say_what_was_restored_and_the_json_carries_it()
    {
        var restore = new DrillRestore("drill-x", "eu-west-3", "time 2026-11-24T22:00:05.000Z", "20261124-210000F", "eu-west-3", At(5), 3.2, "rows copied back", 56, 56);
        var report = DrillReport.From(RegionOutage() with { Scenario = "accidental-delete", Restore = restore });
        Assert.Same(restore, report.Restore);
        var md = DrillReportMarkdown.Render(report);
        Assert.Contains("## Restore", md);
        Assert.Contains("Rows copied back", md);
        Assert.Contains("Restore", DrillReportHtml.Render(report));
        using var json = System.Text.Json.JsonDocument.Parse(DrillReportJson.Render(report));
        Assert.Equal(56, json.RootElement.GetProperty("restore").GetProperty("rowsCopiedBack").GetInt64());
        Assert.Equal("rows copied back", json.RootElement.GetProperty("restore").GetProperty("recovery").GetString());
        // A failover drill has no restore section.
        Assert.False(System.Text.Json.JsonDocument.Parse(DrillReportJson.Render(DrillReport.From(RegionOutage()))).RootElement.TryGetProperty("restore", out _));
    }
}
