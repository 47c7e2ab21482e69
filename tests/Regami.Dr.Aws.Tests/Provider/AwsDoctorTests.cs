using System.Text.Json;
using System.Text.Json.Nodes;
using Regami.Dr.Aws.Tests.Moto;
using Regami.Dr.Integration.Tests.Infrastructure;

namespace Regami.Dr.Aws.Tests.Provider;

/// <summary>
/// `regami-dr doctor` on provider: aws, against moto through the real AWS CLI: the plan's estate
/// (encrypted RDS pair, encrypted uploads buckets, the AWS Backup plan with its cross-region copies,
/// the plan's alarms, database health checks), and the same rules when AWS cannot be reached.
/// </summary>
public sealed class AwsDoctorTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    private static Task<CliResult> Cli(params string[] args) =>
        CliProcess.RunAsync(args, TimeSpan.FromMinutes(8), env: TestAwsEnvironment.Variables());

    private static Dictionary<string, JsonElement> Findings(CliResult r) =>
        r.Json.GetProperty("findings").EnumerateArray().ToDictionary(f => f.GetProperty("id").GetString()!);

    private static string Status(Dictionary<string, JsonElement> findings, string id) => findings[id].GetProperty("status").GetString()!;

    [Fact]
    public async Task Doctor_checks_the_plans_estate_on_moto_and_names_what_is_missing()
    {
        var estate = await moto.FreshEstateAsync();
        var plan = await CreateBackupPlanAsync();
        using var aws = AwsHarness.Create(estate, $"backupPlanId: {plan}\n");
        foreach (var (region, bucket) in new[] { (MotoEstate.PrimaryRegion, "regami-uploads"), (MotoEstate.StandbyRegion, "regami-uploads-replica") })
        {
            await moto.Cli.RunAsync(region, "s3api", "create-bucket", "--bucket", bucket, "--create-bucket-configuration", $"LocationConstraint={region}");
            await moto.Cli.RunAsync(region, "s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
                """{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"alias/regami-uploads"}}]}""");
        }
        // The plan's object replication: every upload copied to the standby region's bucket, RTC 15 min.
        await moto.Cli.RunAsync(MotoEstate.PrimaryRegion, "s3api", "put-bucket-versioning", "--bucket", "regami-uploads", "--versioning-configuration", "Status=Enabled");
        await moto.Cli.RunAsync(MotoEstate.PrimaryRegion, "s3api", "put-bucket-replication", "--bucket", "regami-uploads", "--replication-configuration",
            """{"Role":"arn:aws:iam::123456789012:role/regami-dr-uploads-replication","Rules":[{"ID":"all","Priority":1,"Status":"Enabled","Filter":{},"DeleteMarkerReplication":{"Status":"Disabled"},"Destination":{"Bucket":"arn:aws:s3:::regami-uploads-replica","ReplicationTime":{"Status":"Enabled","Time":{"Minutes":15}},"Metrics":{"Status":"Enabled","EventThreshold":{"Minutes":15}}}}]}""");
        var yaml = File.ReadAllText(aws.ConfigFile);
        yaml = yaml.Replace($"healthCheckId: {estate.Primary.HealthCheckId}\n", $"healthCheckId: {estate.Primary.HealthCheckId}\n      uploadsBucket: regami-uploads\n")
            .Replace($"healthCheckId: {estate.Standby.HealthCheckId}\n", $"healthCheckId: {estate.Standby.HealthCheckId}\n      uploadsBucket: regami-uploads-replica\n");
        File.WriteAllText(aws.ConfigFile, yaml + """
            notifications:
              contacts:
                - { name: "[Name]", role: incident commander, email: ic@regami.example }

            """);
        await estate.PutReplicaLagAsync(MotoEstate.StandbyRegion, MotoEstate.DbInstanceId, 3, DateTimeOffset.UtcNow);

        // Before the plan's alarms are put: the alarm rule fails, naming them.
        var r = await Cli("doctor", "--config", aws.ConfigFile, "--state-dir", aws.StateDirectory, "--output", "json");
        Assert.True(r.ExitCode == 1, r.ToString());
        var f = Findings(r);
        Assert.True(Status(f, "alarms.plan") == "fail", f["alarms.plan"].ToString());
        Assert.Contains("regami-dr-replica-lag (eu-central-1) missing", f["alarms.plan"].GetProperty("evidence").GetString());

        Assert.Equal(0, (await Cli("aws", "apply-alarms", "--config", aws.ConfigFile, "--state-dir", aws.StateDirectory)).ExitCode);
        // A quarterly drill on record, 40 days ago.
        File.AppendAllText(Path.Combine(aws.StateDirectory, "drill-history.jsonl"),
            JsonSerializer.Serialize(new { at = DateTimeOffset.UtcNow.AddDays(-40), scenario = "planned-switchover", passed = true, rtoSeconds = 240.0 }) + "\n");

        r = await Cli("doctor", "--config", aws.ConfigFile, "--state-dir", aws.StateDirectory, "--output", "json");
        Assert.True(r.ExitCode == 1, r.ToString());   // the contact placeholder fails
        var schema = await NJsonSchema.JsonSchema.FromFileAsync(Path.Combine(CliProcess.RepoRoot, "schemas", "doctor.schema.json"));
        Assert.Empty(schema.Validate(r.StandardOutput));
        f = Findings(r);
        Assert.Equal(16, f.Count);
        foreach (var id in new[] { "residency.allowed-regions", "encryption.databases", "encryption.buckets", "storage.replication", "replication.streaming", "replication.lag",
            "backups.retention", "backups.cross-region-copies", "backups.pitr", "alarms.plan", "health-checks.database", "drills.recent", "audit.retention", "rto.budget" })
            Assert.True(Status(f, id) == "pass", $"{id}: {f[id]}");
        Assert.Equal("fail", Status(f, "contacts.complete"));
        Assert.Contains("'[Name]'", f["contacts.complete"].GetProperty("evidence").GetString());
        Assert.Equal("warn", Status(f, "restore-tests.recent"));   // AWS has no restore test yet: said, not hidden
        Assert.Contains("aws:kms", f["encryption.buckets"].GetProperty("evidence").GetString());
        Assert.Contains("all: enabled → regami-uploads-replica, RTC 15 min", f["storage.replication"].GetProperty("evidence").GetString());
        Assert.Contains("compliance → regami-dr-copies kept 14 days", f["backups.cross-region-copies"].GetProperty("evidence").GetString());
        Assert.Contains("RDS regami-db automated backups", f["backups.retention"].GetProperty("evidence").GetString());
        Assert.False(r.Json.GetProperty("healthy").GetBoolean());

        // One rule alone, as text.
        r = await Cli("doctor", "--rule", "rto.budget", "--config", aws.ConfigFile, "--state-dir", aws.StateDirectory);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("PASS    rto.budget", r.StandardOutput);
        Assert.Contains("1 rule(s): 1 pass.", r.StandardOutput);
    }

    [Fact]
    public async Task Doctor_against_an_unreachable_AWS_reports_its_rules_unknown_with_the_error_never_pass()
    {
        var estate = await moto.FreshEstateAsync();
        using var aws = AwsHarness.Create(estate);
        // A loopback port nobody listens on: every call fails to connect.
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        File.WriteAllText(aws.ConfigFile, File.ReadAllText(aws.ConfigFile).Replace($"endpointUrl: {estate.Endpoint.GetLeftPart(UriPartial.Authority)}", $"endpointUrl: http://127.0.0.1:{port}")
            .Replace("callTimeout: 30s", "callTimeout: 5s"));

        var bad = await Cli("doctor", "--rule", "no.such", "--config", aws.ConfigFile, "--state-dir", aws.StateDirectory);
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("the rules are residency.allowed-regions", bad.StandardError);

        var r = await Cli("doctor", "--config", aws.ConfigFile, "--state-dir", aws.StateDirectory, "--output", "json");
        Assert.True(r.ExitCode == 1, r.ToString());
        var f = Findings(r);
        foreach (var id in new[] { "encryption.databases", "replication.streaming", "replication.lag", "backups.retention", "backups.cross-region-copies",
            "backups.pitr", "alarms.plan", "health-checks.database" })
        {
            Assert.True(Status(f, id) == "unknown", $"{id}: {f[id]}");
            // The AWS CLI retries a refused connection until aws.callTimeout: the evidence is the driver's error for the call.
            Assert.Contains("could not be read: ", f[id].GetProperty("evidence").GetString());
        }
        Assert.Equal(("skip", "skip"), (Status(f, "encryption.buckets"), Status(f, "storage.replication")));   // no bucket named in this configuration
        Assert.Equal("pass", Status(f, "residency.allowed-regions"));   // the configuration alone decides it
    }

    /// <summary>The plan's AWS Backup plan: daily 7 d, compliance 14 d, monthly 365 d, each copied to a vault in the standby region.</summary>
    private async Task<string> CreateBackupPlanAsync()
    {
        await moto.Cli.RunAsync(MotoEstate.PrimaryRegion, "backup", "create-backup-vault", "--backup-vault-name", "regami-dr");
        var vault = (await moto.Cli.RunAsync(MotoEstate.StandbyRegion, "backup", "create-backup-vault", "--backup-vault-name", "regami-dr-copies"))["BackupVaultArn"]!.GetValue<string>();
        JsonObject Rule(string name, string cron, int days) => new()
        {
            ["RuleName"] = name,
            ["TargetBackupVaultName"] = "regami-dr",
            ["ScheduleExpression"] = cron,
            ["Lifecycle"] = new JsonObject { ["DeleteAfterDays"] = days },
            ["CopyActions"] = new JsonArray(new JsonObject { ["DestinationBackupVaultArn"] = vault, ["Lifecycle"] = new JsonObject { ["DeleteAfterDays"] = days } }),
        };
        var plan = new JsonObject
        {
            ["BackupPlanName"] = "regami-dr",
            ["Rules"] = new JsonArray(Rule("daily", "cron(0 3 * * ? *)", 7), Rule("compliance", "cron(30 3 ? * SUN *)", 14), Rule("monthly", "cron(0 4 1 * ? *)", 365)),
        };
        return (await moto.Cli.RunAsync(MotoEstate.PrimaryRegion, "backup", "create-backup-plan", "--backup-plan", plan.ToJsonString()))["BackupPlanId"]!.GetValue<string>();
    }
}
