using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Regami.Dr.Aws.Tests.Moto;

/// <summary>
/// The DR plan's AWS estate in moto, created through the AWS CLI v2:
/// <list type="bullet">
/// <item>RDS PostgreSQL <c>regami-db</c> in eu-west-3 (KMS-encrypted) and its encrypted cross-region read replica <c>regami-db</c> in eu-central-1;</item>
/// <item>ECS in both regions: cluster <c>regami</c>, task definition <c>regami-api</c>, service <c>regami-api</c> (2 tasks in eu-west-3, 0 in eu-central-1);</item>
/// <item>Route 53: zone <c>regami.example.</c>, one HTTPS health check per region's load balancer, failover CNAME records <c>api.regami.example.</c>;</item>
/// <item>SNS topics <c>regami-dr-sev1..3</c> in eu-west-3, each with an SQS queue subscribed so tests can read notifications back.</item>
/// </list>
/// Plus the helpers that act on it: <see cref="ReadNotificationsAsync"/>, <see cref="PutReplicaLagAsync"/>, <see cref="ConfigYaml"/>.
/// </summary>
/// <remarks>
/// Independent resources are created side by side (the critical path is 3 calls deep), but each of
/// the 22 CLI calls is a Python process costing ≈ 1.3 CPU-seconds, so creation is CPU-bound: ≈ 30 CPU-s,
/// measured 32–48 s wall on the shared two-core machine (load average 5–13).
/// </remarks>
public static class MotoEstate
{
    public const string Account = "123456789012";
    public const string PrimaryRegion = "eu-west-3";
    public const string StandbyRegion = "eu-central-1";
    public const string DbInstanceId = "regami-db";
    public const string EcsCluster = "regami";
    public const string EcsService = "regami-api";
    public const string TaskFamily = "regami-api";
    public const string HostedZoneName = "regami.example.";
    public const string RecordName = "api.regami.example.";
    public const string HealthCheckPath = "/health?check=db";
    public const int RecordTtlSeconds = 60;

    /// <summary>The notification severities, each an SNS topic <c>regami-dr-SEV</c>.</summary>
    public static readonly IReadOnlyList<string> Severities = ["sev1", "sev2", "sev3"];

    /// <summary>What is fixed per region before anything exists (ids filled in by <see cref="CreateAsync"/>).</summary>
    private static readonly MotoRegionIds Paris = Plan(
        PrimaryRegion, "primary", "regami-paris", "sg-db-paris", "sg-fence-paris",
        "regami-paris-1.eu-west-3.elb.amazonaws.com", desiredCount: 2, failover: "PRIMARY");

    private static readonly MotoRegionIds Frankfurt = Plan(
        StandbyRegion, "standby", "regami-frankfurt", "sg-db-frankfurt", "sg-fence-frankfurt",
        "regami-frankfurt-1.eu-central-1.elb.amazonaws.com", desiredCount: 0, failover: "SECONDARY");

    /// <summary>Creates the estate in <paramref name="moto"/> (which should be empty: see <see cref="MotoServer.ResetAsync"/>).</summary>
    public static async Task<MotoEstateIds> CreateAsync(MotoServer moto, CancellationToken ct = default)
    {
        var cli = new AwsCliRunner(moto.Endpoint);
        var databases = CreateDatabasesAsync(cli, ct);
        var paris = CreateComputeAsync(cli, Paris, ct);
        var frankfurt = CreateComputeAsync(cli, Frankfurt, ct);
        var traffic = CreateTrafficAsync(cli, ct);
        var notifications = CreateNotificationsAsync(cli, ct);
        await Task.WhenAll(databases, paris, frankfurt, traffic, notifications);

        var (primaryArn, replicaArn) = await databases;
        var (zoneId, parisCheck, frankfurtCheck) = await traffic;
        var (topics, queues) = await notifications;
        return new MotoEstateIds
        {
            Endpoint = moto.Endpoint,
            Account = Account,
            Primary = (await paris) with { DbInstanceArn = primaryArn, HealthCheckId = parisCheck },
            Standby = (await frankfurt) with { DbInstanceArn = replicaArn, HealthCheckId = frankfurtCheck },
            HostedZoneId = zoneId,
            HostedZoneName = HostedZoneName,
            RecordName = RecordName,
            NotificationRegion = PrimaryRegion,
            TopicArns = topics,
            QueueUrls = queues,
        };
    }

