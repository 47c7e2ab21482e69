namespace Regami.Dr.Core.Alarms;

/// <summary>What one evaluation of an alarm found.</summary>
/// <param name="State">The state the alarm should be in now.</param>
/// <param name="Reason">One sentence in CloudWatch's style saying why, e.g. "Threshold Crossed: 3 out of the last 3 datapoints [0.0, 0.0, 0.0] were less than the threshold (1.0)."</param>
/// <param name="Datapoints">
/// One entry per period of the evaluation range, oldest first, <c>null</c> where the period had no sample;
/// the last <see cref="AlarmDefinition.EvaluationPeriods"/> entries are the evaluation periods proper and the
/// earlier ones the look-back that may stand in for missing ones.
/// </param>
/// <param name="EvaluatedAt">The time the evaluation was made for.</param>
/// <param name="FirstPeriodStart">Start of the period of <c>Datapoints[0]</c>; entry <c>i</c> covers <c>[FirstPeriodStart + i × Period, FirstPeriodStart + (i + 1) × Period)</c>.</param>
public sealed record AlarmEvaluation(
    AlarmState State,
    string Reason,
    IReadOnlyList<double?> Datapoints,
    DateTimeOffset EvaluatedAt,
    DateTimeOffset FirstPeriodStart);
