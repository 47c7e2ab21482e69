namespace Regami.Dr.Core.Alarms;

/// <summary>
/// What a period without a datapoint means to the alarm (CloudWatch <c>TreatMissingData</c>). It only
/// matters when the evaluation range holds fewer real datapoints than <c>EvaluationPeriods</c>; see
/// <see cref="AlarmEvaluator"/> for the exact rules.
/// </summary>
public enum MissingDataTreatment
{
    /// <summary>
    /// CloudWatch's default <c>missing</c>: decide on the real datapoints; when there are none at all the
    /// alarm goes to <see cref="AlarmState.InsufficientData"/>.
    /// </summary>
    Missing,

    /// <summary><c>breaching</c>: a missing datapoint counts as breaching ("no news is bad news").</summary>
    Breaching,

    /// <summary><c>notBreaching</c>: a missing datapoint counts as within the threshold.</summary>
    NotBreaching,

    /// <summary>
    /// <c>ignore</c>: like <see cref="Missing"/>, except that where missing data would decide the state
    /// (no data at all, or an ALARM resting on missing periods) the alarm keeps its current state.
    /// </summary>
    Ignore,
}
