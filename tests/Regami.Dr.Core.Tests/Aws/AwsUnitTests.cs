using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Aws;
using Regami.Dr.Aws.Cli;
using Regami.Dr.Aws.Configuration;
using Regami.Dr.Aws.Ports;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Tests.Aws;

/// <summary>
/// The AWS provider's pure parts and its ports over a scripted <see cref="IAwsApi"/> (the unit
/// seam). The same ports are proven against moto through the real CLI in Regami.Dr.Aws.Tests.
/// </summary>
public sealed class AwsUnitTests
{
    private const string Yaml = """
        provider: aws
        regions:
          - { name: eu-west-3, role: primary }
          - { name: eu-central-1, role: standby }
        aws:
          account: "123456789012"
          route53: { hostedZoneId: Z1, recordName: api.regami.example, ttl: 60s }
          sns: { sev1: "arn:aws:sns:eu-west-3:123456789012:regami-dr-sev1" }
          regions:
            eu-west-3: { dbInstance: db-paris, dbSecurityGroups: [sg-a], fenceSecurityGroup: sg-f1, ecsCluster: c, ecsService: s, healthCheckId: hc1 }
            eu-central-1: { dbInstance: db-frankfurt, kmsKeyId: "arn:aws:kms:eu-central-1:123456789012:key/k2", dbSecurityGroups: [sg-b], fenceSecurityGroup: sg-f2, ecsCluster: c, ecsService: s, healthCheckId: hc2 }
        """;

    private static (DrConfiguration Config, AwsSection Section) Load(string yaml = Yaml)
    {
        var doc = ConfigDocument.Parse(yaml, "aws.yaml");
        var config = DrConfiguration.From(doc);
        return (config, AwsProvider.Section(doc, config));
    }

    [Fact]
    public void A_call_renders_as_the_exact_cli_command_with_its_input_as_json_and_no_credentials()
    {
        var (_, s) = Load();
        var call = new AwsCommands(s).PromoteReadReplica("eu-central-1");
        Assert.Equal("aws rds promote-read-replica --region eu-central-1 --cli-input-json '{\"DBInstanceIdentifier\":\"db-frankfurt\"}'",
            call.Render(new AwsCliSettings("", "", TimeSpan.FromSeconds(5))));
        Assert.Equal("PromoteReadReplica", call.ApiName);
        Assert.Equal("DescribeDBInstances", new AwsCommands(s).DescribeDbInstance("eu-west-3").ApiName);
        Assert.True(call.Mutates);
        Assert.False(new AwsCommands(s).DescribeDbInstance("eu-west-3").Mutates);
    }

    [Fact]
    public void The_cli_error_line_becomes_the_aws_code_and_message_and_decides_retries_and_exit_codes()
    {
        var (_, s) = Load();
        var call = new AwsCommands(s).DescribeDbInstance("eu-west-3");
        var notFound = AwsServiceException.FromCli(call, 254, "\nAn error occurred (DBInstanceNotFound) when calling the DescribeDBInstances operation: DBInstance db-paris not found.\n", "req-1");
        Assert.Equal("DBInstanceNotFound", notFound.Code);
        Assert.StartsWith("DBInstanceNotFound: DBInstance db-paris not found.", notFound.Message);
        Assert.Contains("eu-west-3", notFound.Message);
        Assert.Equal(2, notFound.ExitCode);
        Assert.False(notFound.IsTransient);

        var throttled = AwsServiceException.FromCli(call, 254, "An error occurred (Throttling) when calling the DescribeDBInstances operation (reached max retries: 2): Rate exceeded", null);
        Assert.True(throttled.IsTransient);
        Assert.Equal(1, throttled.ExitCode);

        var creds = AwsServiceException.FromCli(call, 253, "2026-11-29 12:00:00,000 - MainThread - x - DEBUG - y\nUnable to locate credentials. You can configure credentials by running \"aws configure\".", null);
        Assert.Equal(AwsFailureKind.Credentials, creds.Kind);
        Assert.Equal(2, creds.ExitCode);

        var down = AwsServiceException.FromCli(call, 255, "\nCould not connect to the endpoint URL: \"https://rds.eu-west-3.amazonaws.com/\"\n", null);
        Assert.Equal(AwsFailureKind.Unreachable, down.Kind);
        Assert.True(down.IsTransient);
    }

