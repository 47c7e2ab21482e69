using Regami.Dr.Core.Alarms;
using Regami.Dr.Core.Alerting;
using static Regami.Dr.Core.Tests.Alarms.AlarmTestKit;

namespace Regami.Dr.Core.Tests.Alarms;

/// <summary>The DR plan's alarms: "primary unhealthy (3 × 60 s), replication lag &gt; 300 s".</summary>
public class PlanAlarmsTests
{
    private const string Primary = "eu-west-3";
    private const string Standby = "eu-central-1";
    private static readonly TimeSpan Probe = TimeSpan.FromSeconds(10);

    [Fact]
    public void Primary_unhealthy_is_minimum_health_below_1_for_3_of_3_minutes_missing_is_missing_sev1()
    {
        var alarm = PlanAlarms.PrimaryUnhealthy(Primary, TimeSpan.FromSeconds(60), 3);

        Assert.Equal(("primary-unhealthy", "health.eu-west-3", TimeSpan.FromSeconds(60), Statistic.Minimum, 3, 3),
            (alarm.Name, alarm.Metric, alarm.Period, alarm.Statistic, alarm.EvaluationPeriods, alarm.DatapointsToAlarm));
        Assert.Equal((ComparisonOperator.LessThanThreshold, 1.0, MissingDataTreatment.Missing, Severity.Sev1),
            (alarm.Comparison, alarm.Threshold, alarm.TreatMissingData, alarm.Severity));
        Assert.Empty(alarm.Validate());
    }

    [Fact]
    public void Replication_lag_is_average_above_300_s_for_2_of_2_minutes_missing_is_missing_sev2()
    {
        var alarm = PlanAlarms.ReplicationLag(TimeSpan.FromSeconds(60), 2, 300);

        Assert.Equal(("replication-lag", "replication.lagSeconds", TimeSpan.FromSeconds(60), Statistic.Average, 2, 2),
            (alarm.Name, alarm.Metric, alarm.Period, alarm.Statistic, alarm.EvaluationPeriods, alarm.DatapointsToAlarm));
        Assert.Equal((ComparisonOperator.GreaterThanThreshold, 300.0, MissingDataTreatment.Missing, Severity.Sev2),
            (alarm.Comparison, alarm.Threshold, alarm.TreatMissingData, alarm.Severity));
        Assert.Empty(alarm.Validate());
    }

    [Theory]
    [InlineData(2, AlarmState.Ok)]    // 2 failing minutes are not enough
    [InlineData(3, AlarmState.Alarm)] // 3 × 60 s
    public void The_primary_is_declared_unhealthy_after_three_failing_minutes(int failingMinutes, AlarmState expected)
    {
        var alarm = PlanAlarms.PrimaryUnhealthy(Primary, Minute, 3);
        var outage = T0 + 5 * Minute;
        var now = outage + failingMinutes * Minute;
        MetricSample[] probes =
        [
            .. Every(Probe, T0, outage, alarm.Metric, 1),
            .. Every(Probe, outage, now, alarm.Metric, 0),
        ];

        var evaluation = AlarmEvaluator.Evaluate(alarm, probes, now, AlarmState.Ok);

        Assert.Equal(expected, evaluation.State);
    }

    [Fact]
    public void One_failed_probe_fails_its_whole_minute_because_the_statistic_is_minimum()
    {
        var alarm = PlanAlarms.PrimaryUnhealthy(Primary, Minute, 3);
        var now = T0 + 3 * Minute;
        MetricSample[] probes =
        [
            .. Every(Probe, T0, now, alarm.Metric, 1),
            new(alarm.Metric, T0 + TimeSpan.FromSeconds(30), 0),
            new(alarm.Metric, T0 + Minute + TimeSpan.FromSeconds(30), 0),
            new(alarm.Metric, T0 + 2 * Minute + TimeSpan.FromSeconds(30), 0),
        ];

        Assert.Equal(AlarmState.Alarm, AlarmEvaluator.Evaluate(alarm, probes, now, AlarmState.Ok).State);
    }

