using Regami.Dr.Core.Alarms;
using static Regami.Dr.Core.Tests.Alarms.AlarmTestKit;

namespace Regami.Dr.Core.Tests.Alarms;

public class AlarmEvaluatorTests
{
    private static readonly DateTimeOffset Now = T0 + 5 * Minute;

    [Theory]
    [InlineData(Statistic.Minimum, 1)]
    [InlineData(Statistic.Maximum, 5)]
    [InlineData(Statistic.Average, 3)]
    [InlineData(Statistic.Sum, 9)]
    [InlineData(Statistic.SampleCount, 3)]
    public void Each_statistic_reduces_a_period_to_one_datapoint(Statistic statistic, double expected)
    {
        var lastPeriod = T0 + 4 * Minute;
        MetricSample[] samples =
        [
            new(Metric, lastPeriod + TimeSpan.FromSeconds(10), 1),
            new(Metric, lastPeriod + TimeSpan.FromSeconds(20), 5),
            new(Metric, lastPeriod + TimeSpan.FromSeconds(50), 3),
            new("another.metric", lastPeriod + TimeSpan.FromSeconds(30), 1000),
        ];

        var evaluation = AlarmEvaluator.Evaluate(Alarm(1, 1, statistic: statistic), samples, Now, AlarmState.Ok);

        Assert.Equal(expected, evaluation.Datapoints[^1]);
        Assert.Equal(3, evaluation.Datapoints.Count); // N = 1 plus a look-back of 2
    }

    [Theory]
    [InlineData(ComparisonOperator.GreaterThanThreshold, 10, AlarmState.Ok)]
    [InlineData(ComparisonOperator.GreaterThanThreshold, 10.5, AlarmState.Alarm)]
    [InlineData(ComparisonOperator.GreaterThanOrEqualToThreshold, 10, AlarmState.Alarm)]
    [InlineData(ComparisonOperator.GreaterThanOrEqualToThreshold, 9.5, AlarmState.Ok)]
    [InlineData(ComparisonOperator.LessThanThreshold, 10, AlarmState.Ok)]
    [InlineData(ComparisonOperator.LessThanThreshold, 9.5, AlarmState.Alarm)]
    [InlineData(ComparisonOperator.LessThanOrEqualToThreshold, 10, AlarmState.Alarm)]
    [InlineData(ComparisonOperator.LessThanOrEqualToThreshold, 10.5, AlarmState.Ok)]
    public void Each_comparison_decides_at_the_threshold_as_its_name_says(ComparisonOperator comparison, double value, AlarmState expected)
    {
        MetricSample[] samples = [new(Metric, T0 + 4 * Minute, value)];

        var evaluation = AlarmEvaluator.Evaluate(Alarm(1, 1, comparison: comparison, threshold: 10), samples, Now, AlarmState.InsufficientData);

        Assert.Equal(expected, evaluation.State);
    }

    [Theory]
    [InlineData("0 0 X X 0", AlarmState.Alarm)]
    [InlineData("0 0 X 0 X", AlarmState.Alarm)] // breaching datapoints need not be consecutive
    [InlineData("X X 0 0 X", AlarmState.Ok)]    // older breaches outside the last 3 do not count
    [InlineData("0 0 0 0 X", AlarmState.Ok)]
    public void Two_out_of_three_alarms_on_any_two_breaching_of_the_last_three(string datapoints, AlarmState expected)
    {
        var evaluation = AlarmEvaluator.Evaluate(Alarm(3, 2), Pattern(datapoints, Now), Now, AlarmState.Ok);

        Assert.Equal(expected, evaluation.State);
    }

    [Theory]
    // sample offset from T0, evaluation time offset from T0 (both in seconds), index of the period it lands in (-1: none)
    [InlineData(240, 300, 4)]  // a sample exactly at a period's start belongs to that period
    [InlineData(299, 300, 4)]
    [InlineData(300, 300, -1)] // exactly at now: the open period, not evaluated
    [InlineData(310, 330, -1)] // in the open period when now is mid-period
    [InlineData(0, 330, 0)]    // mid-period: the range still starts at T0
    [InlineData(-1, 300, -1)]  // before the evaluation range
    public void Periods_are_aligned_and_only_complete_periods_are_evaluated(int sampleSeconds, int nowSeconds, int expectedIndex)
    {
        var now = T0 + TimeSpan.FromSeconds(nowSeconds);
        MetricSample[] samples = [new(Metric, T0 + TimeSpan.FromSeconds(sampleSeconds), 42)];

        var evaluation = AlarmEvaluator.Evaluate(Alarm(), samples, now, AlarmState.Ok);

        Assert.Equal(T0, evaluation.FirstPeriodStart);
        Assert.Equal(now, evaluation.EvaluatedAt);
        for (var i = 0; i < evaluation.Datapoints.Count; i++)
            Assert.Equal(i == expectedIndex ? 42 : (double?)null, evaluation.Datapoints[i]);
    }

    [Fact]
    public void Periods_are_aligned_to_the_unix_epoch_whatever_the_offset_of_now()
    {
        var paris = new DateTimeOffset(2025, 3, 3, 13, 3, 30, TimeSpan.FromHours(1));

        Assert.Equal(T0 + 3 * Minute, AlarmEvaluator.LastCompletePeriodEnd(Minute, paris));
        Assert.Equal(new DateTimeOffset(2025, 3, 3, 12, 3, 24, TimeSpan.Zero), AlarmEvaluator.LastCompletePeriodEnd(TimeSpan.FromSeconds(7), paris));
    }

    [Fact]
    public void The_reason_reads_like_cloudwatch_newest_datapoint_first()
    {
        var unhealthy = PlanAlarms.PrimaryUnhealthy("eu-west-3", Minute, 3);
        MetricSample[] zeros = [.. Every(Minute, T0, T0 + 5 * Minute, unhealthy.Metric, 0)];
        MetricSample[] recovering = [.. zeros.Take(4), new(unhealthy.Metric, T0 + 4 * Minute, 1)];

        var alarm = AlarmEvaluator.Evaluate(unhealthy, zeros, Now, AlarmState.Ok);
        var ok = AlarmEvaluator.Evaluate(unhealthy, recovering, Now, AlarmState.Alarm);

        Assert.Equal("Threshold Crossed: 3 out of the last 3 datapoints [0.0, 0.0, 0.0] were less than the threshold (1.0).", alarm.Reason);
        Assert.Equal("Threshold Crossed: 1 out of the last 3 datapoints [1.0, 0.0, 0.0] was not less than the threshold (1.0).", ok.Reason);
    }

    [Fact]
    public void Values_that_are_not_numbers_are_not_datapoints()
    {
        MetricSample[] samples = [new(Metric, T0 + 4 * Minute, double.NaN), new(Metric, T0 + 4 * Minute, double.PositiveInfinity)];

        var evaluation = AlarmEvaluator.Evaluate(Alarm(1, 1), samples, Now, AlarmState.Ok);

        Assert.Null(evaluation.Datapoints[^1]);
        Assert.Equal(AlarmState.InsufficientData, evaluation.State);
    }

    [Fact]
    public void An_invalid_definition_is_refused_with_its_problems()
    {
        var invalid = Alarm(evaluationPeriods: 2, datapointsToAlarm: 3);

        var error = Assert.Throws<ArgumentException>(() => AlarmEvaluator.Evaluate(invalid, [], Now, AlarmState.Ok));

        Assert.Contains("Alarm 'test-alarm' is invalid: datapointsToAlarm must be between 1 and evaluationPeriods (2) (found 3)", error.Message);
    }
}