    [Fact]
    public void A_region_outside_the_residency_set_is_refused_with_the_rules_id()
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(Yaml.Replace("name: eu-central-1, role", "name: us-east-1, role")));
        Assert.Contains(ResidencyRule.Id, e.Message);
        Assert.Equal("regions[1].name", e.Field);
    }

    [Fact]
    public void Sync_replication_is_refused_because_rds_cross_region_replicas_are_asynchronous()
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(Yaml + "\nreplication: { mode: sync }\n"));
        Assert.Equal("replication.mode", e.Field);
    }

    [Fact]
    public void A_region_entry_missing_its_fence_group_names_the_dotted_field()
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(Yaml.Replace("fenceSecurityGroup: sg-f1, ", "")));
        Assert.Equal("aws.regions.eu-west-3.fenceSecurityGroup", e.Field);
    }

    [Fact]
    public void The_dry_run_plan_of_a_failover_lists_the_fencing_and_promotion_calls_in_order()
    {
        var (config, s) = Load();
        var plan = new AwsRunbookCommandPlan(new AwsCommands(s), AwsProvider.Settings(s), 2, 0, null);
        var p = new Dictionary<string, string> { ["from"] = "eu-west-3", ["to"] = "eu-central-1" };
        Assert.Contains(plan.CommandsFor("failover", p, FailoverRunbook.StepNames.FenceTraffic), c => c.Contains("update-health-check") && c.Contains("\"HealthCheckId\":\"hc1\",\"Inverted\":true"));
        Assert.Contains(plan.CommandsFor("failover", p, FailoverRunbook.StepNames.FenceDatabase), c => c.StartsWith("aws rds modify-db-instance --region eu-west-3") && c.Contains("sg-f1"));
        Assert.Contains(plan.CommandsFor("failover", p, FailoverRunbook.StepNames.PromoteStandby), c => c.StartsWith("aws rds promote-read-replica --region eu-central-1"));
        Assert.Contains(plan.CommandsFor("failover", p, FailoverRunbook.StepNames.ScaleCompute), c => c.Contains("\"desiredCount\":2"));
        // Failback's first part rebuilds the home region (to) from the current primary (from), with the home region's KMS key.
        var back = new Dictionary<string, string> { ["from"] = "eu-west-3", ["to"] = "eu-central-1" };
        Assert.Contains(plan.CommandsFor("failback", back, SwitchoverRunbook.StepNames.RebuildAsStandby),
            c => c.StartsWith("aws rds create-db-instance-read-replica --region eu-central-1") && c.Contains("key/k2") && c.Contains("db:db-paris"));
    }

    [Fact]
    public async Task The_rpo_guards_lag_on_aws_is_the_newest_cloudwatch_sample_and_the_guard_adds_its_age_once()
    {
        var (config, s) = Load();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-29T12:00:00Z"));
        var api = new ScriptedApi(call => call.Operation == "get-metric-data"
            ? JsonNode.Parse("""{"MetricDataResults":[{"Id":"lag","Timestamps":["2026-11-29T11:58:00Z","2026-11-29T11:59:00Z"],"Values":[50.0,10.0]}]}""")
            : throw new InvalidOperationException(call.ToString()));
        var topology = new FixedTopology();
        var memory = new CloudWatchLagMemory(new AwsContext(api, new AwsCommands(s), time), topology, TimeSpan.FromMinutes(10));
        var sample = await memory.LastAsync(CancellationToken.None);
        Assert.NotNull(sample);
        Assert.Equal(DateTimeOffset.Parse("2026-11-29T11:59:00Z"), sample!.At);
        Assert.Equal(10, sample.Seconds);   // as CloudWatch published it: the age is the guard's to add
        Assert.Null(sample.StandbyStreaming);
        Assert.Equal("eu-central-1", sample.Standby);
        Assert.Single(api.Calls, c => c.Region == "eu-central-1" && c.Input.ToJsonString().Contains("db-frankfurt"));
        var verdict = RpoGuardDecision.Evaluate(sample, time.GetUtcNow(), config.RpoGuard);
        Assert.True(verdict.Pass, verdict.Reason);
        Assert.Contains("10.0 s + 60.0 s since = 70.0 s of data at risk ≤ 300 s", verdict.Reason); // 10 s measured, 60 s ago: counted once
        Assert.Equal(70, RpoGuardDecision.DataAtRiskSeconds(sample, time.GetUtcNow()));
        Assert.False(RpoGuardDecision.Evaluate(sample with { Seconds = 400 }, time.GetUtcNow(), config.RpoGuard).Pass);
    }

    [Fact]
    public async Task Fencing_an_unreachable_region_says_not_fenced_and_never_fenced()
    {
        var (_, s) = Load();
        var api = new ScriptedApi(call => throw new AwsServiceException(call, AwsFailureKind.Unreachable, "EndpointUnreachable", "Could not connect to the endpoint URL"));
        var port = new RdsDatabasePort(new AwsContext(api, new AwsCommands(s), TimeProvider.System));
        var said = await port.FenceAsync("eu-west-3", CancellationToken.None);
        Assert.StartsWith("NOT fenced", said);
        var seen = await port.ObserveAsync("eu-west-3", CancellationToken.None);
        Assert.False(seen.Reachable);
        Assert.False(seen.Writable);
        Assert.DoesNotContain(api.Calls, c => c.Mutates);
    }

    [Fact]
    public async Task Route53_follows_its_failover_rule_with_an_inverted_check_reading_unhealthy()
    {
        var (config, s) = Load();
        var inverted = new HashSet<string>();
        var api = new ScriptedApi(call => call.Operation switch
        {
            "list-resource-record-sets" => JsonNode.Parse("""{"ResourceRecordSets":[{"Name":"api.regami.example.","Type":"CNAME","SetIdentifier":"eu-west-3","Failover":"PRIMARY","HealthCheckId":"hc1","TTL":60,"ResourceRecords":[{"Value":"paris"}]},{"Name":"api.regami.example.","Type":"CNAME","SetIdentifier":"eu-central-1","Failover":"SECONDARY","HealthCheckId":"hc2","TTL":60,"ResourceRecords":[{"Value":"frankfurt"}]}]}"""),
            "get-health-check" => new JsonObject { ["HealthCheck"] = new JsonObject { ["HealthCheckConfig"] = new JsonObject { ["Inverted"] = inverted.Contains(call.Input["HealthCheckId"]!.GetValue<string>()) } } },
            "get-health-check-status" => JsonNode.Parse("""{"HealthCheckObservations":[{"Region":"eu-west-1","IPAddress":"1.2.3.4","StatusReport":{"Status":"Success: HTTP Status Code: 200. "}}]}"""),
            _ => throw new InvalidOperationException(call.ToString()),
        });
        var traffic = new Route53TrafficPort(new AwsContext(api, new AwsCommands(s), TimeProvider.System), ["eu-west-3", "eu-central-1"], config.HealthCheck);
        Assert.Equal("eu-west-3", await traffic.ResolveActiveRegionAsync(CancellationToken.None));
        inverted.Add("hc1");
        Assert.Equal("eu-central-1", await traffic.ResolveActiveRegionAsync(CancellationToken.None));
        Assert.False((await traffic.GetRoutingControlsAsync(CancellationToken.None))["eu-west-3"]);
        var health = await new Route53HealthSource(traffic, ["eu-west-3", "eu-central-1"]).ProbeAsync(CancellationToken.None);
        Assert.False(health.Single(h => h.Region == "eu-west-3").Succeeded);
        Assert.True(health.Single(h => h.Region == "eu-central-1").Succeeded);
    }

    private sealed class ScriptedApi(Func<AwsCall, JsonNode?> answer) : IAwsApi
    {
        public List<AwsCall> Calls { get; } = [];

        public Task<AwsResponse> CallAsync(AwsCall call, CancellationToken ct)
        {
            lock (Calls) Calls.Add(call);
            return Task.FromResult(new AwsResponse(answer(call), "req", TimeSpan.FromMilliseconds(1)));
        }
    }

    private sealed class FixedTopology : ITopologyPort
    {
        public Task<TopologySnapshot> GetAsync(CancellationToken ct) => Task.FromResult(new TopologySnapshot(["eu-west-3", "eu-central-1"],
            new Dictionary<string, RegionRole> { ["eu-west-3"] = RegionRole.Primary, ["eu-central-1"] = RegionRole.Standby }, ReplicationMode.Async, "eu-west-3"));
        public Task SetRoleAsync(string region, RegionRole role, CancellationToken ct) => throw new NotSupportedException();
        public Task RecordAsync(IReadOnlyDictionary<string, RegionRole> roles, ReplicationMode mode, CancellationToken ct) => throw new NotSupportedException();
    }
}
