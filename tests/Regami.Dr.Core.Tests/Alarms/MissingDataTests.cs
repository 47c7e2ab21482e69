using Regami.Dr.Core.Alarms;
using static Regami.Dr.Core.Tests.Alarms.AlarmTestKit;

namespace Regami.Dr.Core.Tests.Alarms;

/// <summary>
/// How missing datapoints are treated, against the examples of the CloudWatch User Guide ("How alarm state
/// is evaluated when data is missing", awsdocs/amazon-cloudwatch-user-guide doc_source/AlarmThatSendsEmail.md):
/// evaluation periods 3, evaluation range 5, the newest datapoint on the right.
/// </summary>
public class MissingDataTests
{
    private const string Retain = "retain";
    private static readonly DateTimeOffset Now = T0 + 5 * Minute;
    private static readonly AlarmState[] AnyState = [AlarmState.Ok, AlarmState.Alarm, AlarmState.InsufficientData];

    /// <summary>The guide's two tables, row by row: datapoints, M, then MISSING, IGNORE, BREACHING, NOT BREACHING.</summary>
    private static readonly (string Datapoints, int M, string[] Expected)[] DocumentedRows =
    [
        // Datapoints to Alarm 3, Evaluation Periods 3.
        ("0 - X - X", 3, ["OK", "OK", "OK", "OK"]),
        ("0 - - - -", 3, ["OK", "OK", "OK", "OK"]),
        ("- - - - -", 3, ["INSUFFICIENT_DATA", Retain, "ALARM", "OK"]),
        ("0 X X - X", 3, ["ALARM", "ALARM", "ALARM", "ALARM"]),
        ("- - X - -", 3, ["ALARM", Retain, "ALARM", "OK"]),
        // Datapoints to Alarm 2, Evaluation Periods 3: a 2 out of 3 alarm.
        ("0 - X - X", 2, ["ALARM", "ALARM", "ALARM", "ALARM"]),
        ("0 0 X 0 X", 2, ["ALARM", "ALARM", "ALARM", "ALARM"]),
        ("0 - X - -", 2, ["OK", "OK", "ALARM", "OK"]),
        ("- - - - 0", 2, ["OK", "OK", "ALARM", "OK"]),
        ("- - - X -", 2, ["ALARM", Retain, "ALARM", "OK"]),
    ];

    private static readonly MissingDataTreatment[] TableColumns =
    [
        MissingDataTreatment.Missing, MissingDataTreatment.Ignore, MissingDataTreatment.Breaching, MissingDataTreatment.NotBreaching,
    ];

    public static TheoryData<string, int, MissingDataTreatment, string> DocumentedExamples()
    {
        var data = new TheoryData<string, int, MissingDataTreatment, string>();
        foreach (var (datapoints, m, expected) in DocumentedRows)
            for (var column = 0; column < TableColumns.Length; column++)
                data.Add(datapoints, m, TableColumns[column], expected[column]);
        return data;
    }

    [Theory]
    [MemberData(nameof(DocumentedExamples))]
    public void Every_documented_example_gives_the_documented_state(string datapoints, int m, MissingDataTreatment treatment, string expected)
    {
        var alarm = Alarm(evaluationPeriods: 3, datapointsToAlarm: m, treatMissingData: treatment);

        // "Retain current state" must keep each possible state; any other answer must not depend on it.
        foreach (var current in AnyState)
        {
            var evaluation = AlarmEvaluator.Evaluate(alarm, Pattern(datapoints, Now), Now, current);

            var want = expected == Retain ? current : Parse(expected);
            Assert.True(want == evaluation.State, $"'{datapoints}' {m} of 3, {treatment}, from {current}: expected {want}, got {evaluation.State} ({evaluation.Reason})");
        }
    }

    [Fact]
    public void The_datapoints_are_the_whole_evaluation_range_oldest_first()
    {
        var evaluation = AlarmEvaluator.Evaluate(Alarm(), Pattern("0 - X - X", Now), Now, AlarmState.Ok);

        Assert.Equal([Ok, null, Breach, null, Breach], evaluation.Datapoints);
        Assert.Equal(T0, evaluation.FirstPeriodStart);
    }

