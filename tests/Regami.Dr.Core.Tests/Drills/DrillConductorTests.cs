using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Tests.Drills;

/// <summary>The drill conductor end to end over in-memory ports and fake time: what it runs, checks and reports.</summary>
public sealed class DrillConductorTests
{
    private const double Rate = 20;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxFakeTime = TimeSpan.FromHours(1);

    private readonly FakeTimeProvider time = new(DrillTestKit.T0);
    private readonly FakeDrillEnvironment lab;
    private readonly List<string> said = [];

    public DrillConductorTests() => lab = new FakeDrillEnvironment(time);

    private static DrillRequest Request(string scenario)
    {
        var s = DrillScenario.Find(scenario)!;
        return new DrillRequest(s, s.Targets, Rate, null, KeepEnvironment: false, "tester@host") { Policy = new FailoverPolicy() };
    }

    /// <summary>Runs the drill while the fake clock moves on, one tick per turn, until it finishes.</summary>
    private async Task<DrillReport> RunAsync(DrillRequest request)
    {
        var conductor = new DrillConductor(lab.Ports, time, line => { lock (said) said.Add(line); });
        var run = conductor.RunAsync(request, CancellationToken.None);
        var until = time.GetUtcNow() + MaxFakeTime;
        while (!run.IsCompleted)
        {
            if (time.GetUtcNow() > until) throw new TimeoutException("the drill did not finish within an hour of fake time");
            time.Advance(Tick);
            await Task.Delay(1); // let the drill, the workload and the fake controller take their turn
        }
        return await run;
    }

    private static void AssertWithinATick(TimeSpan expected, double seconds) =>
        Assert.InRange(seconds, (expected - Tick).TotalSeconds - 0.001, (expected + Tick).TotalSeconds + 0.001);

    private static DrillCheck CheckNamed(DrillReport report, string name) => Assert.Single(report.Checks, c => c.Name == name);

    [Fact]
    public async Task A_planned_switchover_switches_over_and_back_with_zero_loss_and_passes_its_checks()
    {
        var report = await RunAsync(Request("planned-switchover"));

        Assert.True(report.Passed, string.Join("\n", report.Checks.Select(c => $"{c.Name}: {c.Passed} {c.Detail}")));
        Assert.Equal(0, report.Targets.RpoSeconds);
        Assert.Equal(0, report.Measured.LostAcknowledgedWrites);
        Assert.True(report.Measured.AcknowledgedWrites > 0);
        Assert.NotNull(report.Measured.RtoSeconds);
        Assert.Equal(
            [DrillCheckNames.SmokeWrite, DrillCheckNames.SingleWritablePrimary, DrillCheckNames.TrafficFollowsPrimary, DrillCheckNames.AcknowledgedWritesPresent,
             DrillCheckNames.SwitchBack, DrillCheckNames.RegionsConsistent, DrillCheckNames.RolesRestored, DrillCheckNames.AuditVerifies, DrillReport.NoUnexpectedWritesCheck],
            report.Checks.Select(c => c.Name));
        // The drill itself ran the switchover there and back; nothing was broken on purpose.
        Assert.Empty(lab.Faults);
        var runs = await lab.Journal.ListAsync(10, default);
        Assert.Equal([SwitchoverRunbook.Kind, SwitchoverRunbook.Kind], runs.Select(r => r.Kind));
        Assert.All(runs, r => Assert.Equal(DrillConductor.RunbookActor, r.Actor));
        Assert.Equal(FakeRegions.Home, (await lab.Regions.ReadAsync(default)).PrimaryRegion);
        Assert.Same(lab.Published, report);
        Assert.Contains(lab.Audit.Events, e => e.Entry.Action == DrillConductor.AuditAction && e.Entry.Outcome == "succeeded" && e.Entry.Actor == "tester@host");
    }

    [Fact]
    public async Task A_crash_is_recovered_by_the_controllers_failover_and_the_marks_come_from_its_journal_and_audit()
    {
        var report = await RunAsync(Request("db-crash"));

        Assert.True(report.Passed, string.Join("\n", report.Checks.Select(c => $"{c.Name}: {c.Passed} {c.Detail}")));
        Assert.Equal([FaultKind.KillDb, FaultKind.Heal], lab.Faults);
        var runs = (await lab.Journal.ListAsync(10, default)).Reverse().ToList();
        Assert.Equal([FailoverRunbook.Kind, FailbackRunbook.Kind], runs.Select(r => r.Kind));
        Assert.Equal("controller", runs[0].Actor);
        Assert.Contains(DrillCheckNames.Failback, report.Checks.Select(c => c.Name));
        Assert.DoesNotContain(DrillCheckNames.LostWritesOnOldPrimary, report.Checks.Select(c => c.Name));

        // Detection and decision come from the controller's audited decisions, a fixed fake time after the fault
        // (give or take the clock tick that may pass while the fault is being injected).
        var phases = report.Measured.Phases.ToDictionary(p => p.Name, p => p.Seconds);
        AssertWithinATick(FakeDrillEnvironment.DetectionDelay, phases[DrillPhaseNames.Detection]);
        AssertWithinATick(FakeDrillEnvironment.DecisionDelay, phases[DrillPhaseNames.Decision]);
        Assert.Contains(DrillPhaseNames.Promotion, phases.Keys);
        Assert.True(report.Measured.RtoSeconds >= (FakeDrillEnvironment.DetectionDelay + FakeDrillEnvironment.DecisionDelay).TotalSeconds);
        Assert.Equal(RegionRole.Primary, (await lab.Regions.GetAsync(default)).Roles[FakeRegions.Home]);
    }

