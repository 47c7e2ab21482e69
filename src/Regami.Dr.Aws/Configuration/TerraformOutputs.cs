using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Regami.Dr.Core.Configuration;

namespace Regami.Dr.Aws.Configuration;

/// <summary>Terraform's outputs cannot be turned into a configuration; the message names the source and the JSON path.</summary>
public sealed class TerraformOutputsException(string message) : Exception(message);

/// <summary>
/// `regami-dr config from-terraform`: turns <c>terraform output -json</c> of deploy/terraform into a
/// regami-dr.yaml for provider: aws, with the plan's numbers (RTO 15 min, RPO 5 min, the cooldown)
/// and the estate's names. The YAML is parsed and validated like any configuration before it is
/// returned, so what is printed is a configuration `config check` accepts.
/// </summary>
public static class TerraformOutputs
{
    /// <summary>The output deploy/terraform writes for regami-dr (its field names are the contract).</summary>
    public const string OutputName = "regami_dr";

    public static string ToYaml(string json, string source, string environment)
    {
        JsonNode root;
        try { root = JsonNode.Parse(json) ?? throw new TerraformOutputsException($"{source}: empty JSON"); }
        catch (JsonException e) { throw new TerraformOutputsException($"{source}: not JSON ({e.Message}); give it what `terraform output -json` prints"); }
        var o = new Reader(source, root[OutputName]?["value"]
            ?? throw new TerraformOutputsException($"{source}: no output {OutputName} (is this `terraform output -json` of deploy/terraform, after `terraform apply`?)"), $"{OutputName}.value");

        var primary = o.Text("primary_region");
        var standby = o.Text("standby_region");
        var hc = o.Child("health_check");
        var route53 = o.Child("route53");
        var sns = o.Child("sns");
        var regions = o.Child("regions");
        var backup = o.Child("backup");
        var database = o.Child("database");
        static string Q(string s) => JsonSerializer.Serialize(s);   // a JSON string is a YAML double-quoted scalar

        var y = new StringBuilder();
        y.Append(CultureInfo.InvariantCulture, $$"""
            # regami-dr.yaml for provider: aws, written by `regami-dr config from-terraform` from {{Path.GetFileName(source)}}
            # (deploy/terraform's output {{OutputName}}). The plan's numbers are the defaults below; review, then
            # `regami-dr config check --config FILE` and `regami-dr doctor --config FILE`.
            provider: aws
            environment: {{Q(environment)}}
            regions:
              - { name: {{primary}}, role: primary }
              - { name: {{standby}}, role: standby }
            targets: { rto: 15m, rpo: 5m }
            replication: { mode: async }            # RDS cross-region read replicas are asynchronous
            compute: { activeInstances: 2, standbyInstances: 0, maxInstances: 8 }
            healthCheck: { requestInterval: {{o.Whole(hc, "request_interval_seconds")}}s, failureThreshold: {{o.Whole(hc, "failure_threshold")}}, timeout: 4s, path: {{Q(hc.Text("path"))}} }
            rpoGuard: { maxLag: 5m, maxSampleAge: 2m }   # ReplicaLag is published once a minute
            controller:
              cooldown: 15m
            cost:
              replicaInstanceClass: {{Q(database.Text("instance_class"))}}
              storageGb: {{o.Whole(database, "allocated_storage_gb")}}
            aws:
              account: {{Q(o.Text("account"))}}
              allowedRegions: [{{string.Join(", ", o.Texts("allowed_regions"))}}]
              backupPlanId: {{Q(backup.Text("plan_id"))}}
              route53AlarmTopic: {{Q(sns.Text("route53_alarm"))}}
              route53:
                hostedZoneId: {{Q(route53.Text("hosted_zone_id"))}}
                recordName: {{Q(route53.Text("record_name"))}}
                ttl: {{o.Whole(route53, "ttl_seconds")}}s
              sns:
                sev1: {{Q(sns.Text("sev1"))}}
                sev2: {{Q(sns.Text("sev2"))}}
                sev3: {{Q(sns.Text("sev3"))}}
              regions:

            """);
        foreach (var name in new[] { primary, standby })
        {
            var r = regions.Child(name);
            y.Append(CultureInfo.InvariantCulture, $$"""
                    {{name}}:
                      dbInstance: {{Q(r.Text("db_instance"))}}
                      kmsKeyId: {{Q(r.Text("kms_key_id"))}}
                      dbSecurityGroups: [{{string.Join(", ", r.Texts("db_security_groups").Select(Q))}}]
                      fenceSecurityGroup: {{Q(r.Text("fence_security_group"))}}
                      ecsCluster: {{Q(r.Text("ecs_cluster"))}}
                      ecsService: {{Q(r.Text("ecs_service"))}}
                      loadBalancer: {{Q(r.Text("load_balancer"))}}
                      healthCheckId: {{Q(r.Text("health_check_id"))}}
                      uploadsBucket: {{Q(r.Text("uploads_bucket"))}}

                """);
        }
        var yaml = y.ToString().ReplaceLineEndings("\n");
        // What is printed must be a configuration regami-dr accepts: parse and validate it here.
        var doc = ConfigDocument.Parse(yaml, $"(from {source})");
        AwsProvider.Section(doc, DrConfiguration.From(doc));
        return yaml;
    }

    /// <summary>Reads fields of one JSON object, each missing or mistyped one named by its path.</summary>
    private sealed class Reader(string source, JsonNode node, string path)
    {
        private JsonNode Field(string name) =>
            node[name] ?? throw new TerraformOutputsException($"{source}: {path}.{name} is missing (is deploy/terraform older than this regami-dr? re-apply it)");

        public Reader Child(string name) => new(source, Field(name), $"{path}.{name}");

        public string Text(string name) => Field(name) is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s
            : throw new TerraformOutputsException($"{source}: {path}.{name} must be a non-empty string");

        public IReadOnlyList<string> Texts(string name) => Field(name) is JsonArray a && a.All(x => x is JsonValue v && v.TryGetValue<string>(out _))
            ? a.Select(x => x!.GetValue<string>()).ToList()
            : throw new TerraformOutputsException($"{source}: {path}.{name} must be a list of strings");

        public long Whole(Reader child, string name) => child.Number(name);

        private long Number(string name) => Field(name) is JsonValue v && v.TryGetValue<double>(out var d) && d == Math.Floor(d) && d >= 0 ? (long)d
            : Field(name) is JsonValue s && s.TryGetValue<string>(out var text) && long.TryParse(text, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n
            : throw new TerraformOutputsException($"{source}: {path}.{name} must be a whole number");
    }
}