    [Fact]
    public void Real_datapoints_from_the_look_back_replace_missing_ones_and_the_treatment_is_not_needed()
    {
        var evaluation = AlarmEvaluator.Evaluate(Alarm(treatMissingData: MissingDataTreatment.Breaching), Pattern("0 - X - X", Now), Now, AlarmState.Ok);

        Assert.Equal("Threshold Crossed: 1 out of the last 3 datapoints [20.0, 20.0, 0.0] was not greater than the threshold (10.0).", evaluation.Reason);
    }

    [Fact]
    public void Breaching_fills_only_the_shortfall_so_an_old_good_datapoint_holds_the_alarm_off_until_it_leaves_the_range()
    {
        // The guide's note on "0 - - - -": OK now, ALARM at the next evaluation if the data is still missing.
        var alarm = Alarm(treatMissingData: MissingDataTreatment.Breaching);
        var samples = Pattern("0 - - - -", Now);

        var now = AlarmEvaluator.Evaluate(alarm, samples, Now, AlarmState.Ok);
        var oneLater = AlarmEvaluator.Evaluate(alarm, samples, Now + Minute, AlarmState.Ok);

        Assert.Equal(AlarmState.Ok, now.State);
        Assert.Equal("Threshold Crossed: 1 out of the last 3 datapoints [missing, missing, 0.0] was not greater than the threshold (10.0) (2 missing datapoints treated as breaching).", now.Reason);
        Assert.Equal(AlarmState.Alarm, oneLater.State);
        Assert.Equal("Threshold Crossed: no datapoints were received for 5 periods and 3 missing datapoints were treated as [Breaching].", oneLater.Reason);
    }

    [Theory]
    [InlineData("- - - - X", AlarmState.Ok)]    // too early: the next datapoint may be good
    [InlineData("- - - X -", AlarmState.Ok)]
    [InlineData("- - X - -", AlarmState.Alarm)] // breaching 3 periods ago and nothing good since
    [InlineData("- X - X -", AlarmState.Alarm)]
    [InlineData("- 0 X - -", AlarmState.Ok)]    // a real good datapoint in range keeps it out
    public void Missing_data_alarm_only_once_a_breach_is_at_least_M_periods_old(string datapoints, AlarmState expected)
    {
        var evaluation = AlarmEvaluator.Evaluate(Alarm(), Pattern(datapoints, Now), Now, AlarmState.Ok);

        Assert.Equal(expected, evaluation.State);
    }

    [Fact]
    public void All_missing_with_missing_treatment_is_insufficient_data_in_cloudwatch_words()
    {
        var evaluation = AlarmEvaluator.Evaluate(Alarm(), [], Now, AlarmState.Alarm);

        Assert.Equal(AlarmState.InsufficientData, evaluation.State);
        Assert.Equal("Insufficient Data: 5 datapoints were unknown.", evaluation.Reason);
        Assert.All(evaluation.Datapoints, d => Assert.Null(d));
    }

    [Fact]
    public void Ignore_says_why_it_keeps_the_current_state()
    {
        var alarm = Alarm(treatMissingData: MissingDataTreatment.Ignore);

        var silent = AlarmEvaluator.Evaluate(alarm, [], Now, AlarmState.Alarm);
        var premature = AlarmEvaluator.Evaluate(alarm, Pattern("- - X - -", Now), Now, AlarmState.Ok);

        Assert.Equal("Missing data ignored: all 5 datapoints were unknown, so the alarm stays ALARM.", silent.Reason);
        Assert.Equal("Missing data ignored: every datapoint of the last 3 periods [missing, missing, 20.0] was greater than the threshold (10.0) or missing; an ALARM would rest on missing data, so the alarm stays OK.", premature.Reason);
    }

    private static AlarmState Parse(string cloudWatchState) => cloudWatchState switch
    {
        "OK" => AlarmState.Ok,
        "ALARM" => AlarmState.Alarm,
        "INSUFFICIENT_DATA" => AlarmState.InsufficientData,
        _ => throw new ArgumentException(cloudWatchState),
    };
}
