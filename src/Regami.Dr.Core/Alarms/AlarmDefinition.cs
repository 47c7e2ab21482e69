using System.Globalization;
using Regami.Dr.Core.Alerting;

namespace Regami.Dr.Core.Alarms;

/// <summary>
/// A metric alarm as CloudWatch defines one: every <see cref="Period"/> the samples of <see cref="Metric"/>
/// are reduced to one datapoint by <see cref="Statistic"/>; the alarm goes to ALARM when at least
/// <see cref="DatapointsToAlarm"/> (M) of the last <see cref="EvaluationPeriods"/> (N) datapoints are
/// breaching, i.e. satisfy <c>datapoint <see cref="Comparison"/> <see cref="Threshold"/></c>, and to OK otherwise.
/// The breaching datapoints need not be consecutive ("M out of N").
/// </summary>
/// <param name="Name">Unique name within an <see cref="AlarmSet"/>, e.g. <c>primary-unhealthy</c>.</param>
/// <param name="Metric">The metric the alarm watches, e.g. <c>health.eu-west-3</c>.</param>
/// <param name="Period">Length of one datapoint's period; periods are aligned to multiples of it since the Unix epoch.</param>
/// <param name="Statistic">How a period's samples become its datapoint.</param>
/// <param name="EvaluationPeriods">N: how many of the most recent datapoints decide the state.</param>
/// <param name="DatapointsToAlarm">M: how many of those N must breach for ALARM (1 ≤ M ≤ N).</param>
/// <param name="Comparison">How a datapoint is compared with <paramref name="Threshold"/>.</param>
/// <param name="Threshold">The value datapoints are compared with.</param>
/// <param name="TreatMissingData">What a period without data means when real datapoints are too few.</param>
/// <param name="Severity">The escalation level of this alarm's transitions.</param>
/// <param name="Description">One sentence for operators saying what the alarm means.</param>
public sealed record AlarmDefinition(
    string Name,
    string Metric,
    TimeSpan Period,
    Statistic Statistic,
    int EvaluationPeriods,
    int DatapointsToAlarm,
    ComparisonOperator Comparison,
    double Threshold,
    MissingDataTreatment TreatMissingData,
    Severity Severity,
    string Description)
{
    /// <summary>
    /// CloudWatch looks further back than N periods (its <i>evaluation range</i>) so that a few missing
    /// datapoints can be replaced by older real ones. Its documented examples use a range of 5 for N = 3;
    /// the exact size is not published, so we look back this many extra periods by default.
    /// </summary>
    public const int DefaultLookbackPeriods = 2;

    /// <summary>The most extra periods an alarm may look back; it keeps the sample buffer small (CloudWatch's own look-back is a few periods).</summary>
    public const int MaxLookbackPeriods = 10;

    /// <summary>CloudWatch: the number of evaluation periods multiplied by the period can't exceed one day.</summary>
    public static readonly TimeSpan MaxEvaluationWindow = TimeSpan.FromDays(1);

    /// <summary>Extra periods before the last N that may stand in for missing ones (default 2; 0 evaluates exactly N periods).</summary>
    public int LookbackPeriods { get; init; } = DefaultLookbackPeriods;

    /// <summary>The number of periods read at each evaluation: <see cref="EvaluationPeriods"/> + <see cref="LookbackPeriods"/>.</summary>
    public int EvaluationRange => EvaluationPeriods + LookbackPeriods;

    /// <summary>How far back an evaluation reads: <see cref="Period"/> × <see cref="EvaluationRange"/>.</summary>
    public TimeSpan EvaluationRangeDuration => Period * EvaluationRange;

    /// <summary>Whether one datapoint breaches the threshold.</summary>
    public bool IsBreaching(double datapoint) => Comparison switch
    {
        ComparisonOperator.GreaterThanThreshold => datapoint > Threshold,
        ComparisonOperator.GreaterThanOrEqualToThreshold => datapoint >= Threshold,
        ComparisonOperator.LessThanThreshold => datapoint < Threshold,
        ComparisonOperator.LessThanOrEqualToThreshold => datapoint <= Threshold,
        _ => throw new InvalidOperationException($"Unknown comparison {Comparison}."),
    };

    /// <summary>Every problem with this definition, one sentence each; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Name))
            errors.Add("name must not be empty");
        if (string.IsNullOrWhiteSpace(Metric))
            errors.Add("metric must not be empty");
        if (Period <= TimeSpan.Zero)
            errors.Add($"period must be greater than 0 (found {Seconds(Period)} s)");
        if (!Enum.IsDefined(Statistic))
            errors.Add($"statistic must be one of {string.Join(", ", Enum.GetNames<Statistic>())} (found {Statistic})");
        if (EvaluationPeriods < 1)
            errors.Add($"evaluationPeriods must be at least 1 (found {EvaluationPeriods})");
        else if (DatapointsToAlarm < 1 || DatapointsToAlarm > EvaluationPeriods)
            errors.Add($"datapointsToAlarm must be between 1 and evaluationPeriods ({EvaluationPeriods}) (found {DatapointsToAlarm})");
        if (Period > TimeSpan.Zero && EvaluationPeriods >= 1
            && Period.TotalSeconds * EvaluationPeriods > MaxEvaluationWindow.TotalSeconds)
            errors.Add($"period × evaluationPeriods must not exceed 1 day (found {Seconds(Period)} s × {EvaluationPeriods})");
        if (LookbackPeriods is < 0 or > MaxLookbackPeriods)
            errors.Add($"lookbackPeriods must be between 0 and {MaxLookbackPeriods} (found {LookbackPeriods})");
        if (!Enum.IsDefined(Comparison))
            errors.Add($"comparison must be one of {string.Join(", ", Enum.GetNames<ComparisonOperator>())} (found {Comparison})");
        if (!double.IsFinite(Threshold))
            errors.Add($"threshold must be a finite number (found {Threshold.ToString(CultureInfo.InvariantCulture)})");
        if (!Enum.IsDefined(TreatMissingData))
            errors.Add($"treatMissingData must be one of {string.Join(", ", Enum.GetNames<MissingDataTreatment>())} (found {TreatMissingData})");
        if (!Enum.IsDefined(Severity))
            errors.Add($"severity must be Sev1, Sev2 or Sev3 (found {(int)Severity})");
        return errors;
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString(CultureInfo.InvariantCulture);
}
