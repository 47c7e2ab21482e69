using System.Text.Json;
using NJsonSchema;
using Regami.Dr.Aws.Cli;
using Regami.Dr.Aws.Tests.Moto;
using Regami.Dr.Integration.Tests.Infrastructure;

namespace Regami.Dr.Aws.Tests.Provider;

/// <summary>
/// `regami-dr` as a process on provider: aws against moto: what an SRE types, with the exit
/// codes and messages they get — and the AWS CLI driver's retries and timeouts through a real
/// wrapper around the real CLI.
/// </summary>
public sealed class AwsCliTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    private static Task<CliResult> Cli(params string[] args) =>
        CliProcess.RunAsync(args, TimeSpan.FromMinutes(8), env: TestAwsEnvironment.Variables());

    [Fact]
    public async Task Status_reads_rds_ecs_and_route53_and_its_json_validates_against_the_status_schema()
    {
        var estate = await moto.FreshEstateAsync();
        using var aws = AwsHarness.Create(estate);
        await estate.PutReplicaLagAsync(MotoEstate.StandbyRegion, MotoEstate.DbInstanceId, 3, DateTimeOffset.UtcNow);
        var before = await Cli("status", "--config", aws.ConfigFile, "--state-dir", aws.StateDirectory);
        Assert.True(before.ExitCode == 1, before.ToString());   // the plan's alarms are missing: a problem status names
        Assert.Contains("alarm regami-dr-replica-lag (eu-central-1): missing", before.StandardOutput + before.StandardError);

        var apply = await Cli("aws", "apply-alarms", "--config", aws.ConfigFile, "--state-dir", aws.StateDirectory);
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var alarms = await moto.Cli.RunAsync(MotoEstate.StandbyRegion, "cloudwatch", "describe-alarms", "--alarm-names", "regami-dr-replica-lag");
        var lagAlarm = alarms["MetricAlarms"]![0]!;
        Assert.Equal((300.0, "GreaterThanThreshold", 2, "Average"), (lagAlarm["Threshold"]!.GetValue<double>(), lagAlarm["ComparisonOperator"]!.GetValue<string>(),
            lagAlarm["EvaluationPeriods"]!.GetValue<int>(), lagAlarm["Statistic"]!.GetValue<string>()));
        Assert.Equal(estate.TopicArns["sev2"], lagAlarm["AlarmActions"]![0]!.GetValue<string>());

        var r = await Cli("status", "--config", aws.ConfigFile, "--state-dir", aws.StateDirectory, "--output", "json");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("AWS CLI /usr/bin/aws (aws-cli/2.", r.StandardError);
        var schema = await JsonSchema.FromFileAsync(Path.Combine(CliProcess.RepoRoot, "schemas", "status.schema.json"));
        Assert.Empty(schema.Validate(r.StandardOutput));
        var json = r.Json;
        Assert.Equal("eu-west-3", json.GetProperty("primaryRegion").GetString());
        var regions = json.GetProperty("regions").EnumerateArray().ToDictionary(x => x.GetProperty("name").GetString()!);
        Assert.True(regions["eu-central-1"].GetProperty("database").GetProperty("inRecovery").GetBoolean());
        Assert.Equal(2, regions["eu-west-3"].GetProperty("compute").GetProperty("desired").GetInt32());
        Assert.Equal("eu-west-3", json.GetProperty("traffic").GetProperty("activeRegion").GetString());
        Assert.InRange(json.GetProperty("replication").GetProperty("lagSeconds").GetDouble(), 3, 120);
    }

    [Fact]
    public async Task A_missing_db_instance_no_cli_and_an_unknown_profile_exit_2_naming_what_is_wrong()
    {
        var estate = await moto.FreshEstateAsync();
        using var missing = AwsHarness.Create(estate);
        var config = File.ReadAllText(missing.ConfigFile);

        // The primary's block comes first: only eu-west-3 names an instance that does not exist.
        var at = config.IndexOf("dbInstance: regami-db", StringComparison.Ordinal);
        File.WriteAllText(missing.ConfigFile, config[..at] + "dbInstance: regami-nope" + config[(at + "dbInstance: regami-db".Length)..]);
        var r = await Cli("status", "--config", missing.ConfigFile, "--state-dir", missing.StateDirectory);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("DBInstanceNotFound", r.StandardError);
        Assert.Contains("regami-nope", r.StandardError);
        Assert.Contains("eu-west-3", r.StandardError);

        File.WriteAllText(missing.ConfigFile, config.Replace($"cliPath: {AwsCliRunner.ConfiguredCliPath}", "cliPath: /nonexistent/aws"));
        r = await Cli("status", "--config", missing.ConfigFile, "--state-dir", missing.StateDirectory);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("apt-get install -y awscli", r.StandardError);

        File.WriteAllText(missing.ConfigFile, config.Replace("aws:\n", "aws:\n  profile: nosuch\n"));
        r = await Cli("status", "--config", missing.ConfigFile, "--state-dir", missing.StateDirectory);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("nosuch", r.StandardError);
        Assert.Contains("ProfileNotFound", r.StandardError);
    }

    [Fact]
    public async Task The_production_profiles_dry_run_prints_the_aws_cli_commands_of_the_plan()
    {
        var example = Path.Combine(CliProcess.RepoRoot, "docs", "examples", "regami-dr.aws.yaml");
        var state = Directory.CreateTempSubdirectory("regami-aws-dry-").FullName;
        var r = await Cli("failover", "--dry-run", "--config", example, "--state-dir", state);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("$ aws route53 update-health-check --region us-east-1 --profile regami-dr --cli-input-json '{\"HealthCheckId\":\"11111111-aaaa-bbbb-cccc-000000000001\",\"Inverted\":true}'", r.StandardOutput);
        Assert.Contains("$ aws ecs update-service --region eu-west-3", r.StandardOutput);
        Assert.Contains("$ aws rds modify-db-instance --region eu-west-3", r.StandardOutput);
        Assert.Contains("$ aws rds promote-read-replica --region eu-central-1", r.StandardOutput);
        Assert.Contains("\"desiredCount\":2", r.StandardOutput);
        Assert.DoesNotContain("secret", r.StandardOutput, StringComparison.OrdinalIgnoreCase);

        var json = await Cli("failover", "--dry-run", "--config", example, "--state-dir", state, "--output", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var promote = json.Json.GetProperty("plan").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "promote-standby");
        Assert.Contains(promote.GetProperty("commands").EnumerateArray(), c => c.GetString()!.StartsWith("aws rds promote-read-replica", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_throttled_call_is_retried_and_a_hanging_call_times_out_naming_the_operation()
    {
        var estate = await moto.FreshEstateAsync();
        using var aws = AwsHarness.Create(estate);
        var dir = Directory.CreateTempSubdirectory("regami-aws-wrap-").FullName;
        var count = Path.Combine(dir, "calls");
        // A CLI that answers "Throttling" to the first describe, then is the real CLI: AWS's rate limit, reproduced.
        var throttling = Wrapper(dir, "throttle", $$"""
            case " $* " in *" --version "*) exec {{AwsCliRunner.ConfiguredCliPath}} "$@";; esac
            echo x >> {{count}}
            if [ "$(wc -l < {{count}})" -eq 1 ]; then
              echo "An error occurred (Throttling) when calling the DescribeDBInstances operation (reached max retries: 2): Rate exceeded" >&2; exit 254
            fi
            exec {{AwsCliRunner.ConfiguredCliPath}} "$@"
            """);
        var section = aws.Section;
        section.CliPath = throttling;
        section.CliMode = "process";
        using (var driver = AwsProvider.Driver(section, TimeProvider.System, null, null))
        {
            var answer = await driver.CallAsync(new AwsCommands(section).DescribeDbInstance(MotoEstate.PrimaryRegion), CancellationToken.None);
            Assert.Equal("regami-db", answer.Body!["DBInstances"]![0]!["DBInstanceIdentifier"]!.GetValue<string>());
            Assert.Equal(2, File.ReadAllLines(count).Length);
        }

        var hanging = Wrapper(dir, "hang", $$"""
            case " $* " in *" --version "*) exec {{AwsCliRunner.ConfiguredCliPath}} "$@";; esac
            exec sleep 60
            """);
        section.CliPath = hanging;
        section.CallTimeout = TimeSpan.FromSeconds(2);
        using (var driver = new AwsCliDriver(new AwsCliBinary(hanging), AwsCliTransports.Create("process", new AwsCliBinary(hanging)), AwsProvider.Settings(section),
                   TimeProvider.System, maxRetryAttempts: 1))
        {
            var started = DateTime.UtcNow;
            var e = await Assert.ThrowsAsync<AwsServiceException>(() => driver.CallAsync(new AwsCommands(section).PromoteReadReplica(MotoEstate.StandbyRegion), CancellationToken.None));
            Assert.Equal(AwsFailureKind.Timeout, e.Kind);
            Assert.Contains("PromoteReadReplica did not answer within 2 s", e.Message);
            Assert.Contains("effect is unknown", e.Message);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "the hung CLI was not killed at the timeout");
        }
    }

    [Fact]
    public async Task The_region_outage_drill_fails_over_on_the_routing_control_puts_its_figures_to_cloudwatch_and_fails_back()
    {
        var estate = await moto.FreshEstateAsync();
        using var aws = AwsHarness.Create(estate);
        CliResult r;
        await using (AwsHarness.FeedReplicaLag(estate, 0))
            r = await Cli("drill", "--provider", "aws", "--scenario", "region-outage", "--config", aws.ConfigFile, "--state-dir", aws.StateDirectory, "--output", "json");

        Assert.True(r.ExitCode == 0, r.ToString());
        var report = JsonDocument.Parse(r.StandardOutput).RootElement;
        Assert.True(report.GetProperty("passed").GetBoolean());
        Assert.True(report.GetProperty("measured").GetProperty("rtoSeconds").GetDouble() > 0);
        Assert.Contains(report.GetProperty("measured").GetProperty("phases").EnumerateArray(), p => p.GetProperty("name").GetString() == "detection");
        Assert.Contains(report.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "roles restored" && c.GetProperty("passed").GetBoolean());
        var schema = await JsonSchema.FromFileAsync(Path.Combine(CliProcess.RepoRoot, "schemas", "drill-report.schema.json"));
        Assert.Empty(schema.Validate(r.StandardOutput));

        var metrics = await moto.Cli.RunAsync(MotoEstate.StandbyRegion, "cloudwatch", "list-metrics", "--namespace", "Regami/DR");
        Assert.Contains(metrics["Metrics"]!.AsArray(), m => m!["MetricName"]!.GetValue<string>() == "DrillRto");
        // Failed back: Paris is primary again, Frankfurt a new replica of it encrypted with Frankfurt's key.
        var frankfurt = (await moto.Cli.RunAsync(MotoEstate.StandbyRegion, "rds", "describe-db-instances", "--db-instance-identifier", MotoEstate.DbInstanceId))["DBInstances"]![0]!;
        Assert.Equal(estate.Primary.DbInstanceArn, frankfurt["ReadReplicaSourceDBInstanceIdentifier"]!.GetValue<string>());
        Assert.Equal(estate.Standby.KmsKeyId, frankfurt["KmsKeyId"]!.GetValue<string>());
    }

    private static string Wrapper(string dir, string name, string body)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, "#!/bin/bash\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
