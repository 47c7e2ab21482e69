using Regami.Dr.Core.Alarms;
using Regami.Dr.Core.Alerting;
using static Regami.Dr.Core.Tests.Alarms.AlarmTestKit;

namespace Regami.Dr.Core.Tests.Alarms;

public class AlarmDefinitionTests
{
    public static TheoryData<string, AlarmDefinition, string> Broken => new()
    {
        { "empty name", Alarm() with { Name = " " }, "name must not be empty" },
        { "empty metric", Alarm() with { Metric = "" }, "metric must not be empty" },
        { "zero period", Alarm() with { Period = TimeSpan.Zero }, "period must be greater than 0 (found 0 s)" },
        { "no evaluation period", Alarm(evaluationPeriods: 0, datapointsToAlarm: 0), "evaluationPeriods must be at least 1 (found 0)" },
        { "M of 0", Alarm(3, 0), "datapointsToAlarm must be between 1 and evaluationPeriods (3) (found 0)" },
        { "M above N", Alarm(3, 4), "datapointsToAlarm must be between 1 and evaluationPeriods (3) (found 4)" },
        { "over a day", Alarm(1441, 1), "period × evaluationPeriods must not exceed 1 day (found 60 s × 1441)" },
        { "NaN threshold", Alarm(threshold: double.NaN), "threshold must be a finite number (found NaN)" },
        { "negative look-back", Alarm() with { LookbackPeriods = -1 }, "lookbackPeriods must be between 0 and 10 (found -1)" },
        { "unknown severity", Alarm() with { Severity = (Severity)4 }, "severity must be Sev1, Sev2 or Sev3 (found 4)" },
        { "unknown statistic", Alarm() with { Statistic = (Statistic)99 }, "statistic must be one of Minimum, Maximum, Average, Sum, SampleCount (found 99)" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_definition_says_what_is_wrong_in_one_sentence(string _, AlarmDefinition definition, string expected)
    {
        Assert.Equal(expected, Assert.Single(definition.Validate()));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(1440, 1440)] // exactly one day of 60 s periods
    public void M_between_1_and_N_within_a_day_is_valid(int n, int m)
    {
        Assert.Empty(Alarm(n, m).Validate());
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var definition = new AlarmDefinition("", "", TimeSpan.FromSeconds(-1), Statistic.Sum, 2, 3,
            ComparisonOperator.LessThanThreshold, double.PositiveInfinity, MissingDataTreatment.Missing, Severity.Sev3, "");

        Assert.Equal(5, definition.Validate().Count);
    }

    [Fact]
    public void The_evaluation_range_is_n_plus_the_look_back_as_in_the_user_guide_examples()
    {
        var alarm = Alarm(3, 3);

        Assert.Equal(5, alarm.EvaluationRange);
        Assert.Equal(TimeSpan.FromMinutes(5), alarm.EvaluationRangeDuration);
        Assert.Equal(3, (alarm with { LookbackPeriods = 0 }).EvaluationRange);
    }
}
