namespace Regami.Dr.Aws.Tests.Moto;

/// <summary>
/// Every id of the DR plan's estate that <see cref="MotoEstate.CreateAsync"/> created in moto.
/// Helpers that act on it (notifications, replica lag, the configuration) are the extension
/// methods of <see cref="MotoEstate"/>.
/// </summary>
public sealed record MotoEstateIds
{
    /// <summary>The moto server the estate lives in.</summary>
    public required Uri Endpoint { get; init; }

    public required string Account { get; init; }

    /// <summary>eu-west-3 (Paris), primary.</summary>
    public required MotoRegionIds Primary { get; init; }

    /// <summary>eu-central-1 (Frankfurt), standby.</summary>
    public required MotoRegionIds Standby { get; init; }

    /// <summary>The Route 53 zone's id without the <c>/hostedzone/</c> prefix.</summary>
    public required string HostedZoneId { get; init; }

    /// <summary><c>regami.example.</c></summary>
    public required string HostedZoneName { get; init; }

    /// <summary><c>api.regami.example.</c>: two failover CNAME records, one per region.</summary>
    public required string RecordName { get; init; }

    /// <summary>The region of the SNS topics and their SQS queues (the primary's).</summary>
    public required string NotificationRegion { get; init; }

    /// <summary>Severity (<c>sev1</c>, <c>sev2</c>, <c>sev3</c>) → SNS topic ARN.</summary>
    public required IReadOnlyDictionary<string, string> TopicArns { get; init; }

    /// <summary>Severity → URL of the SQS queue subscribed to that topic (envelope delivery, not raw).</summary>
    public required IReadOnlyDictionary<string, string> QueueUrls { get; init; }

    public IReadOnlyList<MotoRegionIds> Regions => [Primary, Standby];

    public MotoRegionIds Region(string name) =>
        Regions.FirstOrDefault(r => r.Region == name) ?? throw new ArgumentException($"no region {name} in the estate", nameof(name));
}

/// <summary>One region's part of the estate.</summary>
public sealed record MotoRegionIds
{
    public required string Region { get; init; }

    /// <summary>primary or standby: the role the region starts with.</summary>
    public required string Role { get; init; }

    /// <summary>
    /// <c>regami-db</c> in both regions (RDS identifiers are per region; moto accepts the replica
    /// under the primary's name).
    /// </summary>
    public required string DbInstanceId { get; init; }

    public required string DbInstanceArn { get; init; }

    public required string KmsKeyId { get; init; }

    /// <summary>The database's VPC security group (<c>sg-db-paris</c>, <c>sg-db-frankfurt</c>).</summary>
    public required string DbSecurityGroup { get; init; }

    /// <summary>The group the provider swaps in to fence the database; not created (moto's RDS takes any id).</summary>
    public required string FenceSecurityGroup { get; init; }

    public required string EcsCluster { get; init; }

    public required string EcsClusterArn { get; init; }

    public required string EcsService { get; init; }

    public required string EcsServiceArn { get; init; }

    public required string TaskDefinitionArn { get; init; }

    /// <summary>The service's desired (and running) count at creation: 2 in the primary, 0 in the standby.</summary>
    public required int DesiredCount { get; init; }

    /// <summary>The region's load balancer DNS name: the health check's FQDN and the record's value.</summary>
    public required string LoadBalancer { get; init; }

    public required string HealthCheckId { get; init; }

    /// <summary>The failover record's SetIdentifier (the region's name).</summary>
    public required string SetIdentifier { get; init; }

    /// <summary>The failover record's role: PRIMARY or SECONDARY.</summary>
    public required string Failover { get; init; }
}
