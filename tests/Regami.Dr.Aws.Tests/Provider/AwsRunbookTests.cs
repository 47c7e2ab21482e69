using System.Text.Json.Nodes;
using Regami.Dr.Aws.Tests.Moto;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Core.Topology;
using Regami.Dr.Server.Notifications;

namespace Regami.Dr.Aws.Tests.Provider;

/// <summary>
/// The runbooks on the AWS provider against moto, through the real AWS CLI v2: what each step
/// changed is read back with the CLI, and the audit trail holds every mutating call with AWS's
/// request id.
/// </summary>
public sealed class AwsRunbookTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    private const string Primary = MotoEstate.PrimaryRegion;
    private const string Standby = MotoEstate.StandbyRegion;

    [Fact]
    public async Task Failover_promotes_the_replica_scales_the_standby_fences_the_primary_and_audits_every_call_with_its_request_id()
    {
        var estate = await moto.FreshEstateAsync();
        using var aws = AwsHarness.Create(estate);
        await estate.PutReplicaLagAsync(Standby, MotoEstate.DbInstanceId, 10, DateTimeOffset.UtcNow);

        var result = await aws.RunAsync(FailoverRunbook.Kind, Standby);

        Assert.True(result.Succeeded, $"{result.FailedStep}: {result.Detail}");
        var replica = await Db(Standby);
        Assert.Contains(replica["TagList"]!.AsArray(), t => t!["Key"]!.GetValue<string>() == "regami-dr:promoted-at");
        var old = await Db(Primary);
        Assert.Equal(["sg-fence-paris"], old["VpcSecurityGroups"]!.AsArray().Select(g => g!["VpcSecurityGroupId"]!.GetValue<string>()));
        Assert.Equal(2, (await Service(Standby))["desiredCount"]!.GetValue<int>());
        Assert.Equal(0, (await Service(Primary))["desiredCount"]!.GetValue<int>());
        Assert.True((await HealthCheck(estate.Primary.HealthCheckId))["Inverted"]!.GetValue<bool>());
        Assert.False((await HealthCheck(estate.Standby.HealthCheckId))["Inverted"]!.GetValue<bool>());

        var guard = result.Steps.Single(s => s.Name == FailoverRunbook.StepNames.RpoGuard);
        // 10 s measured plus the sample's age: CloudWatch dates a one-minute datapoint by its minute, so up to a minute more.
        var lag = double.Parse(System.Text.RegularExpressions.Regex.Match(guard.Detail!, @"= (\d+\.\d) s of data at risk").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(lag, 10, 75);
        var fence = result.Steps.Single(s => s.Name == FailoverRunbook.StepNames.FenceDatabase);
        Assert.StartsWith("fenced regami-db in eu-west-3", fence.Detail);

        var audit = await aws.Store.Audit.ListAsync(null, null, CancellationToken.None);
        var promote = Assert.Single(audit, e => e.Entry.Action == "aws.rds.PromoteReadReplica");
        Assert.Equal(Standby, promote.Entry.Region);
        Assert.Matches(@"^request [A-Za-z0-9-]{20,}, \d+\.\d\d s$", promote.Entry.Details);
        Assert.Contains(audit, e => e.Entry.Action == "aws.ecs.UpdateService" && e.Entry.Region == Standby);
        Assert.Contains(audit, e => e.Entry.Action == "aws.route53.UpdateHealthCheck");
        Assert.DoesNotContain(audit, e => (e.Entry.Details ?? "").Contains(AwsCliRunner.SecretAccessKey, StringComparison.Ordinal));
        Assert.Equal(RegionRole.Primary, (await aws.Bundle.Ports.Topology.GetAsync(CancellationToken.None)).Roles[Standby]);

        // A replica promoted already is a step done, not an error.
        Assert.Contains("already promoted", await aws.Bundle.Ports.Database.PromoteAsync(Standby, CancellationToken.None));
    }

    [Fact]
    public async Task The_rpo_guard_refuses_at_400_s_and_when_no_sample_is_younger_than_two_minutes_and_changes_nothing()
    {
        var estate = await moto.FreshEstateAsync();
        using var aws = AwsHarness.Create(estate);

        await estate.PutReplicaLagAsync(Standby, MotoEstate.DbInstanceId, 1, DateTimeOffset.UtcNow - TimeSpan.FromMinutes(3));
        var stale = await aws.Bundle.Ports.Lag.LastAsync(CancellationToken.None);
        var verdict = RpoGuardDecision.Evaluate(stale, DateTimeOffset.UtcNow, aws.Config.RpoGuard);
        Assert.False(verdict.Pass);
        Assert.Contains("old", verdict.Reason);

        await estate.PutReplicaLagAsync(Standby, MotoEstate.DbInstanceId, 400, DateTimeOffset.UtcNow);
        var result = await aws.RunAsync(FailoverRunbook.Kind, Standby);
        Assert.Equal(RunOutcome.Refused, result.Outcome);
        Assert.Equal(FailoverRunbook.StepNames.RpoGuard, result.FailedStep);
        Assert.Contains("exceeds 300 s", result.Detail);
        // Nothing was changed: still a replica, the primary still serves and routes.
        Assert.True((await Db(Standby))["ReadReplicaSourceDBInstanceIdentifier"] is not null);
        Assert.DoesNotContain((await Db(Standby))["TagList"]?.AsArray() ?? [], t => t!["Key"]!.GetValue<string>() == "regami-dr:promoted-at");
        Assert.False((await HealthCheck(estate.Primary.HealthCheckId))["Inverted"]!.GetValue<bool>());
        Assert.Equal(["sg-db-paris"], (await Db(Primary))["VpcSecurityGroups"]!.AsArray().Select(g => g!["VpcSecurityGroupId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Switchover_waits_for_a_zero_lag_sample_after_writes_stopped_then_moves_roles_traffic_and_rebuilds_the_old_primary_as_a_new_encrypted_replica()
    {
        var estate = await moto.FreshEstateAsync();
        using var aws = AwsHarness.Create(estate);
        await using (AwsHarness.FeedReplicaLag(estate, 0))
        {
            var result = await aws.RunAsync(SwitchoverRunbook.Kind, Standby);
            Assert.True(result.Succeeded, $"{result.FailedStep}: {result.Detail}");
            Assert.Contains("replayed past", result.Steps.Single(s => s.Name == SwitchoverRunbook.StepNames.WaitReplayed).Detail);
        }
        var topology = await aws.Bundle.Ports.Topology.GetAsync(CancellationToken.None);
        Assert.Equal((RegionRole.Primary, RegionRole.Standby), (topology.Roles[Standby], topology.Roles[Primary]));
        Assert.Equal(Standby, await aws.Bundle.Ports.Traffic.ResolveActiveRegionAsync(CancellationToken.None));

        // RDS has no pg_rewind: Paris now holds a new replica of Frankfurt with Paris's key, and the old primary is kept aside.
        var rebuilt = await Db(Primary);
        Assert.Equal(estate.Standby.DbInstanceArn, rebuilt["ReadReplicaSourceDBInstanceIdentifier"]!.GetValue<string>());
        Assert.Equal(estate.Primary.KmsKeyId, rebuilt["KmsKeyId"]!.GetValue<string>());
        Assert.True(rebuilt["StorageEncrypted"]!.GetValue<bool>());
        var all = await moto.Cli.RunAsync(Primary, "rds", "describe-db-instances");
        Assert.Contains(all["DBInstances"]!.AsArray(), i => i!["DBInstanceIdentifier"]!.GetValue<string>().StartsWith("regami-db-retired-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Alerts_are_published_to_the_sns_topic_of_their_severity_and_read_back()
    {
        var estate = await moto.FreshEstateAsync();
        using var aws = AwsHarness.Create(estate);
        var channel = new SnsChannel(aws.Bundle.Sns!, null, aws.Bundle.SnsTopics);
        var delivery = new Regami.Dr.Core.Notifications.Delivery("region-down:eu-west-3", Regami.Dr.Core.Notifications.ChannelKind.Sns, null,
            "[Sev1] eu-west-3 is down", "failover started to eu-central-1", false, false) { Severity = Severity.Sev1 };

        await channel.DeliverAsync(delivery, CancellationToken.None);

        var sev1 = await estate.ReadNotificationsAsync("sev1");
        var message = Assert.Single(sev1);
        Assert.Equal("[Sev1] eu-west-3 is down", message.Subject);
        Assert.Contains("failover started to eu-central-1", message.Body);
        Assert.Empty(await estate.ReadNotificationsAsync("sev2"));
    }

    private async Task<JsonNode> Db(string region) =>
        (await moto.Cli.RunAsync(region, "rds", "describe-db-instances", "--db-instance-identifier", MotoEstate.DbInstanceId))["DBInstances"]![0]!;

    private async Task<JsonNode> Service(string region) =>
        (await moto.Cli.RunAsync(region, "ecs", "describe-services", "--cluster", MotoEstate.EcsCluster, "--services", MotoEstate.EcsService))["services"]![0]!;

    private async Task<JsonNode> HealthCheck(string id) =>
        (await moto.Cli.RunAsync("us-east-1", "route53", "get-health-check", "--health-check-id", id))["HealthCheck"]!["HealthCheckConfig"]!;
}
