namespace Regami.Dr.Core.Alarms;

/// <summary>How a datapoint is compared with the threshold; a datapoint for which the comparison holds is <i>breaching</i>.</summary>
public enum ComparisonOperator
{
    GreaterThanThreshold,
    GreaterThanOrEqualToThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

internal static class ComparisonOperatorPhrases
{
    /// <summary>The words CloudWatch uses in a reason: "were <b>less than</b> the threshold (1.0)".</summary>
    public static string ToPhrase(this ComparisonOperator comparison) => comparison switch
    {
        ComparisonOperator.GreaterThanThreshold => "greater than",
        ComparisonOperator.GreaterThanOrEqualToThreshold => "greater than or equal to",
        ComparisonOperator.LessThanThreshold => "less than",
        ComparisonOperator.LessThanOrEqualToThreshold => "less than or equal to",
        _ => comparison.ToString(),
    };
}
