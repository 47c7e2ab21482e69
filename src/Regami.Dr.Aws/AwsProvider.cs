using Regami.Dr.Aws.Cli;
using Regami.Dr.Aws.Configuration;
using Regami.Dr.Aws.Ports;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Providers;
using Regami.Dr.Core.Runbooks;

namespace Regami.Dr.Aws;

/// <summary>Builds the AWS provider's bundle: RDS, ECS, Route 53, CloudWatch and SNS behind Core's ports.</summary>
public static class AwsProvider
{
    public const string Name = "aws";

    /// <summary>Reads and validates the <c>aws:</c> section (errors name the file, line and dotted field).</summary>
    public static AwsSection Section(ConfigDocument doc, DrConfiguration config)
    {
        if (!doc.Mentions("aws")) throw doc.Error("aws", "provider: aws needs an aws: section (account, route53, regions…); see docs/examples/regami-dr.aws.yaml");
        var section = doc.BindSection<AwsSection>("aws");
        section.Validate(doc, config);
        return section;
    }

    /// <summary>The CLI driver for this configuration; <paramref name="announce"/> hears which binary and version is used.</summary>
    public static AwsCliDriver Driver(AwsSection section, TimeProvider time, IAwsCallObserver? observer, Action<string>? announce)
    {
        IAwsCliTransport? transport = null;
        var binary = new AwsCliBinary(section.CliPath, version => announce?.Invoke($"{version}, {transport?.Mode} mode"));
        transport = AwsCliTransports.Create(section.CliMode, binary);
        return new(binary, transport, Settings(section), time, observer);
    }

    public static AwsCliSettings Settings(AwsSection section) => new(section.Profile, section.EndpointUrl, section.CallTimeout);

    public static ProviderBundle Bundle(DrConfiguration config, AwsSection section, IAwsApi api, ITopologyPort topology, TimeProvider time,
        HttpClient? http = null, IHostFacts? host = null, Core.Drills.IDrillReportSink? reports = null)
    {
        var aws = new AwsContext(api, new AwsCommands(section), time);
        var regions = config.Regions.Select(r => r.Name).ToList();
        var database = new RdsDatabasePort(aws);
        var compute = new EcsComputePort(aws, config.Compute.ActiveInstances, config.Compute.StandbyInstances);
        var traffic = new Route53TrafficPort(aws, regions, config.HealthCheck, http);
        var lag = new CloudWatchLagMemory(aws, topology, config.RpoGuard.MaxSampleAge + TimeSpan.FromMinutes(5));
        var controllerUrl = new Uri(section.ControllerUrl);
        var ports = new DrPorts(database, compute, traffic, topology, lag);
        var health = new Route53HealthSource(traffic, regions);
        // RDS promotion and ECS start take minutes, not the lab's seconds.
        var policy = config.FailoverPolicy with
        {
            PromoteTimeout = TimeSpan.FromMinutes(30),
            GuardTimeout = TimeSpan.FromSeconds(90),
            ComputeTimeout = TimeSpan.FromMinutes(15),
            CatchUpTimeout = TimeSpan.FromHours(6),
        };
        return new ProviderBundle
        {
            Name = Name,
            Configuration = config,
            Ports = ports,
            Health = health,
            Status = new AwsStatusReader(aws, database, compute, traffic, topology, config, controllerUrl),
            ControllerUrl = controllerUrl,
            Policy = policy,
            ControlPlaneDrill = host is null || reports is null ? null
                : (journal, audit, lease) => new Drills.AwsControlPlaneDrill(config, ports, traffic, health, aws, journal, audit, lease, host, reports, policy),
            CommandPlan = new AwsRunbookCommandPlan(aws.Commands, Settings(section), config.Compute.ActiveInstances, config.Compute.StandbyInstances, section.PublicCheckUrl),
            Posture = new AwsPostureReader(aws, topology, config),
            Sns = new SnsPublisher(api),
            SnsTopics = Enum.GetValues<Severity>().Where(s => section.TopicFor(s) is not null).ToDictionary(s => s, s => section.TopicFor(s)!),
        };
    }
}

/// <summary>
/// Records every call that changed something, and every call that failed, in the audit trail:
/// operation, region, request id, duration. Reads that succeed are not recorded (a wait polls
/// dozens of them); no credential ever reaches this type.
/// </summary>
public sealed class AuditingCallObserver(Func<IAuditLog> audit, string actor, string command, TimeProvider time) : IAwsCallObserver
{
    public async Task ObservedAsync(AwsCall call, AwsResponse? response, AwsServiceException? error, TimeSpan duration, CancellationToken ct)
    {
        if (error is null && !call.Mutates) return;
        var details = error is null
            ? $"request {response?.RequestId ?? "(no id)"}, {duration.TotalSeconds:0.00} s"
            : $"{error.Code}: {error.AwsMessage}; request {error.RequestId ?? "(no id)"}, {duration.TotalSeconds:0.00} s";
        await audit().AppendAsync(new AuditEntry(time.GetUtcNow(), actor, command, call.Region, $"aws.{call.Service}.{call.ApiName}",
            error is null ? AuditOutcome.Succeeded : AuditOutcome.Failed, details), ct);
    }
}
