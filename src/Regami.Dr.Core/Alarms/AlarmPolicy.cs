namespace Regami.Dr.Core.Alarms;

/// <summary>
/// The alarm part of regami-dr.yaml (<c>alarms:</c>): the period the plan's alarms evaluate over
/// and the replication-lag threshold. The plan: 60 s and 300 s; the lab scales both by 1/60.
/// </summary>
public sealed record AlarmPolicy
{
    public TimeSpan Period { get; init; } = PlanAlarms.PlanPeriod;

    public TimeSpan ReplicaLagThreshold { get; init; } = TimeSpan.FromSeconds(PlanAlarms.PlanMaxLagSeconds);

    public static AlarmPolicy Plan { get; } = new();

    public static AlarmPolicy Lab { get; } = new() { Period = PlanAlarms.LabPeriod, ReplicaLagThreshold = TimeSpan.FromSeconds(PlanAlarms.LabMaxLagSeconds) };

    public IEnumerable<string> Validate()
    {
        if (Period <= TimeSpan.Zero) yield return "period must be greater than 0";
        if (ReplicaLagThreshold <= TimeSpan.Zero) yield return "replicaLagThreshold must be greater than 0";
    }
}
