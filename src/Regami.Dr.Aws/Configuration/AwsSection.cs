using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Configuration;

namespace Regami.Dr.Aws.Configuration;

/// <summary>
/// The <c>aws:</c> section of regami-dr.yaml: where the plan's resources are. Everything the plan
/// says (regions and roles, health-check cadence, targets, RPO guard, controller) is in the
/// neutral part; this section only names things. Credentials are never here: the AWS CLI's
/// standard chain (environment, profile, instance role) supplies them.
/// </summary>
public sealed class AwsSection
{
    /// <summary>The account the resources live in (12 digits); used to build ARNs and checked against the caller's.</summary>
    public string Account { get; set; } = "";

    /// <summary>A named profile of the AWS CLI's configuration; empty = the standard chain's default.</summary>
    public string Profile { get; set; } = "";

    /// <summary>The AWS CLI v2 binary; empty = /usr/bin/aws (a v1 CLI earlier on PATH is never picked by accident).</summary>
    public string CliPath { get; set; } = "";

    /// <summary>
    /// How calls reach the CLI: <c>server</c> keeps the CLI's own driver running and feeds it one
    /// command line per call (no start-up per call; Debian's awscli), <c>process</c> starts `aws`
    /// per call (any CLI v2 build), <c>auto</c> (default) picks server when the CLI allows it.
    /// </summary>
    public string CliMode { get; set; } = "auto";

    /// <summary>Send every call to this endpoint instead of AWS (tests against moto). Empty in production.</summary>
    public string EndpointUrl { get; set; } = "";

    /// <summary>The longest one CLI call may take before it is killed and reported as timed out.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a step re-reads what it waits for (an instance becoming available, tasks running).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The residency rule: every configured region must be one of these (the plan: EU only).</summary>
    public List<string> AllowedRegions { get; set; } = [.. ResidencyRule.EuRegions];

    public Route53Section Route53 { get; set; } = new();

    /// <summary>SNS topic ARN per severity (sev1, sev2, sev3); a severity without a topic publishes nowhere on SNS.</summary>
    public Dictionary<string, string> Sns { get; set; } = [];

    /// <summary>
    /// The SNS topic in us-east-1 the "primary unhealthy" alarm notifies: that alarm lives where Route 53
    /// publishes HealthCheckStatus (us-east-1), and CloudWatch only notifies topics in the alarm's own
    /// region. Empty: the sev1 topic when it is in us-east-1, else the alarm is put without an action (said on `aws apply-alarms`).
    /// </summary>
    public string Route53AlarmTopic { get; set; } = "";

    /// <summary>Per region (by the neutral regions' names): the instances, services and checks there.</summary>
    public Dictionary<string, AwsRegionSection> Regions { get; set; } = [];

    /// <summary>The budgets `aws plan` projects the production RTO from (what RDS and ECS usually take).</summary>
    public AwsBudgets Budgets { get; set; } = new();

    /// <summary>The AWS Backup plan of the estate (in the primary region); `doctor` checks its rules' lifecycles and cross-region copies. Optional.</summary>
    public string BackupPlanId { get; set; } = "";

    /// <summary>A URL that accepts a POST through the public name (the app's write path); empty = the runbook says the public write was not verified.</summary>
    public string PublicCheckUrl { get; set; } = "";

