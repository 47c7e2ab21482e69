using System.Text.Json.Nodes;
using Regami.Dr.Aws.Configuration;

namespace Regami.Dr.Aws.Cli;

/// <summary>
/// Every AWS call regami-dr makes, built from the configuration. The ports execute these and the
/// dry run prints them, so the manual runbook an SRE reads is the code that runs.
/// </summary>
public sealed class AwsCommands(AwsSection aws)
{
    /// <summary>Route 53 is a global service; its API lives in us-east-1.</summary>
    public const string Route53Region = "us-east-1";

    /// <summary>Tag keys regami-dr writes on RDS instances (visible in the console, kept by AWS with the instance).</summary>
    public const string PromotedAtTag = "regami-dr:promoted-at";
    public const string FencedAtTag = "regami-dr:fenced-at";
    public const string ServingSecurityGroupsTag = "regami-dr:serving-security-groups";

    public AwsSection Section => aws;

    public string DbArn(string region) => $"arn:aws:rds:{region}:{aws.Account}:db:{aws.Region(region).DbInstance}";

    // --- RDS -----------------------------------------------------------------------------------

    public AwsCall DescribeDbInstance(string region) =>
        new("rds", "describe-db-instances", region, new JsonObject { ["DBInstanceIdentifier"] = aws.Region(region).DbInstance });

    public AwsCall PromoteReadReplica(string region) =>
        new("rds", "promote-read-replica", region, new JsonObject { ["DBInstanceIdentifier"] = aws.Region(region).DbInstance });

    /// <summary>Fencing: the instance serves through the fence security group only (no ingress), at once.</summary>
    public AwsCall FenceDbSecurityGroups(string region) =>
        new("rds", "modify-db-instance", region, new JsonObject
        {
            ["DBInstanceIdentifier"] = aws.Region(region).DbInstance,
            ["VpcSecurityGroupIds"] = new JsonArray(aws.Region(region).FenceSecurityGroup),
            ["ApplyImmediately"] = true,
        });

