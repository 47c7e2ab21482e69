namespace Regami.Dr.Core.Alarms;

/// <summary>Where one alarm of an <see cref="AlarmSet"/> stands.</summary>
/// <param name="Definition">The alarm.</param>
/// <param name="State">Its current state.</param>
/// <param name="Reason">Why it entered <paramref name="State"/> (the reason of the last transition).</param>
/// <param name="Since">When it entered <paramref name="State"/>; <c>null</c> until its first transition.</param>
/// <param name="LastEvaluation">The most recent evaluation (datapoints for a dashboard), <c>null</c> before the first.</param>
public sealed record AlarmStatus(AlarmDefinition Definition, AlarmState State, string Reason, DateTimeOffset? Since, AlarmEvaluation? LastEvaluation)
{
    /// <summary>CloudWatch's reason for an alarm that has not been evaluated yet.</summary>
    public const string InitialReason = "Unchecked: Initial alarm creation";

    public string Name => Definition.Name;
}