    /// <summary>A read replica counts as caught up at this ReplicaLag or less (CloudWatch reports whole seconds).</summary>
    public TimeSpan CaughtUpLag { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where the controller's API and dashboard listen (the controller runs next to the SREs, not in the failed region).</summary>
    public string ControllerUrl { get; set; } = "http://127.0.0.1:7480/";

    public AwsRegionSection Region(string name) =>
        Regions.TryGetValue(name, out var r) ? r : throw new KeyNotFoundException($"aws.regions has no entry for {name}");

    public string? TopicFor(Severity severity) => Sns.GetValueOrDefault(severity.ToString().ToLowerInvariant());

    /// <summary>The topic the us-east-1 "primary unhealthy" alarm may notify: <see cref="Route53AlarmTopic"/>, else sev1's when it is in us-east-1, else none.</summary>
    public string? Route53AlarmTopicOrSev1 =>
        Route53AlarmTopic.Length > 0 ? Route53AlarmTopic
        : TopicFor(Severity.Sev1) is { } sev1 && sev1.StartsWith($"arn:aws:sns:{Cli.AwsCommands.Route53Region}:", StringComparison.Ordinal) ? sev1 : null;

    /// <summary>Validates the section against the neutral configuration; every problem names its dotted field.</summary>
    public void Validate(ConfigDocument doc, DrConfiguration config)
    {
        void Fail(string field, string problem) => throw doc.Error($"aws.{field}", problem);
        if (Account.Length != 12 || !Account.All(char.IsAsciiDigit)) Fail("account", $"must be the 12-digit account id (found '{Account}')");
        if (CliMode is not ("auto" or "server" or "process")) Fail("cliMode", $"must be auto, server or process (found '{CliMode}')");
        if (CallTimeout <= TimeSpan.Zero) Fail("callTimeout", "must be greater than 0");
        if (PollInterval <= TimeSpan.Zero) Fail("pollInterval", "must be greater than 0");
        if (EndpointUrl.Length > 0 && !Uri.TryCreate(EndpointUrl, UriKind.Absolute, out _)) Fail("endpointUrl", $"must be an absolute URL (found '{EndpointUrl}')");
        if (!Uri.TryCreate(ControllerUrl, UriKind.Absolute, out _)) Fail("controllerUrl", $"must be an absolute URL (found '{ControllerUrl}')");
        if (PublicCheckUrl.Length > 0 && !Uri.TryCreate(PublicCheckUrl, UriKind.Absolute, out _)) Fail("publicCheckUrl", $"must be an absolute URL (found '{PublicCheckUrl}')");
        if (config.Replication.ParsedMode == Core.Topology.ReplicationMode.Sync)
            throw doc.Error("replication.mode", "RDS cross-region read replicas replicate asynchronously; provider: aws needs replication.mode: async");
        foreach (var (region, index) in config.Regions.Select((r, i) => (r.Name, i)))
        {
            if (ResidencyRule.Check(region, AllowedRegions) is { } refusal) throw doc.Error($"regions[{index}].name", refusal);
            if (!Regions.TryGetValue(region, out var r)) { Fail("regions", $"has no entry for the region {region}"); continue; }
            foreach (var problem in r.Validate()) Fail($"regions.{region}.{problem.Field}", problem.Problem);
        }
        foreach (var extra in Regions.Keys.Where(k => config.FindRegion(k) is null))
            Fail($"regions.{extra}", $"is not one of the configured regions ({string.Join(", ", config.Regions.Select(r => r.Name))})");
        if (string.IsNullOrWhiteSpace(Route53.HostedZoneId)) Fail("route53.hostedZoneId", "is required");
        if (string.IsNullOrWhiteSpace(Route53.RecordName)) Fail("route53.recordName", "is required");
        if (Route53.Ttl <= TimeSpan.Zero) Fail("route53.ttl", "must be greater than 0");
        // Resolvers may keep the old answer for a whole TTL after the switch: a TTL beyond the RTO breaks the objective by itself.
        if (Route53.Ttl > config.Targets.Rto)
            Fail("route53.ttl", $"{DurationText.Format(Route53.Ttl)} is longer than targets.rto ({DurationText.Format(config.Targets.Rto)}): clients could resolve the failed region for longer than the recovery objective");
        if (Route53AlarmTopic.Length > 0 && !Route53AlarmTopic.StartsWith($"arn:aws:sns:{Cli.AwsCommands.Route53Region}:", StringComparison.Ordinal))
            Fail("route53AlarmTopic", $"'{Route53AlarmTopic}' is not an SNS topic ARN in {Cli.AwsCommands.Route53Region} (arn:aws:sns:{Cli.AwsCommands.Route53Region}:ACCOUNT:NAME): the primary-unhealthy alarm lives there and may only notify a topic of its own region");
        foreach (var (key, arn) in Sns)
        {
            if (key is not ("sev1" or "sev2" or "sev3")) Fail($"sns.{key}", "severities are sev1, sev2 and sev3");
            if (!arn.StartsWith("arn:aws:sns:", StringComparison.Ordinal) || arn.Split(':').Length != 6) Fail($"sns.{key}", $"'{arn}' is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)");
        }
    }
}

public sealed class Route53Section
{
    /// <summary>The hosted zone of the public name (the id, without /hostedzone/).</summary>
    public string HostedZoneId { get; set; } = "";

