using Regami.Dr.Core.Alerting;

namespace Regami.Dr.Core.Alarms;

/// <summary>
/// The DR plan's alarms ("primary unhealthy (3 × 60 s), replication lag &gt; 300 s") and the lab's
/// versions of them, together with the metric names their producers must publish.
/// </summary>
/// <remarks>
/// The lab runs the same alarms with time scaled by 1/60: 1 s periods instead of 60 s, and a 5 s lag
/// threshold instead of 300 s, so a drill sees them fire within seconds.
/// </remarks>
public static class PlanAlarms
{
    public const string PrimaryUnhealthyName = "primary-unhealthy";
    public const string ReplicationLagName = "replication-lag";
    public const string StandbyUnhealthyName = "standby-unhealthy";

    /// <summary>Replica lag in seconds as reported by the standby, one sample per observation.</summary>
    public const string ReplicationLagMetric = "replication.lagSeconds";

    /// <summary>The plan's alarm period (60 s).</summary>
    public static readonly TimeSpan PlanPeriod = TimeSpan.FromSeconds(60);

    /// <summary>The plan: the primary is unhealthy after 3 failing periods.</summary>
    public const int PlanUnhealthyPeriods = 3;

    /// <summary>The plan: replication lag alarms after 2 periods over the threshold.</summary>
    public const int PlanLagPeriods = 2;

    /// <summary>The plan's lag threshold (300 s, the RPO of 5 min).</summary>
    public const double PlanMaxLagSeconds = 300;

    /// <summary>The lab's alarm period: the plan's 60 s scaled down to 1 s.</summary>
    public static readonly TimeSpan LabPeriod = TimeSpan.FromSeconds(1);

    /// <summary>The lab's lag threshold: the plan's 300 s scaled by the same 1/60 as the period.</summary>
    public const double LabMaxLagSeconds = 5;

    /// <summary>Health of a region's public endpoint: 1 healthy, 0 unhealthy, one sample per probe.</summary>
    public static string HealthMetric(string region)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        return $"health.{region}";
    }

    /// <summary>Health of a region's database: 1 healthy, 0 unhealthy, one sample per probe.</summary>
    public static string DatabaseHealthMetric(string region)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        return $"health.{region}.database";
    }

    /// <summary>
    /// Sev1: the primary failed every health probe in <paramref name="periods"/> of <paramref name="periods"/>
    /// periods (Minimum &lt; 1). Missing data are breaching: no health data about the primary is bad news.
    /// </summary>
    public static AlarmDefinition PrimaryUnhealthy(string region, TimeSpan period, int periods) => new(
        Name: PrimaryUnhealthyName,
        Metric: HealthMetric(region),
        Period: period,
        Statistic: Statistic.Minimum,
        EvaluationPeriods: periods,
        DatapointsToAlarm: periods,
        Comparison: ComparisonOperator.LessThanThreshold,
        Threshold: 1,
        // The controller produces these datapoints itself: silence means the controller was not
        // running, not that the primary was down, so missing data must not page anyone.
        TreatMissingData: MissingDataTreatment.Missing,
        Severity: Severity.Sev1,
        Description: $"The primary region {region} failed its health check for {periods} periods of {period.TotalSeconds} s.");

    /// <summary>
    /// Sev2: the average replica lag was over <paramref name="thresholdSeconds"/> in <paramref name="periods"/>
    /// of <paramref name="periods"/> periods. Missing data are missing: no lag data is INSUFFICIENT_DATA, not an alarm.
    /// </summary>
    public static AlarmDefinition ReplicationLag(TimeSpan period, int periods, double thresholdSeconds) => new(
        Name: ReplicationLagName,
        Metric: ReplicationLagMetric,
        Period: period,
        Statistic: Statistic.Average,
        EvaluationPeriods: periods,
        DatapointsToAlarm: periods,
        Comparison: ComparisonOperator.GreaterThanThreshold,
        Threshold: thresholdSeconds,
        TreatMissingData: MissingDataTreatment.Missing,
        Severity: Severity.Sev2,
        Description: $"Replication lag averaged more than {thresholdSeconds} s for {periods} periods of {period.TotalSeconds} s: a failover now would lose more than the RPO allows.");

    /// <summary>
    /// Sev2: the standby's database failed every health probe in <paramref name="periods"/> of
    /// <paramref name="periods"/> periods (Minimum &lt; 1), so a failover has nowhere safe to go. Missing data
    /// are missing: silence from the standby shows as INSUFFICIENT_DATA rather than a page.
    /// </summary>
    public static AlarmDefinition StandbyUnhealthy(string region, TimeSpan period, int periods) => new(
        Name: StandbyUnhealthyName,
        Metric: DatabaseHealthMetric(region),
        Period: period,
        Statistic: Statistic.Minimum,
        EvaluationPeriods: periods,
        DatapointsToAlarm: periods,
        Comparison: ComparisonOperator.LessThanThreshold,
        Threshold: 1,
        TreatMissingData: MissingDataTreatment.Missing,
        Severity: Severity.Sev2,
        Description: $"The standby database in {region} failed its health check for {periods} periods of {period.TotalSeconds} s: failover is at risk.");

    /// <summary>The plan's alarms: 60 s periods, primary 3 of 3, lag &gt; 300 s 2 of 2, standby 3 of 3.</summary>
    public static IReadOnlyList<AlarmDefinition> ForPlan(string primary, string standby) =>
        Build(primary, standby, PlanPeriod, PlanMaxLagSeconds);

    /// <summary>The same alarms with time scaled down for the lab: 1 s periods and a 5 s lag threshold.</summary>
    public static IReadOnlyList<AlarmDefinition> ForLab(string primary, string standby) =>
        Build(primary, standby, LabPeriod, LabMaxLagSeconds);

    /// <summary>The plan's alarms with the configured period and lag threshold.</summary>
    public static IReadOnlyList<AlarmDefinition> For(string primary, string standby, AlarmPolicy policy) =>
        Build(primary, standby, policy.Period, policy.ReplicaLagThreshold.TotalSeconds);

    private static IReadOnlyList<AlarmDefinition> Build(string primary, string standby, TimeSpan period, double maxLagSeconds)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(primary);
        ArgumentException.ThrowIfNullOrWhiteSpace(standby);
        if (string.Equals(primary, standby, StringComparison.Ordinal))
            throw new ArgumentException($"The primary and standby regions must differ (both are '{primary}').", nameof(standby));
        return
        [
            PrimaryUnhealthy(primary, period, PlanUnhealthyPeriods),
            ReplicationLag(period, PlanLagPeriods, maxLagSeconds),
            StandbyUnhealthy(standby, period, PlanUnhealthyPeriods),
        ];
    }
}
