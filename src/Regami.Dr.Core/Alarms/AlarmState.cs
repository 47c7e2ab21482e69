namespace Regami.Dr.Core.Alarms;

/// <summary>The three states of a CloudWatch metric alarm.</summary>
public enum AlarmState
{
    /// <summary>The metric is within the threshold (CloudWatch <c>OK</c>).</summary>
    Ok,

    /// <summary>The metric is outside the threshold (CloudWatch <c>ALARM</c>).</summary>
    Alarm,

    /// <summary>
    /// The alarm has just started, or there is not enough data to decide (CloudWatch
    /// <c>INSUFFICIENT_DATA</c>). Every new alarm starts here.
    /// </summary>
    InsufficientData,
}

internal static class AlarmStateNames
{
    /// <summary>The name CloudWatch uses in its reasons and APIs: <c>OK</c>, <c>ALARM</c>, <c>INSUFFICIENT_DATA</c>.</summary>
    public static string ToCloudWatchName(this AlarmState state) => state switch
    {
        AlarmState.Ok => "OK",
        AlarmState.Alarm => "ALARM",
        AlarmState.InsufficientData => "INSUFFICIENT_DATA",
        _ => state.ToString(),
    };
}