    /// <summary>The public name with its failover records (PRIMARY and SECONDARY), e.g. api.regami.example.</summary>
    public string RecordName { get; set; } = "";

    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The name as Route 53 writes it: lower case, ending with a dot.</summary>
    public string CanonicalRecordName => RecordName.EndsWith('.') ? RecordName.ToLowerInvariant() : RecordName.ToLowerInvariant() + ".";
}

public sealed class AwsRegionSection
{
    public string DbInstance { get; set; } = "";

    /// <summary>The KMS key a replica created in this region is encrypted with (failback).</summary>
    public string KmsKeyId { get; set; } = "";

    /// <summary>The security groups the database serves clients through (restored on a rebuilt replica).</summary>
    public List<string> DbSecurityGroups { get; set; } = [];

    /// <summary>A security group with no ingress: fencing swaps the database onto it, so no client can connect.</summary>
    public string FenceSecurityGroup { get; set; } = "";

    public string EcsCluster { get; set; } = "";

    public string EcsService { get; set; } = "";

    /// <summary>The region's load balancer DNS name (what its failover record points at).</summary>
    public string LoadBalancer { get; set; } = "";

    /// <summary>The Route 53 health check of this region's failover record; inverting it is the routing control.</summary>
    public string HealthCheckId { get; set; } = "";

    /// <summary>The uploads bucket in this region (the primary's, or its replica); `doctor` checks its encryption. Optional.</summary>
    public string UploadsBucket { get; set; } = "";

    internal IEnumerable<(string Field, string Problem)> Validate()
    {
        if (string.IsNullOrWhiteSpace(DbInstance)) yield return ("dbInstance", "is required");
        if (string.IsNullOrWhiteSpace(FenceSecurityGroup)) yield return ("fenceSecurityGroup", "is required (a security group with no ingress: fencing moves the database onto it)");
        if (DbSecurityGroups.Count == 0) yield return ("dbSecurityGroups", "name at least one security group (restored on a rebuilt replica)");
        if (DbSecurityGroups.Contains(FenceSecurityGroup)) yield return ("fenceSecurityGroup", "must not be one of dbSecurityGroups");
        if (string.IsNullOrWhiteSpace(EcsCluster)) yield return ("ecsCluster", "is required");
        if (string.IsNullOrWhiteSpace(EcsService)) yield return ("ecsService", "is required");
        if (string.IsNullOrWhiteSpace(HealthCheckId)) yield return ("healthCheckId", "is required");
        if (!string.IsNullOrWhiteSpace(KmsKeyId) && !KmsKeyId.StartsWith("arn:aws:kms:", StringComparison.Ordinal) && KmsKeyId.Contains(':'))
            yield return ("kmsKeyId", $"must be a KMS key ARN, id or alias (found '{KmsKeyId}')");
    }
}

/// <summary>What RDS and ECS usually take, for the projected production RTO (`regami-dr aws plan`).</summary>
public sealed class AwsBudgets
{
    /// <summary>promote-read-replica until the instance is available (AWS: "usually several minutes").</summary>
    public TimeSpan Promotion { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>ECS from desired 0 to running tasks healthy behind the load balancer.</summary>
    public TimeSpan ComputeStart { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Our own steps: fencing, guards, routing controls (each a CLI call of ≈ 0.4 s plus AWS's time).</summary>
    public TimeSpan Orchestration { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>The data-residency rule of the plan: named, so a refusal says which rule refused.</summary>
public static class ResidencyRule
{
    public const string Id = "residency.allowed-regions";

    public static IReadOnlyList<string> EuRegions => Core.Topology.Residency.EuRegions;

    /// <summary>Null when <paramref name="region"/> is allowed; otherwise the refusal with the rule's id.</summary>
    public static string? Check(string region, IReadOnlyCollection<string> allowed) =>
        allowed.Contains(region) ? null
            : $"refused by rule {Id}: {region} is outside the allowed residency set ({string.Join(", ", allowed)}); the plan keeps data in these regions only";
}
