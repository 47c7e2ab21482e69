using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace Regami.Dr.Aws.Tests.Moto;

/// <summary>The kit itself: moto starts and stops, the CLI runner reports errors, and the estate is what the plan describes.</summary>
public sealed class MotoEstateTests(MotoFixture moto, ITestOutputHelper output) : IClassFixture<MotoFixture>
{
    [Fact]
    public async Task The_estate_is_what_the_plan_describes()
    {
        var estate = await moto.FreshEstateAsync();
        output.WriteLine($"moto started in {moto.Server.StartedIn.TotalSeconds:F1} s; estate (reset + create) in {moto.LastEstateCreation!.Value.TotalSeconds:F1} s");

        var (paris, frankfurt) = (estate.Primary, estate.Standby);
        var cli = moto.Cli;
        var primaryDb = cli.RunAsync(paris.Region, "rds", "describe-db-instances", "--db-instance-identifier", paris.DbInstanceId);
        var replicaDb = cli.RunAsync(frankfurt.Region, "rds", "describe-db-instances", "--db-instance-identifier", frankfurt.DbInstanceId);
        var parisService = cli.RunAsync(paris.Region, "ecs", "describe-services", "--cluster", paris.EcsCluster, "--services", paris.EcsService);
        var frankfurtService = cli.RunAsync(frankfurt.Region, "ecs", "describe-services", "--cluster", frankfurt.EcsCluster, "--services", frankfurt.EcsService);
        var records = cli.RunAsync("us-east-1", "route53", "list-resource-record-sets", "--hosted-zone-id", estate.HostedZoneId);
        var parisCheck = cli.RunAsync("us-east-1", "route53", "get-health-check", "--health-check-id", paris.HealthCheckId);
        var frankfurtCheck = cli.RunAsync("us-east-1", "route53", "get-health-check", "--health-check-id", frankfurt.HealthCheckId);
        await Task.WhenAll(primaryDb, replicaDb, parisService, frankfurtService, records, parisCheck, frankfurtCheck);

        // RDS: the encrypted primary, and its encrypted cross-region replica naming it by ARN.
        var primary = (await primaryDb)["DBInstances"]![0]!;
        Assert.Equal("postgres", (string?)primary["Engine"]);
        Assert.Equal("db.t3.medium", (string?)primary["DBInstanceClass"]);
        Assert.Equal(20, (int?)primary["AllocatedStorage"]);
        Assert.True((bool?)primary["StorageEncrypted"]);
        Assert.Equal("arn:aws:kms:eu-west-3:123456789012:key/regami-paris", (string?)primary["KmsKeyId"]);
        Assert.Equal(7, (int?)primary["BackupRetentionPeriod"]);
        Assert.Equal(["sg-db-paris"], SecurityGroups(primary));
        Assert.Equal(paris.DbInstanceArn, (string?)primary["DBInstanceArn"]);
        Assert.Equal([frankfurt.DbInstanceArn], Strings(primary["ReadReplicaDBInstanceIdentifiers"]));

        var replica = (await replicaDb)["DBInstances"]![0]!;
        Assert.Equal("arn:aws:rds:eu-west-3:123456789012:db:regami-db", (string?)replica["ReadReplicaSourceDBInstanceIdentifier"]);
        Assert.True((bool?)replica["StorageEncrypted"]);
        Assert.Equal("arn:aws:kms:eu-central-1:123456789012:key/regami-frankfurt", (string?)replica["KmsKeyId"]);
        Assert.Equal(["sg-db-frankfurt"], SecurityGroups(replica));
        Assert.Equal("arn:aws:rds:eu-central-1:123456789012:db:regami-db", frankfurt.DbInstanceArn);

        // ECS: 2 tasks running in the primary, the standby's service scaled to 0.
        var active = (await parisService)["services"]![0]!;
        Assert.Equal((2, 2), ((int)active["desiredCount"]!, (int)active["runningCount"]!));
        Assert.Equal(paris.EcsServiceArn, (string?)active["serviceArn"]);
        Assert.EndsWith(":task-definition/regami-api:1", (string?)active["taskDefinition"]);
        var standby = (await frankfurtService)["services"]![0]!;
        Assert.Equal((0, 0), ((int)standby["desiredCount"]!, (int)standby["runningCount"]!));
        Assert.Equal("arn:aws:ecs:eu-central-1:123456789012:cluster/regami", frankfurt.EcsClusterArn);

        // Route 53: two failover CNAMEs for the public name, each guarded by its region's health check.
        var failover = (await records)["ResourceRecordSets"]!.AsArray()
            .Where(r => (string?)r!["Name"] == "api.regami.example.")
            .Select(r => (
                Failover: (string?)r!["Failover"], Set: (string?)r["SetIdentifier"], Type: (string?)r["Type"], Ttl: (int?)r["TTL"],
                Value: (string?)r["ResourceRecords"]![0]!["Value"], Check: (string?)r["HealthCheckId"]))
            .OrderBy(r => r.Failover)
            .ToList();
        Assert.Equal(
            [
                ("PRIMARY", "eu-west-3", "CNAME", 60, "regami-paris-1.eu-west-3.elb.amazonaws.com", paris.HealthCheckId),
                ("SECONDARY", "eu-central-1", "CNAME", 60, "regami-frankfurt-1.eu-central-1.elb.amazonaws.com", frankfurt.HealthCheckId),
            ],
            failover.Select(r => (r.Failover, r.Set, r.Type, r.Ttl, r.Value, r.Check)));
        Assert.NotEqual(paris.HealthCheckId, frankfurt.HealthCheckId);
        foreach (var (check, region) in new[] { (await parisCheck, paris), (await frankfurtCheck, frankfurt) })
        {
            var config = check["HealthCheck"]!["HealthCheckConfig"]!;
            Assert.Equal(
                ("HTTPS", 443, "/health?check=db", 30, 3, region.LoadBalancer),
                ((string?)config["Type"], (int?)config["Port"], (string?)config["ResourcePath"], (int?)config["RequestInterval"],
                    (int?)config["FailureThreshold"], (string?)config["FullyQualifiedDomainName"]));
        }
        Assert.False(estate.HostedZoneId.StartsWith('/'), estate.HostedZoneId);
    }

