using System.Text.Json.Nodes;
using Regami.Dr.Aws.Cli;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Configuration;

namespace Regami.Dr.Aws;

/// <summary>One CloudWatch alarm of the plan, as put-metric-alarm takes it, and where it lives.</summary>
public sealed record AwsAlarm(string Name, string Region, Severity Severity, JsonObject Definition);

/// <summary>
/// The plan's CloudWatch alarms, derived from the configuration:
/// <list type="bullet">
/// <item>primary unhealthy — Route 53's HealthCheckStatus of the primary's check &lt; 1, Minimum over
/// 60 s, 3 periods (Route 53 publishes its metrics in us-east-1) → the sev1 topic;</item>
/// <item>replica lag — the standby's ReplicaLag &gt; the RPO target (300 s), Average over 60 s, 2
/// periods → the sev2 topic.</item>
/// </list>
/// put-metric-alarm replaces an alarm of the same name, so applying them is idempotent.
/// </summary>
public static class AwsPlanAlarms
{
    public const string PrimaryUnhealthy = "regami-dr-primary-unhealthy";
    public const string ReplicaLag = "regami-dr-replica-lag";

    public static IReadOnlyList<AwsAlarm> For(DrConfiguration config, Configuration.AwsSection aws, string primary, string standby)
    {
        JsonArray Actions(Severity s) => aws.TopicFor(s) is { } t ? new JsonArray(t) : [];
        JsonArray Route53Actions() => aws.Route53AlarmTopicOrSev1 is { } t ? new JsonArray(t) : [];
        return
        [
            new(PrimaryUnhealthy, AwsCommands.Route53Region, Severity.Sev1, new JsonObject
            {
                ["AlarmName"] = PrimaryUnhealthy,
                ["AlarmDescription"] = $"Sev1: the primary region ({primary}) fails its Route 53 health check (regami-dr plan)",
                ["Namespace"] = "AWS/Route53",
                ["MetricName"] = "HealthCheckStatus",
                ["Dimensions"] = new JsonArray(new JsonObject { ["Name"] = "HealthCheckId", ["Value"] = aws.Region(primary).HealthCheckId }),
                ["Statistic"] = "Minimum",
                ["Period"] = 60,
                ["EvaluationPeriods"] = 3,
                ["Threshold"] = 1,
                ["ComparisonOperator"] = "LessThanThreshold",
                ["TreatMissingData"] = "breaching",
                ["AlarmActions"] = Route53Actions(),
                ["OKActions"] = Route53Actions(),
            }),
            new(ReplicaLag, standby, Severity.Sev2, new JsonObject
            {
                ["AlarmName"] = ReplicaLag,
                ["AlarmDescription"] = $"Sev2: the read replica in {standby} is more than the RPO ({config.Targets.Rpo.TotalSeconds:0} s) behind (regami-dr plan)",
                ["Namespace"] = "AWS/RDS",
                ["MetricName"] = "ReplicaLag",
                ["Dimensions"] = new JsonArray(new JsonObject { ["Name"] = "DBInstanceIdentifier", ["Value"] = aws.Region(standby).DbInstance }),
                ["Statistic"] = "Average",
                ["Period"] = 60,
                ["EvaluationPeriods"] = 2,
                ["Threshold"] = config.Targets.Rpo.TotalSeconds,
                ["ComparisonOperator"] = "GreaterThanThreshold",
                ["TreatMissingData"] = "missing",
                ["AlarmActions"] = Actions(Severity.Sev2),
                ["OKActions"] = Actions(Severity.Sev2),
            }),
        ];
    }
}

/// <summary>The projected production RTO from the configuration (`regami-dr aws plan`): each part with where its figure comes from.</summary>
public sealed record RtoProjection(IReadOnlyList<RtoPart> Parts, TimeSpan Total, TimeSpan Target)
{
    public bool WithinTarget => Total <= Target;

    public static RtoProjection For(DrConfiguration config, Configuration.AwsSection aws)
    {
        var hc = config.HealthCheck;
        RtoPart[] parts =
        [
            new("detection", hc.RequestInterval * hc.FailureThreshold, $"Route 53 health check: {hc.RequestInterval.TotalSeconds:0} s × {hc.FailureThreshold} failures"),
            new("orchestration", aws.Budgets.Orchestration, "regami-dr's guards, fencing and routing controls (aws.budgets.orchestration; measured against moto in bench/RESULTS.md)"),
            new("promotion", aws.Budgets.Promotion, "rds promote-read-replica until available (aws.budgets.promotion)"),
            new("compute", aws.Budgets.ComputeStart, "ECS from desired 0 to running behind the load balancer (aws.budgets.computeStart; runs while the database is promoted only if prewarmed)"),
            new("dns", aws.Route53.Ttl, $"resolvers keep the old answer for the record's TTL ({aws.Route53.Ttl.TotalSeconds:0} s)"),
        ];
        return new RtoProjection(parts, parts.Aggregate(TimeSpan.Zero, (t, p) => t + p.Duration), config.Targets.Rto);
    }
}

public sealed record RtoPart(string Name, TimeSpan Duration, string Source);
