using System.Text.Json.Nodes;
using Regami.Dr.Aws;
using Regami.Dr.Aws.Configuration;
using Regami.Dr.Core.Configuration;

namespace Regami.Dr.Core.Tests.Aws;

/// <summary>`regami-dr config from-terraform`: deploy/terraform's outputs → a regami-dr.yaml that validates.</summary>
public sealed class TerraformOutputsTests
{
    /// <summary>The shape `terraform output -json` prints for deploy/terraform's regami_dr output.</summary>
    private static JsonObject Sample() => new()
    {
        ["regami_dr"] = new JsonObject
        {
            ["sensitive"] = false,
            ["value"] = new JsonObject
            {
                ["account"] = "123456789012",
                ["allowed_regions"] = new JsonArray("eu-west-1", "eu-west-3", "eu-central-1"),
                ["primary_region"] = "eu-west-3",
                ["standby_region"] = "eu-central-1",
                ["route53"] = new JsonObject { ["hosted_zone_id"] = "Z0123456789REGAMI", ["record_name"] = "api.regami.example", ["ttl_seconds"] = 60 },
                ["health_check"] = new JsonObject { ["request_interval_seconds"] = 30, ["failure_threshold"] = 3, ["path"] = "/health?check=db" },
                ["sns"] = new JsonObject
                {
                    ["sev1"] = "arn:aws:sns:eu-central-1:123456789012:regami-dr-sev1",
                    ["sev2"] = "arn:aws:sns:eu-central-1:123456789012:regami-dr-sev2",
                    ["sev3"] = "arn:aws:sns:eu-central-1:123456789012:regami-dr-sev3",
                    ["route53_alarm"] = "arn:aws:sns:us-east-1:123456789012:regami-dr-sev1",
                },
                ["regions"] = new JsonObject
                {
                    ["eu-west-3"] = Region("eu-west-3", "regami-uploads"),
                    ["eu-central-1"] = Region("eu-central-1", "regami-uploads-eu-central-1"),
                },
                ["backup"] = new JsonObject { ["daily_retention_days"] = 7, ["compliance_retention_days"] = 14, ["monthly_retention_days"] = 365, ["copy_region"] = "eu-central-1", ["plan_id"] = "0f1e2d3c-plan" },
                ["database"] = new JsonObject { ["instance_class"] = "db.r6g.xlarge", ["allocated_storage_gb"] = 250, ["engine_version"] = "15" },
            },
        },
        ["route53_alarm_topic_arn"] = new JsonObject { ["value"] = "arn:aws:sns:us-east-1:123456789012:regami-dr-sev1" },
    };

    private static JsonObject Region(string region, string bucket) => new()
    {
        ["db_instance"] = "regami-db",
        ["kms_key_id"] = $"arn:aws:kms:{region}:123456789012:key/abc",
        ["db_security_groups"] = new JsonArray($"sg-db-{region}"),
        ["fence_security_group"] = $"sg-fence-{region}",
        ["ecs_cluster"] = "regami",
        ["ecs_service"] = "regami-api",
        ["load_balancer"] = $"regami-{region}-1.{region}.elb.amazonaws.com",
        ["health_check_id"] = $"hc-{region}",
        ["uploads_bucket"] = bucket,
    };

    [Fact]
    public void Outputs_become_a_configuration_that_validates_with_the_estates_names_and_the_plans_numbers()
    {
        var yaml = TerraformOutputs.ToYaml(Sample().ToJsonString(), "outputs.json", "production");
        var doc = ConfigDocument.Parse(yaml, "generated.yaml");
        var config = DrConfiguration.From(doc);
        var aws = AwsProvider.Section(doc, config);

        Assert.Equal(("aws", "production", "eu-west-3", "eu-central-1"), (config.Provider, config.Environment, config.PrimaryRegion.Name, config.StandbyRegion.Name));
        Assert.Equal((TimeSpan.FromSeconds(30), 3, "/health?check=db"), (config.HealthCheck.RequestInterval, config.HealthCheck.FailureThreshold, config.HealthCheck.Path));
        Assert.Equal((TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(5)), (config.Targets.Rto, config.Targets.Rpo));
        Assert.Equal(("db.r6g.xlarge", 250.0), (config.Cost.ReplicaInstanceClass, config.Cost.StorageGb));
        Assert.Equal(("123456789012", "0f1e2d3c-plan", "arn:aws:sns:us-east-1:123456789012:regami-dr-sev1"), (aws.Account, aws.BackupPlanId, aws.Route53AlarmTopic));
        Assert.Equal(["eu-west-1", "eu-west-3", "eu-central-1"], aws.AllowedRegions);
        Assert.Equal(("Z0123456789REGAMI", "api.regami.example.", TimeSpan.FromSeconds(60)), (aws.Route53.HostedZoneId, aws.Route53.CanonicalRecordName, aws.Route53.Ttl));
        Assert.Equal("arn:aws:sns:eu-central-1:123456789012:regami-dr-sev2", aws.Sns["sev2"]);
        var standby = aws.Region("eu-central-1");
        Assert.Equal(("regami-db", "sg-fence-eu-central-1", "hc-eu-central-1", "regami-uploads-eu-central-1"), (standby.DbInstance, standby.FenceSecurityGroup, standby.HealthCheckId, standby.UploadsBucket));
        Assert.Equal(["sg-db-eu-central-1"], standby.DbSecurityGroups);
        Assert.Equal("regami-eu-west-3-1.eu-west-3.elb.amazonaws.com", aws.Region("eu-west-3").LoadBalancer);
    }

    [Fact]
    public void A_missing_output_field_is_named_by_its_path()
    {
        var json = Sample();
        json["regami_dr"]!["value"]!["regions"]!["eu-west-3"]!.AsObject().Remove("fence_security_group");
        var e = Assert.Throws<TerraformOutputsException>(() => TerraformOutputs.ToYaml(json.ToJsonString(), "outputs.json", "production"));
        Assert.Equal("outputs.json: regami_dr.value.regions.eu-west-3.fence_security_group is missing (is deploy/terraform older than this regami-dr? re-apply it)", e.Message);
    }

    [Fact]
    public void Not_the_outputs_of_deploy_terraform_says_so()
    {
        Assert.Contains("not JSON", Assert.Throws<TerraformOutputsException>(() => TerraformOutputs.ToYaml("regami_dr = {", "stdin", "p")).Message);
        Assert.Contains("no output regami_dr", Assert.Throws<TerraformOutputsException>(() => TerraformOutputs.ToYaml("{\"other\":{}}", "stdin", "p")).Message);
        var json = Sample();
        json["regami_dr"]!["value"]!["route53"]!["ttl_seconds"] = "sixty";
        Assert.Contains("regami_dr.value.route53.ttl_seconds must be a whole number", Assert.Throws<TerraformOutputsException>(() => TerraformOutputs.ToYaml(json.ToJsonString(), "o", "p")).Message);
    }

    [Fact]
    public void A_standby_outside_the_allowed_regions_is_refused_by_the_residency_rule_before_anything_is_written()
    {
        var json = Sample();
        var value = json["regami_dr"]!["value"]!;
        value["standby_region"] = "us-east-1";
        var regions = value["regions"]!.AsObject();
        var standby = regions["eu-central-1"]!.DeepClone();
        regions.Remove("eu-central-1");
        regions["us-east-1"] = standby;
        var e = Assert.Throws<ConfigurationException>(() => TerraformOutputs.ToYaml(json.ToJsonString(), "outputs.json", "production"));
        Assert.Contains("residency.allowed-regions", e.Message);
        Assert.Contains("us-east-1", e.Message);
    }
}