    [Theory]
    [InlineData(0, AlarmState.InsufficientData)] // never heard from: the controller was not probing, no page
    [InlineData(4, AlarmState.Ok)]               // silent for 4 minutes: the last healthy minute is still in the range
    [InlineData(5, AlarmState.InsufficientData)] // silent for 5 minutes: nothing real left in the 5-period range
    public void Silence_from_the_controller_is_insufficient_data_not_an_outage(int silentMinutes, AlarmState expected)
    {
        var alarm = PlanAlarms.PrimaryUnhealthy(Primary, Minute, 3);
        var lastProbe = T0 + 5 * Minute;
        var now = lastProbe + silentMinutes * Minute;
        var probes = silentMinutes == 0 ? [] : Every(Probe, T0, lastProbe, alarm.Metric, 1).ToList();

        Assert.Equal(expected, AlarmEvaluator.Evaluate(alarm, probes, now, AlarmState.Ok).State);
    }

    [Theory]
    [InlineData(new double[] { 200, 400 }, new double[] { 200, 400 }, AlarmState.Ok)]    // average exactly 300 is not above 300
    [InlineData(new double[] { 300, 320 }, new double[] { 290, 330 }, AlarmState.Alarm)] // 310 and 310
    [InlineData(new double[] { 900 }, new double[] { 100 }, AlarmState.Ok)]             // one minute over is not 2 of 2
    [InlineData(new double[0], new double[0], AlarmState.InsufficientData)]             // no lag data: not an alarm
    public void Replication_lag_alarms_when_the_average_is_above_300_s_for_two_minutes(double[] first, double[] second, AlarmState expected)
    {
        var alarm = PlanAlarms.ReplicationLag(Minute, 2, 300);
        var now = T0 + 4 * Minute;
        var samples = first.Select((lag, i) => new MetricSample(PlanAlarms.ReplicationLagMetric, T0 + 2 * Minute + i * Probe, lag))
            .Concat(second.Select((lag, i) => new MetricSample(PlanAlarms.ReplicationLagMetric, T0 + 3 * Minute + i * Probe, lag)));

        Assert.Equal(expected, AlarmEvaluator.Evaluate(alarm, samples, now, AlarmState.Ok).State);
    }

    [Fact]
    public void The_plan_has_its_three_alarms_on_60_s_periods()
    {
        var alarms = PlanAlarms.ForPlan(Primary, Standby);

        Assert.Equal(
            [
                ("primary-unhealthy", "health.eu-west-3", 3, Severity.Sev1),
                ("replication-lag", "replication.lagSeconds", 2, Severity.Sev2),
                ("standby-unhealthy", "health.eu-central-1.database", 3, Severity.Sev2),
            ],
            alarms.Select(a => (a.Name, a.Metric, a.EvaluationPeriods, a.Severity)));
        Assert.All(alarms, a => Assert.Equal(TimeSpan.FromSeconds(60), a.Period));
        Assert.Equal(300, alarms[1].Threshold);
        Assert.All(new AlarmSet(alarms).Current, s => Assert.Equal(AlarmState.InsufficientData, s.State));
    }

    [Fact]
    public void The_lab_has_the_same_alarms_with_time_scaled_down_to_seconds()
    {
        var plan = PlanAlarms.ForPlan(Primary, Standby);
        var lab = PlanAlarms.ForLab(Primary, Standby);

        Assert.Equal(plan.Select(Shape), lab.Select(Shape));
        Assert.All(lab, a => Assert.Equal(TimeSpan.FromSeconds(1), a.Period));
        Assert.Equal(5, lab[1].Threshold);
        Assert.All(lab, a => Assert.Empty(a.Validate()));
    }

    [Fact]
    public void The_plan_needs_two_different_regions()
    {
        Assert.Throws<ArgumentException>(() => PlanAlarms.ForPlan(Primary, Primary));
        Assert.Throws<ArgumentException>(() => PlanAlarms.ForLab(" ", Standby));
    }

    private static object Shape(AlarmDefinition a) =>
        (a.Name, a.Metric, a.Statistic, a.EvaluationPeriods, a.DatapointsToAlarm, a.Comparison, a.TreatMissingData, a.Severity);
}