    [Fact]
    public async Task A_lossy_failover_counts_the_lost_writes_and_the_old_primary_accounts_for_every_extra_row()
    {
        var report = await RunAsync(Request("lossy-failover"));

        Assert.True(report.Passed, string.Join("\n", report.Checks.Select(c => $"{c.Name}: {c.Passed} {c.Detail}")));
        var lost = report.Measured.LostAcknowledgedWrites;
        Assert.True(lost > 0, "writes acknowledged after the replication cut are lost");
        Assert.True(CheckNamed(report, DrillCheckNames.LostWritesOnOldPrimary).Passed);
        var explained = CheckNamed(report, DrillCheckNames.OldPrimaryRowsExplained);
        Assert.True(explained.Passed);
        Assert.StartsWith($"{lost} rows only on the old primary = {lost} lost + 0 committed but unacknowledged", explained.Detail);
        // Replication cut: the controller's RPO guard refused (the standby was not streaming), and the
        // drill forced the failover itself, as the Sev1 alert asks of a human.
        var refused = CheckNamed(report, DrillCheckNames.RpoGuardRefused);
        Assert.True(refused.Passed, refused.Detail);
        Assert.Contains("not connected or not streaming", refused.Detail);
        var runs = await lab.Journal.ListAsync(10, default);
        var failover = Assert.Single(runs, r => r.Kind == FailoverRunbook.Kind);
        var guard = Assert.Single(failover.Steps, s => s.Name == FailoverRunbook.StepNames.RpoGuard);
        Assert.StartsWith("forced past the RPO guard", guard.Detail);
    }

    [Fact]
    public async Task A_lossy_failover_fails_its_check_when_the_controller_fails_over_past_the_rpo_guard()
    {
        lab.ControllerIgnoresRpoGuard = true;

        var report = await RunAsync(Request("lossy-failover"));

        Assert.False(report.Passed);
        var refused = CheckNamed(report, DrillCheckNames.RpoGuardRefused);
        Assert.False(refused.Passed);
        Assert.Contains("let an unknown loss through", refused.Detail);
    }

    [Fact]
    public async Task The_controller_fails_over_by_itself_when_the_last_sample_proves_the_data_at_risk_within_the_rpo()
    {
        var report = await RunAsync(Request("db-crash"));

        Assert.True(report.Passed, string.Join("\n", report.Checks.Select(c => $"{c.Name}: {c.Passed} {c.Detail}")));
        Assert.DoesNotContain(report.Checks, c => c.Name == DrillCheckNames.RpoGuardRefused);
        var failover = Assert.Single(await lab.Journal.ListAsync(10, default), r => r.Kind == FailoverRunbook.Kind);
        Assert.StartsWith("last known lag of eu-central-1 0 bytes / 0.0 s measured",
            Assert.Single(failover.Steps, s => s.Name == FailoverRunbook.StepNames.RpoGuard).Detail);
    }

    [Fact]
    public async Task A_failover_before_the_fault_stops_the_drill_without_injecting_and_says_where_the_lab_stands()
    {
        lab.FailsOverBeforeTheFault = true;
        // The controller's failover needs a lag sample to pass its RPO guard, as after a steady minute.
        await lab.Regions.RememberAsync(new Core.Ports.LagSample(time.GetUtcNow(), FakeRegions.Home, FakeRegions.Away, 0, 0), default);

        var stopped = await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(Request("db-crash")));

        Assert.Contains("before the fault was injected", stopped.Message);
        Assert.Contains("failback --yes", stopped.Message);
        Assert.Empty(lab.Faults);
        Assert.Equal(FakeRegions.Away, (await lab.Regions.GetAsync(default)).Primary);
    }

    [Fact]
    public async Task A_drill_on_an_unhealthy_system_is_refused_before_it_changes_anything()
    {
        lock (lab.Regions.Gate) lab.Regions.Regions[FakeRegions.Away].Running = false;

        var refused = await Assert.ThrowsAsync<DrillRefusedException>(() => RunAsync(Request("planned-switchover")));

        Assert.Contains("not healthy", refused.Message);
        Assert.Contains($"{FakeRegions.Away} (standby) is unhealthy", refused.Message);
        Assert.Contains("the standby is not streaming", refused.Message);
        Assert.Empty(await lab.Journal.ListAsync(10, default));
        Assert.Empty(lab.Faults);
        Assert.Null(lab.Published);
        Assert.Equal(0, lab.Downs); // it did not bring the environment up, so it leaves it as it was
    }
}