    [Fact]
    public async Task A_notification_published_to_sev2_is_read_back_from_its_queue_once()
    {
        var estate = await moto.FreshEstateAsync();
        Assert.Equal(["sev1", "sev2", "sev3"], estate.TopicArns.Keys.Order());
        Assert.Equal("arn:aws:sns:eu-west-3:123456789012:regami-dr-sev2", estate.TopicArns["sev2"]);

        var published = await moto.Cli.RunAsync(estate.NotificationRegion,
            "sns", "publish", "--topic-arn", estate.TopicArns["sev2"], "--subject", "[SEV2] replica lag 6m", "--message", "Replica lag is 6 minutes.");

        var sev2 = await estate.ReadNotificationsAsync("sev2");
        var only = Assert.Single(sev2);
        Assert.Equal("[SEV2] replica lag 6m", only.Subject);
        Assert.Equal("Replica lag is 6 minutes.", only.Body);
        Assert.Equal(estate.TopicArns["sev2"], only.TopicArn);
        Assert.Equal((string?)published["MessageId"], only.MessageId);
        Assert.Empty(await estate.ReadNotificationsAsync("sev2")); // drained
        Assert.Empty(await estate.ReadNotificationsAsync("sev1")); // only its own topic's messages
    }

    [Fact]
    public async Task Replica_lag_samples_are_read_back_from_CloudWatch()
    {
        await moto.Server.ResetAsync();
        var estate = Sample(moto.Server.Endpoint); // CloudWatch needs no other resource
        var now = DateTimeOffset.UtcNow;
        await Task.WhenAll(
            estate.PutReplicaLagAsync("eu-central-1", "regami-db", 12.5, now.AddMinutes(-3)),
            estate.PutReplicaLagAsync("eu-central-1", "regami-db", 3, now.AddSeconds(-30)),
            estate.PutReplicaLagAsync("eu-central-1", "other-db", 99, now.AddSeconds(-30)));

        var query = new JsonArray(new JsonObject
        {
            ["Id"] = "lag",
            ["MetricStat"] = new JsonObject
            {
                ["Metric"] = new JsonObject
                {
                    ["Namespace"] = "AWS/RDS",
                    ["MetricName"] = "ReplicaLag",
                    ["Dimensions"] = new JsonArray(new JsonObject { ["Name"] = "DBInstanceIdentifier", ["Value"] = "regami-db" }),
                },
                ["Period"] = 60,
                ["Stat"] = "Maximum",
            },
        });
        var data = await moto.Cli.RunAsync("eu-central-1",
            "cloudwatch", "get-metric-data", "--metric-data-queries", query.ToJsonString(),
            "--start-time", now.AddMinutes(-10).ToString("o"), "--end-time", now.AddMinutes(1).ToString("o"));
        var values = data["MetricDataResults"]![0]!["Values"]!.AsArray().Select(v => (double)v!).Order();
        Assert.Equal([3.0, 12.5], values);
    }