    public AwsCall TagDbInstance(string region, params (string Key, string Value)[] tags) =>
        new("rds", "add-tags-to-resource", region, new JsonObject
        {
            ["ResourceName"] = DbArn(region),
            ["Tags"] = new JsonArray([.. tags.Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value })]),
        });

    /// <summary>Keeps a replaced instance (and its data) under another name instead of deleting it.</summary>
    public AwsCall RenameDbInstance(string region, string newIdentifier) =>
        new("rds", "modify-db-instance", region, new JsonObject
        {
            ["DBInstanceIdentifier"] = aws.Region(region).DbInstance,
            ["NewDBInstanceIdentifier"] = newIdentifier,
            ["ApplyImmediately"] = true,
        });

    /// <summary>Failback: a new encrypted read replica in <paramref name="region"/> of <paramref name="sourceRegion"/>'s instance, with this region's KMS key.</summary>
    public AwsCall CreateReadReplica(string region, string sourceRegion, string dbInstanceClass)
    {
        var r = aws.Region(region);
        var input = new JsonObject
        {
            ["DBInstanceIdentifier"] = r.DbInstance,
            ["SourceDBInstanceIdentifier"] = DbArn(sourceRegion),
            ["DBInstanceClass"] = dbInstanceClass,
            ["SourceRegion"] = sourceRegion,
            ["VpcSecurityGroupIds"] = new JsonArray([.. r.DbSecurityGroups.Select(g => (JsonNode)g!)]),
            ["Tags"] = new JsonArray(new JsonObject { ["Key"] = "regami-dr:created-by", ["Value"] = "failback" }),
        };
        if (r.KmsKeyId.Length > 0) input["KmsKeyId"] = r.KmsKeyId;
        return new("rds", "create-db-instance-read-replica", region, input);
    }

    public AwsCall StartDbInstance(string region) =>
        new("rds", "start-db-instance", region, new JsonObject { ["DBInstanceIdentifier"] = aws.Region(region).DbInstance });

    // --- ECS -----------------------------------------------------------------------------------

    public AwsCall DescribeService(string region) =>
        new("ecs", "describe-services", region, new JsonObject
        {
            ["cluster"] = aws.Region(region).EcsCluster,
            ["services"] = new JsonArray(aws.Region(region).EcsService),
        });

    public AwsCall ScaleService(string region, int desired) =>
        new("ecs", "update-service", region, new JsonObject
        {
            ["cluster"] = aws.Region(region).EcsCluster,
            ["service"] = aws.Region(region).EcsService,
            ["desiredCount"] = desired,
        });

    // --- Route 53 ------------------------------------------------------------------------------

    public AwsCall GetHealthCheck(string region) =>
        new("route53", "get-health-check", Route53Region, new JsonObject { ["HealthCheckId"] = aws.Region(region).HealthCheckId });

    public AwsCall GetHealthCheckStatus(string region) =>
        new("route53", "get-health-check-status", Route53Region, new JsonObject { ["HealthCheckId"] = aws.Region(region).HealthCheckId });

    /// <summary>
    /// The routing control without ARC: an inverted health check reads as unhealthy, so Route 53
    /// answers with the other failover record (documented behaviour of Inverted).
    /// </summary>
    public AwsCall SetRoutingControl(string region, bool on) =>
        new("route53", "update-health-check", Route53Region, new JsonObject
        {
            ["HealthCheckId"] = aws.Region(region).HealthCheckId,
            ["Inverted"] = !on,
        });

    public AwsCall ListFailoverRecords() =>
        new("route53", "list-resource-record-sets", Route53Region, new JsonObject
        {
            ["HostedZoneId"] = aws.Route53.HostedZoneId,
            ["StartRecordName"] = aws.Route53.CanonicalRecordName,
        });

    // --- CloudWatch ----------------------------------------------------------------------------

    /// <summary>
    /// The standby's ReplicaLag (AWS/RDS, seconds) over the last <paramref name="window"/>, newest first,
    /// as the maximum per <paramref name="periodSeconds"/>. RDS publishes it once a minute: with a
    /// period under 60 CloudWatch returns those one-minute datapoints as they are, dated when they
    /// were taken — what a wait for "a sample after this moment" needs; the RPO guard takes the
    /// per-minute maximum (the conservative reading).
    /// </summary>
    public AwsCall ReplicaLag(string region, DateTimeOffset now, TimeSpan window, int periodSeconds = 60) =>
        new("cloudwatch", "get-metric-data", region, new JsonObject
        {
            ["MetricDataQueries"] = new JsonArray(new JsonObject
            {
                ["Id"] = "lag",
                ["MetricStat"] = new JsonObject
                {
                    ["Metric"] = new JsonObject
                    {
                        ["Namespace"] = "AWS/RDS",
                        ["MetricName"] = "ReplicaLag",
                        ["Dimensions"] = new JsonArray(new JsonObject { ["Name"] = "DBInstanceIdentifier", ["Value"] = aws.Region(region).DbInstance }),
                    },
                    ["Period"] = periodSeconds,
                    ["Stat"] = "Maximum",
                },
                ["ReturnData"] = true,
            }),
            // Whole minutes, as CloudWatch dates one-minute datapoints: the buckets do not depend on when we ask.
            ["StartTime"] = Iso(WholeMinute(now - window)),
            ["EndTime"] = Iso(now + TimeSpan.FromMinutes(1)),
            ["ScanBy"] = "TimestampDescending",
        });

    /// <summary>A drill's measured RTO and RPO to CloudWatch (namespace Regami/DR) so a dashboard shows the trend.</summary>
    public AwsCall PutDrillMetrics(string region, string scenario, double rtoSeconds, double rpoSeconds, DateTimeOffset at) =>
        new("cloudwatch", "put-metric-data", region, new JsonObject
        {
            ["Namespace"] = "Regami/DR",
            ["MetricData"] = new JsonArray(
                Metric("DrillRto", rtoSeconds, scenario, at),
                Metric("DrillRpo", rpoSeconds, scenario, at)),
        });

    public AwsCall PutMetricAlarm(string region, JsonObject alarm) => new("cloudwatch", "put-metric-alarm", region, alarm);

    public AwsCall DescribeAlarms(string region, IEnumerable<string> names) =>
        new("cloudwatch", "describe-alarms", region, new JsonObject { ["AlarmNames"] = new JsonArray([.. names.Select(n => (JsonNode)n!)]) });

    // --- S3 and AWS Backup (read by `doctor`) ---------------------------------------------------

    public static AwsCall GetBucketEncryption(string region, string bucket) =>
        new("s3api", "get-bucket-encryption", region, new JsonObject { ["Bucket"] = bucket });

    public static AwsCall GetBucketReplication(string region, string bucket) =>
        new("s3api", "get-bucket-replication", region, new JsonObject { ["Bucket"] = bucket });

    public AwsCall GetBackupPlan(string region) =>
        new("backup", "get-backup-plan", region, new JsonObject { ["BackupPlanId"] = aws.BackupPlanId });

    // --- SNS -----------------------------------------------------------------------------------

    public static AwsCall Publish(string topicArn, string subject, string message) =>
        new("sns", "publish", topicArn.Split(':')[3], new JsonObject { ["TopicArn"] = topicArn, ["Subject"] = subject, ["Message"] = message });

    private static JsonObject Metric(string name, double value, string scenario, DateTimeOffset at) => new()
    {
        ["MetricName"] = name,
        ["Dimensions"] = new JsonArray(new JsonObject { ["Name"] = "Scenario", ["Value"] = scenario }),
        ["Timestamp"] = Iso(at),
        ["Value"] = value,
        ["Unit"] = "Seconds",
    };

    private static DateTimeOffset WholeMinute(DateTimeOffset t) => new(t.Year, t.Month, t.Day, t.Hour, t.Minute, 0, t.Offset);

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
}