    // --- creation, one chain per service ------------------------------------------------------

    /// <summary>The primary, then its cross-region replica (named by the primary's ARN). Returns both ARNs.</summary>
    private static async Task<(string Primary, string Replica)> CreateDatabasesAsync(AwsCliRunner cli, CancellationToken ct)
    {
        // RDS requires a master password; nobody logs in to moto's database, so a random one that
        // is used once and never shown (the runner masks it in error messages).
        var password = RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 32);
        var primary = await cli.RunAsync(Paris.Region,
        [
            "rds", "create-db-instance", "--db-instance-identifier", Paris.DbInstanceId,
            "--engine", "postgres", "--db-instance-class", "db.t3.medium", "--allocated-storage", "20",
            "--master-username", "regami", "--master-user-password", password,
            "--storage-encrypted", "--kms-key-id", Paris.KmsKeyId, "--backup-retention-period", "7",
            "--vpc-security-group-ids", Paris.DbSecurityGroup,
        ], ct);
        var primaryArn = Text(primary, "DBInstance", "DBInstanceArn");
        var replica = await cli.RunAsync(Frankfurt.Region,
        [
            "rds", "create-db-instance-read-replica", "--db-instance-identifier", Frankfurt.DbInstanceId,
            "--source-db-instance-identifier", primaryArn, "--source-region", Paris.Region,
            "--kms-key-id", Frankfurt.KmsKeyId, "--vpc-security-group-ids", Frankfurt.DbSecurityGroup,
        ], ct);
        return (primaryArn, Text(replica, "DBInstance", "DBInstanceArn"));
    }

    /// <summary>Cluster and task definition, then the service at the region's desired count.</summary>
    private static async Task<MotoRegionIds> CreateComputeAsync(AwsCliRunner cli, MotoRegionIds region, CancellationToken ct)
    {
        var container = new JsonArray(new JsonObject
        {
            ["name"] = "api",
            ["image"] = "public.ecr.aws/regami/api:latest",
            ["essential"] = true,
            ["portMappings"] = new JsonArray(new JsonObject { ["containerPort"] = 8080, ["protocol"] = "tcp" }),
        });
        var cluster = cli.RunAsync(region.Region, ["ecs", "create-cluster", "--cluster-name", region.EcsCluster], ct);
        var task = cli.RunAsync(region.Region,
        [
            "ecs", "register-task-definition", "--family", TaskFamily, "--requires-compatibilities", "FARGATE",
            "--network-mode", "awsvpc", "--cpu", "256", "--memory", "512", "--container-definitions", container.ToJsonString(),
        ], ct);
        await Task.WhenAll(cluster, task);
        var service = await cli.RunAsync(region.Region,
        [
            "ecs", "create-service", "--cluster", region.EcsCluster, "--service-name", region.EcsService,
            "--task-definition", TaskFamily, "--desired-count", region.DesiredCount.ToString(CultureInfo.InvariantCulture),
            "--launch-type", "FARGATE",
        ], ct);
        // moto quirk: create-service leaves runningCount at 0 whatever the desired count; only
        // update-service makes running follow desired. Without this the primary would look down.
        if (region.DesiredCount > 0)
            await cli.RunAsync(region.Region,
            [
                "ecs", "update-service", "--cluster", region.EcsCluster, "--service", region.EcsService,
                "--desired-count", region.DesiredCount.ToString(CultureInfo.InvariantCulture),
            ], ct);
        return region with
        {
            EcsClusterArn = Text(await cluster, "cluster", "clusterArn"),
            TaskDefinitionArn = Text(await task, "taskDefinition", "taskDefinitionArn"),
            EcsServiceArn = Text(service, "service", "serviceArn"),
        };
    }

    /// <summary>Zone and both health checks, then the two failover records. Returns the zone id and the checks' ids.</summary>
    private static async Task<(string ZoneId, string Paris, string Frankfurt)> CreateTrafficAsync(AwsCliRunner cli, CancellationToken ct)
    {
        // Route 53 is global; the CLI still wants a region: us-east-1, where it lives.
        const string global = "us-east-1";
        var zone = cli.RunAsync(global,
            ["route53", "create-hosted-zone", "--name", HostedZoneName, "--caller-reference", $"regami-{Guid.NewGuid():N}"], ct);
        Task<JsonNode> Check(MotoRegionIds region) => cli.RunAsync(global,
        [
            "route53", "create-health-check", "--caller-reference", $"regami-{region.Region}-{Guid.NewGuid():N}",
            "--health-check-config", new JsonObject
            {
                ["Type"] = "HTTPS",
                ["Port"] = 443,
                ["ResourcePath"] = HealthCheckPath,
                ["RequestInterval"] = 30,
                ["FailureThreshold"] = 3,
                ["FullyQualifiedDomainName"] = region.LoadBalancer,
            }.ToJsonString(),
        ], ct);
        var parisCheck = Check(Paris);
        var frankfurtCheck = Check(Frankfurt);
        await Task.WhenAll(zone, parisCheck, frankfurtCheck);

        var zoneId = Text(await zone, "HostedZone", "Id").Replace("/hostedzone/", "", StringComparison.Ordinal);
        var parisId = Text(await parisCheck, "HealthCheck", "Id");
        var frankfurtId = Text(await frankfurtCheck, "HealthCheck", "Id");
        JsonObject Record(MotoRegionIds region, string healthCheckId) => new()
        {
            ["Action"] = "CREATE",
            ["ResourceRecordSet"] = new JsonObject
            {
                ["Name"] = RecordName,
                ["Type"] = "CNAME",
                ["SetIdentifier"] = region.SetIdentifier,
                ["Failover"] = region.Failover,
                ["TTL"] = RecordTtlSeconds,
                ["HealthCheckId"] = healthCheckId,
                ["ResourceRecords"] = new JsonArray(new JsonObject { ["Value"] = region.LoadBalancer }),
            },
        };
        var batch = new JsonObject { ["Changes"] = new JsonArray(Record(Paris, parisId), Record(Frankfurt, frankfurtId)) };
        await cli.RunAsync(global,
            ["route53", "change-resource-record-sets", "--hosted-zone-id", zoneId, "--change-batch", batch.ToJsonString()], ct);
        return (zoneId, parisId, frankfurtId);
    }

    /// <summary>Per severity: topic and queue, then the queue's subscription. Returns topic ARNs and queue URLs by severity.</summary>
    private static async Task<(IReadOnlyDictionary<string, string> Topics, IReadOnlyDictionary<string, string> Queues)>
        CreateNotificationsAsync(AwsCliRunner cli, CancellationToken ct)
    {
        async Task<(string Severity, string Topic, string Queue)> One(string severity)
        {
            var name = $"regami-dr-{severity}";
            var topic = cli.RunAsync(PrimaryRegion, ["sns", "create-topic", "--name", name], ct);
            var queue = cli.RunAsync(PrimaryRegion, ["sqs", "create-queue", "--queue-name", $"{name}-inbox"], ct);
            await Task.WhenAll(topic, queue);
            var topicArn = Text(await topic, "TopicArn");
            // The queue ARN has a fixed form: one get-queue-attributes call (≈ 1 s of CPU) less per queue.
            var queueArn = $"arn:aws:sqs:{PrimaryRegion}:{Account}:{name}-inbox";
            // Envelope delivery (RawMessageDelivery=false): the SQS body is SNS's JSON envelope,
            // which keeps the Subject that raw delivery would drop.
            await cli.RunAsync(PrimaryRegion,
            [
                "sns", "subscribe", "--topic-arn", topicArn, "--protocol", "sqs", "--notification-endpoint", queueArn,
                "--attributes", "RawMessageDelivery=false",
            ], ct);
            return (severity, topicArn, Text(await queue, "QueueUrl"));
        }

        var all = await Task.WhenAll(Severities.Select(One));
        return (all.ToDictionary(x => x.Severity, x => x.Topic), all.ToDictionary(x => x.Severity, x => x.Queue));
    }

    // --- helpers on an existing estate ----------------------------------------------------------

    /// <summary>
    /// The notifications published to <paramref name="severity"/>'s topic since the last read,
    /// in the order the queue returned them; drains the queue (each message read is deleted).
    /// </summary>
    public static async Task<IReadOnlyList<SnsNotification>> ReadNotificationsAsync(
        this MotoEstateIds estate, string severity, CancellationToken ct = default)
    {
        if (!estate.QueueUrls.TryGetValue(severity, out var queueUrl))
            throw new ArgumentException($"no severity '{severity}' (known: {string.Join(", ", estate.QueueUrls.Keys)})", nameof(severity));
        var cli = new AwsCliRunner(estate.Endpoint);
        var read = new List<SnsNotification>();
        while (true)
        {
            var answer = await cli.RunAsync(estate.NotificationRegion,
            [
                "sqs", "receive-message", "--queue-url", queueUrl, "--max-number-of-messages", "10",
                "--wait-time-seconds", "0", "--visibility-timeout", "60",
            ], ct);
            var messages = answer["Messages"]?.AsArray() ?? [];
            if (messages.Count == 0) break;
            read.AddRange(messages.Select(m => SnsNotification.FromEnvelope(Text(m!, "Body"))));
            var entries = new JsonArray(messages.Select((m, i) =>
                (JsonNode)new JsonObject { ["Id"] = $"m{i}", ["ReceiptHandle"] = Text(m!, "ReceiptHandle") }).ToArray());
            await cli.RunAsync(estate.NotificationRegion,
                ["sqs", "delete-message-batch", "--queue-url", queueUrl, "--entries", entries.ToJsonString()], ct);
            // moto delivers synchronously and shows every message at once: fewer than a full
            // batch means the queue is empty now (saves one ≈ 1 s receive).
            if (messages.Count < 10) break;
        }
        return read;
    }

    /// <summary>Puts one CloudWatch <c>AWS/RDS ReplicaLag</c> sample (seconds, dimension DBInstanceIdentifier) in <paramref name="region"/>.</summary>
    public static async Task PutReplicaLagAsync(
        this MotoEstateIds estate, string region, string dbInstanceId, double seconds, DateTimeOffset timestamp, CancellationToken ct = default)
    {
        var datum = new JsonArray(new JsonObject
        {
            ["MetricName"] = "ReplicaLag",
            ["Dimensions"] = new JsonArray(new JsonObject { ["Name"] = "DBInstanceIdentifier", ["Value"] = dbInstanceId }),
            ["Timestamp"] = timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["Value"] = seconds,
            ["Unit"] = "Seconds",
        });
        await new AwsCliRunner(estate.Endpoint).RunAsync(region,
            ["cloudwatch", "put-metric-data", "--namespace", "AWS/RDS", "--metric-data", datum.ToJsonString()], ct);
    }

    /// <summary>
    /// A regami-dr configuration (<c>regami-dr.yaml</c>) for this estate, in the layout the AWS
    /// provider reads. <paramref name="extraAwsYaml"/>: lines to append to the <c>aws:</c> section,
    /// written relative to it (e.g. <c>"pollInterval: 1s"</c>); they are indented by two spaces here.
    /// </summary>
    public static string ConfigYaml(this MotoEstateIds estate, string? extraAwsYaml = null)
    {
        static string RegionBlock(MotoRegionIds r) => $$"""
                {{r.Region}}:
                  dbInstance: {{r.DbInstanceId}}
                  kmsKeyId: {{r.KmsKeyId}}
                  dbSecurityGroups: [{{r.DbSecurityGroup}}]
                  fenceSecurityGroup: {{r.FenceSecurityGroup}}
                  ecsCluster: {{r.EcsCluster}}
                  ecsService: {{r.EcsService}}
                  loadBalancer: {{r.LoadBalancer}}
                  healthCheckId: {{r.HealthCheckId}}

            """;

        var yaml = new StringBuilder($$"""
            provider: aws
            environment: moto
            regions:
              - { name: {{estate.Primary.Region}}, role: primary }
              - { name: {{estate.Standby.Region}}, role: standby }
            healthCheck: { requestInterval: 30s, failureThreshold: 3, timeout: 4s, path: "{{HealthCheckPath}}" }
            rpoGuard: { maxLag: 5m, maxSampleAge: 2m }
            aws:
              account: "{{estate.Account}}"
              cliPath: {{AwsCliRunner.ConfiguredCliPath}}
              endpointUrl: {{estate.Endpoint.GetLeftPart(UriPartial.Authority)}}
              callTimeout: 30s
              route53:
                hostedZoneId: {{estate.HostedZoneId}}
                recordName: {{estate.RecordName}}
                ttl: {{RecordTtlSeconds}}s
              sns:
                sev1: {{estate.TopicArns["sev1"]}}
                sev2: {{estate.TopicArns["sev2"]}}
                sev3: {{estate.TopicArns["sev3"]}}
              regions:

            """);
        yaml.Append(RegionBlock(estate.Primary)).Append(RegionBlock(estate.Standby));
        if (!string.IsNullOrWhiteSpace(extraAwsYaml))
            foreach (var line in extraAwsYaml.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'))
                yaml.Append(line.Length == 0 ? "" : "  " + line).Append('\n');
        return yaml.ToString().ReplaceLineEndings("\n");
    }

    // --- small parts ----------------------------------------------------------------------------

    private static MotoRegionIds Plan(
        string region, string role, string kmsKey, string dbSecurityGroup, string fenceSecurityGroup,
        string loadBalancer, int desiredCount, string failover) => new()
        {
            Region = region,
            Role = role,
            DbInstanceId = DbInstanceId,
            DbInstanceArn = "",
            KmsKeyId = $"arn:aws:kms:{region}:{Account}:key/{kmsKey}",
            DbSecurityGroup = dbSecurityGroup,
            FenceSecurityGroup = fenceSecurityGroup,
            EcsCluster = EcsCluster,
            EcsClusterArn = "",
            EcsService = EcsService,
            EcsServiceArn = "",
            TaskDefinitionArn = "",
            DesiredCount = desiredCount,
            LoadBalancer = loadBalancer,
            HealthCheckId = "",
            SetIdentifier = region,
            Failover = failover,
        };

    /// <summary>The string at <paramref name="path"/> in a CLI answer; throws naming the path when it is missing.</summary>
    internal static string Text(JsonNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
            current = current?[key];
        return current?.GetValue<string>()
            ?? throw new InvalidOperationException($"the AWS CLI's answer has no {string.Join('.', path)}: {node.ToJsonString()}");
    }
}

/// <summary>One SNS notification as its SQS subscriber received it.</summary>
/// <param name="Subject">The publish call's subject; null when it gave none.</param>
/// <param name="Body">The message text.</param>
public sealed record SnsNotification(string? Subject, string Body, string TopicArn, string MessageId, DateTimeOffset Timestamp)
{
    /// <summary>Reads SNS's JSON envelope (the SQS body when raw message delivery is off).</summary>
    public static SnsNotification FromEnvelope(string envelope)
    {
        var json = JsonNode.Parse(envelope) ?? throw new FormatException($"not an SNS envelope: {envelope}");
        return new SnsNotification(
            json["Subject"]?.GetValue<string>(),
            MotoEstate.Text(json, "Message"),
            MotoEstate.Text(json, "TopicArn"),
            MotoEstate.Text(json, "MessageId"),
            DateTimeOffset.Parse(MotoEstate.Text(json, "Timestamp"), CultureInfo.InvariantCulture));
    }
}