    [Fact]
    public void The_configuration_has_the_layout_the_provider_reads()
    {
        var estate = Sample(new Uri("http://127.0.0.1:45123"));
        var yaml = estate.ConfigYaml("pollInterval: 1s\nretries:\n  max: 2");

        Assert.Equal($$"""
            provider: aws
            environment: moto
            regions:
              - { name: eu-west-3, role: primary }
              - { name: eu-central-1, role: standby }
            healthCheck: { requestInterval: 30s, failureThreshold: 3, timeout: 4s, path: "/health?check=db" }
            rpoGuard: { maxLag: 5m, maxSampleAge: 2m }
            aws:
              account: "123456789012"
              cliPath: {{AwsCliRunner.ConfiguredCliPath}}
              endpointUrl: http://127.0.0.1:45123
              callTimeout: 30s
              route53:
                hostedZoneId: Z0ZONE
                recordName: api.regami.example.
                ttl: 60s
              sns:
                sev1: arn:aws:sns:eu-west-3:123456789012:regami-dr-sev1
                sev2: arn:aws:sns:eu-west-3:123456789012:regami-dr-sev2
                sev3: arn:aws:sns:eu-west-3:123456789012:regami-dr-sev3
              regions:
                eu-west-3:
                  dbInstance: regami-db
                  kmsKeyId: arn:aws:kms:eu-west-3:123456789012:key/regami-paris
                  dbSecurityGroups: [sg-db-paris]
                  fenceSecurityGroup: sg-fence-paris
                  ecsCluster: regami
                  ecsService: regami-api
                  loadBalancer: regami-paris-1.eu-west-3.elb.amazonaws.com
                  healthCheckId: hc-paris
                eu-central-1:
                  dbInstance: regami-db
                  kmsKeyId: arn:aws:kms:eu-central-1:123456789012:key/regami-frankfurt
                  dbSecurityGroups: [sg-db-frankfurt]
                  fenceSecurityGroup: sg-fence-frankfurt
                  ecsCluster: regami
                  ecsService: regami-api
                  loadBalancer: regami-frankfurt-1.eu-central-1.elb.amazonaws.com
                  healthCheckId: hc-frankfurt
              pollInterval: 1s
              retries:
                max: 2

            """, yaml);

        // And it is YAML that says what it looks like it says.
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var aws = (YamlMappingNode)root["aws"];
        Assert.Equal("/health?check=db", ((YamlScalarNode)((YamlMappingNode)root["healthCheck"])["path"]).Value);
        Assert.Equal("hc-frankfurt", ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)aws["regions"])["eu-central-1"])["healthCheckId"]).Value);
        Assert.Equal("2", ((YamlScalarNode)((YamlMappingNode)aws["retries"])["max"]).Value);
    }

    [Fact]
    public async Task A_failed_call_throws_with_the_CLIs_error_and_never_shows_the_password()
    {
        var missing = await Assert.ThrowsAsync<AwsCliException>(() =>
            moto.Cli.RunAsync("eu-west-3", "rds", "describe-db-instances", "--db-instance-identifier", "no-such-db"));
        Assert.Contains("DBInstanceNotFound", missing.Stderr);
        Assert.NotEqual(0, missing.ExitCode);

        // Rejected by the CLI itself (no --engine): the command in the message masks the password.
        var rejected = await Assert.ThrowsAsync<AwsCliException>(() =>
            moto.Cli.RunAsync("eu-west-3", "rds", "create-db-instance", "--db-instance-identifier", "x", "--master-user-password", "Sup3rSecret"));
        Assert.DoesNotContain("Sup3rSecret", rejected.Message);
        Assert.Contains("--master-user-password ***", rejected.Message);
    }

    [Fact]
    public async Task A_second_moto_gets_its_own_port_resets_and_is_killed_by_pid_on_dispose()
    {
        var other = await MotoServer.StartAsync();
        var pid = other.Pid;
        try
        {
            Assert.NotEqual(moto.Server.Port, other.Port);
            Assert.Equal("127.0.0.1", other.Endpoint.Host);
            var cli = new AwsCliRunner(other.Endpoint);
            await cli.RunAsync("eu-west-3", "sns", "create-topic", "--name", "t");
            Assert.Single((await cli.RunAsync("eu-west-3", "sns", "list-topics"))["Topics"]!.AsArray());
            await other.ResetAsync();
            Assert.Empty((await cli.RunAsync("eu-west-3", "sns", "list-topics"))["Topics"]?.AsArray() ?? []);
        }
        finally
        {
            await other.DisposeAsync();
        }
        Assert.False(ProcessAlive(pid), $"moto (pid {pid}) still runs after DisposeAsync");
    }

    [Fact]
    public void A_missing_moto_server_is_reported_with_the_install_command()
    {
        var (motoServer, path) = (Environment.GetEnvironmentVariable("MOTO_SERVER"), Environment.GetEnvironmentVariable("PATH"));
        try
        {
            Environment.SetEnvironmentVariable("MOTO_SERVER", null);
            Environment.SetEnvironmentVariable("PATH", "/nonexistent");
            Assert.Equal("moto_server not found: install it with `pip install 'moto[server]==5.2.1'`",
                Assert.Throws<InvalidOperationException>(MotoServer.FindExecutable).Message);

            Environment.SetEnvironmentVariable("MOTO_SERVER", "/nonexistent/moto_server");
            Assert.StartsWith(MotoServer.InstallHint, Assert.Throws<InvalidOperationException>(MotoServer.FindExecutable).Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("MOTO_SERVER", motoServer);
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }

    /// <summary>An estate's ids without creating anything (for helpers that need no resource).</summary>
    private static MotoEstateIds Sample(Uri endpoint)
    {
        MotoRegionIds Region(string name, string role, string city, string lb, int desired, string failover) => new()
        {
            Region = name, Role = role, DbInstanceId = "regami-db", DbInstanceArn = $"arn:aws:rds:{name}:123456789012:db:regami-db",
            KmsKeyId = $"arn:aws:kms:{name}:123456789012:key/regami-{city}", DbSecurityGroup = $"sg-db-{city}",
            FenceSecurityGroup = $"sg-fence-{city}", EcsCluster = "regami", EcsClusterArn = "", EcsService = "regami-api",
            EcsServiceArn = "", TaskDefinitionArn = "", DesiredCount = desired, LoadBalancer = lb, HealthCheckId = $"hc-{city}",
            SetIdentifier = name, Failover = failover,
        };
        var severities = new[] { "sev1", "sev2", "sev3" };
        return new MotoEstateIds
        {
            Endpoint = endpoint,
            Account = "123456789012",
            Primary = Region("eu-west-3", "primary", "paris", "regami-paris-1.eu-west-3.elb.amazonaws.com", 2, "PRIMARY"),
            Standby = Region("eu-central-1", "standby", "frankfurt", "regami-frankfurt-1.eu-central-1.elb.amazonaws.com", 0, "SECONDARY"),
            HostedZoneId = "Z0ZONE",
            HostedZoneName = "regami.example.",
            RecordName = "api.regami.example.",
            NotificationRegion = "eu-west-3",
            TopicArns = severities.ToDictionary(s => s, s => $"arn:aws:sns:eu-west-3:123456789012:regami-dr-{s}"),
            QueueUrls = severities.ToDictionary(s => s, s => $"{endpoint.GetLeftPart(UriPartial.Authority)}/123456789012/regami-dr-{s}-inbox"),
        };
    }

    private static IEnumerable<string?> SecurityGroups(JsonNode db) =>
        db["VpcSecurityGroups"]!.AsArray().Select(g => (string?)g!["VpcSecurityGroupId"]);

    private static IEnumerable<string?> Strings(JsonNode? array) => array!.AsArray().Select(v => (string?)v);

    private static bool ProcessAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
