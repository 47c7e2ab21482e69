using NJsonSchema;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Topology;
using Regami.Dr.Lab.Configuration;
using Regami.Dr.Server.Notifications;
using Regami.Dr.Store;

namespace Regami.Dr.Core.Tests.Configuration;

public sealed class ConfigurationTests
{
    private static (DrConfiguration Config, LabOptions Lab) Load(string yaml, string file = "regami-dr.yaml")
    {
        var doc = ConfigDocument.Parse(yaml, file);
        var config = DrConfiguration.From(doc);
        return (config, LabOptions.From(doc, config));
    }

    [Fact]
    public void The_embedded_defaults_are_the_lab_of_the_design()
    {
        var o = LabOptions.Defaults();
        Assert.Equal("lab", o.Config.Provider);
        Assert.Equal(("eu-west-3", "127.0.0.2"), (o.PrimaryRegion.Name, o.PrimaryRegion.Address));
        Assert.Equal(("eu-central-1", "127.0.0.3"), (o.StandbyRegion.Name, o.StandbyRegion.Address));
        Assert.Equal((5432, 8080), (o.Ports.Postgres, o.Ports.LoadBalancer));
        Assert.Equal((2, 0), (o.Compute.ActiveInstances, o.Compute.StandbyInstances));
        Assert.Equal(("api.regami.test", 5353, 1), (o.Dns.FullName, o.Dns.Port, o.Dns.TtlSeconds));
        Assert.Equal((TimeSpan.FromSeconds(1), 3, TimeSpan.FromSeconds(1)), (o.HealthCheck.RequestInterval, o.HealthCheck.FailureThreshold, o.HealthCheck.Timeout));
        Assert.Equal(TimeSpan.FromSeconds(60), o.Controller.Cooldown);
        Assert.Equal((TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(5)), (o.Config.Targets.Rto, o.Config.Targets.Rpo));
    }

    [Fact]
    public void A_partial_file_overrides_only_what_it_names()
    {
        var (c, lab) = Load("lab:\n  dns:\n    ttlSeconds: 5\nhealthCheck:\n  failureThreshold: 2\ncontroller:\n  interval: 500ms\n");
        Assert.Equal(5, lab.Dns.TtlSeconds);
        Assert.Equal(5353, lab.Dns.Port);
        Assert.Equal(2, c.HealthCheck.FailureThreshold);
        Assert.Equal(TimeSpan.FromMilliseconds(500), c.Controller.Interval);
        // A lab controller section that leaves out the cooldown keeps the lab's, not the plan's 15 minutes.
        Assert.Equal(TimeSpan.FromSeconds(60), c.Controller.Cooldown);
        Assert.Equal(2, lab.Regions.Count);
    }

    [Theory]
    [InlineData("healthCheck:\n  failureThreshold: 0\n", 2, "healthCheck.failureThreshold")]
    [InlineData("lab:\n  dns:\n    port: 53\n", 3, "lab.dns.port")]
    [InlineData("replication:\n  mode: semi\n", 2, "replication.mode")]
    [InlineData("regions:\n  - name: a\n    role: primary\n  - name: b\n    role: standby\nlab:\n  addresses:\n    a: 127.0.0.2\n    b: 10.0.0.3\n", 9, "lab.addresses.b")]
    [InlineData("regions:\n  - name: a\n    role: primary\n  - name: b\n    role: primary\n", 1, "regions")]
    [InlineData("compute:\n  activeInstances: 0\n", 2, "compute.activeInstances")]
    [InlineData("compute:\n  activeInstances: 2\n  readyInstances: 3\n", 3, "compute.readyInstances")]
    [InlineData("compute:\n  readyInstances: 0\n", 2, "compute.readyInstances")]
    [InlineData("controller:\n  lease: zookeeper\n", 2, "controller.lease")]
    [InlineData("rpoGuard:\n  maxLag: soon\n", 2, "rpoGuard.maxLag")]
    [InlineData("backups:\n  retention:\n    daily: 7 days\n", 3, "backups.retention.daily")]
    [InlineData("backups:\n  schedules:\n    daily: \"0 3 * *\"\n", 3, "backups.schedules.daily")]
    public void An_invalid_value_names_file_line_and_field(string yaml, int line, string? field)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(yaml, "/etc/regami/regami-dr.yaml"));
        Assert.Equal("/etc/regami/regami-dr.yaml", e.File);
        Assert.Equal(line, e.Line);
        Assert.Equal(field, e.Field);
        Assert.StartsWith($"/etc/regami/regami-dr.yaml:{line}: ", e.Message);
    }

    [Theory]
    [InlineData("lab:\n  dns:\n    port: 5353\n    tll: 3\n", 4, "lab.dns.tll")]
    [InlineData("healthCheck:\n  intervalSecs: 3\n", 2, "healthCheck.intervalSecs")]
    [InlineData("provider: lab\nfailoverr: true\n", 2, "failoverr")]
    public void An_unknown_key_names_its_line_and_its_path(string yaml, int line, string field)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(yaml));
        Assert.Equal(line, e.Line);
        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void A_wrong_type_names_its_line()
    {
        var e = Assert.Throws<ConfigurationException>(() => Load("compute:\n  activeInstances: two\n"));
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Broken_yaml_syntax_names_its_line()
    {
        var e = Assert.Throws<ConfigurationException>(() => Load("lab:\n  dns:\n    port: 5353\n     ttlSeconds: [1\n"));
        Assert.NotNull(e.Line);
        Assert.InRange(e.Line!.Value, 3, 5);
    }

    [Fact]
    public void The_aws_provider_without_its_section_is_refused_naming_the_section()
    {
        var doc = ConfigDocument.Parse("provider: aws\n", "x.yaml");
        var config = DrConfiguration.From(doc);
        var e = Assert.Throws<ConfigurationException>(() => Regami.Dr.Aws.AwsProvider.Section(doc, config));
        Assert.Equal("aws", e.Field);
        Assert.Contains("needs an aws: section", e.Message);
    }

    [Fact]
    public void An_unknown_provider_is_named()
    {
        var e = Assert.Throws<ConfigurationException>(() => Load("provider: gcp\n"));
        Assert.Equal("provider", e.Field);
        Assert.Contains("lab, aws", e.Message);
    }

    [Fact]
    public void The_notifications_bind_to_their_options_type_and_validate_located()
    {
        var doc = ConfigDocument.Parse("notifications:\n  repeatInterval: 2m\n  contacts:\n    - name: ic\n      role: incident commander\n      email: ic@regami.example\n", "r.yaml");
        var n = NotificationConfiguration.From(doc, "lab");
        Assert.Equal(TimeSpan.FromMinutes(2), n.RepeatInterval);
        Assert.Equal(("ic", "incident commander", "ic@regami.example"), (n.Contacts[0].Name, n.Contacts[0].Role, n.Contacts[0].Email));

        var bad = ConfigDocument.Parse("notifications:\n  chatWebhooks:\n    ops: not-a-url\n", "r.yaml");
        var e = Assert.Throws<ConfigurationException>(() => NotificationConfiguration.From(bad, "lab"));
        Assert.Equal("notifications.chatWebhooks.ops", e.Field);
        Assert.Equal(3, e.Line);
        Assert.DoesNotContain("not-a-url", e.Message); // the URL is the secret
    }

    [Fact]
    public void A_lab_file_in_the_old_layout_converts_to_the_same_values()
    {
        const string old = """
            regions:
              - name: eu-west-3
                role: primary
                address: 127.0.9.2
              - name: eu-central-1
                role: standby
                address: 127.0.9.3
            dns:
              address: 127.0.9.1
              port: 5353
            healthCheck:
              intervalSeconds: 2
              timeoutSeconds: 1.5
            controller:
              cooldownSeconds: 5
              maxLagOnFailoverSeconds: 30
              port: 7999
            timeouts:
              labUpSeconds: 90
            notifications:
              repeatSeconds: 10
            """;
        Assert.True(LegacyLabConfig.IsLegacy(old));
        var converted = LegacyLabConfig.Convert(old);
        Assert.False(LegacyLabConfig.IsLegacy(converted));
        var (c, lab) = Load(converted);
        Assert.Equal("127.0.9.2", lab.PrimaryRegion.Address);
        Assert.Equal("127.0.9.1", lab.Dns.Address);
        Assert.Equal(TimeSpan.FromSeconds(2), c.HealthCheck.RequestInterval);
        Assert.Equal(TimeSpan.FromSeconds(1.5), c.HealthCheck.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(5), c.Controller.Cooldown);
        Assert.Equal(TimeSpan.FromSeconds(30), c.RpoGuard.MaxLag);
        Assert.Equal(7999, lab.Lab.Controller.Port);
        Assert.Equal(TimeSpan.FromSeconds(90), lab.Timeouts.LabUp);
        Assert.Equal(TimeSpan.FromSeconds(10), NotificationConfiguration.From(ConfigDocument.Parse(converted, "c.yaml"), "lab").RepeatInterval);
    }

    [Fact]
    public void A_new_layout_file_is_not_taken_for_the_old_one()
    {
        Assert.False(LegacyLabConfig.IsLegacy(File.ReadAllText(Path.Combine(Drills.DrillTestKit.RepoRoot(), "docs", "regami-dr.example.yaml"))));
    }

    [Fact]
    public void Failover_runbooks_use_the_configured_rpo_guard_not_built_in_defaults()
    {
        var (c, _) = Load("rpoGuard:\n  maxLag: 42s\n  maxLagBytes: 1048576\n");
        var catalog = new RunbookCatalog(new DrPorts(null!, new TwoInstances(), new FiveSecondSwitch(), null!, null!), c.FailoverPolicy);
        var topology = new TopologySnapshot(["eu-west-3", "eu-central-1"],
            new Dictionary<string, RegionRole> { ["eu-west-3"] = RegionRole.Primary, ["eu-central-1"] = RegionRole.Standby }, ReplicationMode.Async, "eu-west-3");
        var runbook = catalog.Choose(new RunbookAsk(FailoverRunbook.Kind), topology).Runbook!;
        var guard = runbook.Steps.Single(s => s.Name == "rpo-guard");
        Assert.Contains("plus the sample's age ≤ 42 s, ≤ 1 MiB, sampled within 42 s", guard.Description);
        // The controller's decision applies the very same policy.
        Assert.Equal(c.RpoGuard, c.Controller.RpoGuard);
    }

    [Fact]
    public void The_catalog_says_when_there_is_nothing_to_do_and_refuses_unknown_regions()
    {
        var catalog = new RunbookCatalog(new DrPorts(null!, new TwoInstances(), new FiveSecondSwitch(), null!, null!), new FailoverPolicy());
        var topology = new TopologySnapshot(["a", "b"], new Dictionary<string, RegionRole> { ["a"] = RegionRole.Primary, ["b"] = RegionRole.Standby }, ReplicationMode.Async, "a");
        Assert.Equal("a is already the primary", catalog.Choose(new RunbookAsk(SwitchoverRunbook.Kind, "a"), topology).NothingToDo);
        var e = Assert.Throws<RunbookRequestException>(() => catalog.Choose(new RunbookAsk(FailoverRunbook.Kind, "c"), topology));
        Assert.False(e.Unsafe);
    }

    [Fact]
    public void Drills_are_judged_against_the_configured_plan_unless_the_scenario_or_the_command_line_says_otherwise()
    {
        var (c, _) = Load("targets:\n  rto: 10m\n  rpo: 1m\n");
        var outage = Regami.Dr.Core.Drills.DrillScenario.Find("region-outage")!;
        Assert.Equal(new Regami.Dr.Core.Drills.DrillTargets(600, 60), outage.TargetsWith(c.Targets, null, null));
        Assert.Equal(new Regami.Dr.Core.Drills.DrillTargets(30, 60), outage.TargetsWith(c.Targets, TimeSpan.FromSeconds(30), null));
        // A planned switchover promises no loss, whatever RPO the plan tolerates.
        Assert.Equal(new Regami.Dr.Core.Drills.DrillTargets(600, 0), Regami.Dr.Core.Drills.DrillScenario.Find("planned-switchover")!.TargetsWith(c.Targets, null, null));
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData("250ms", 0.25)]
    [InlineData("90", 90)]
    [InlineData("PT15M", 900)]
    public void Durations_read_as_people_write_them(string text, double seconds)
    {
        Assert.True(DurationText.TryParse(text, out var value));
        Assert.Equal(seconds, value.TotalSeconds, 6);
        Assert.True(DurationText.TryParse(DurationText.Format(value), out var back));
        Assert.Equal(value, back);
    }

    [Theory]
    [InlineData(null, null, null, false, "/home/u/.local/state/regami-dr")]
    [InlineData(null, null, "/xdg", false, "/xdg/regami-dr")]
    [InlineData(null, "/from-env", "/xdg", false, "/from-env")]
    [InlineData("/explicit", "/from-env", "/xdg", true, "/explicit")]
    [InlineData(null, null, "/xdg", true, "/var/lib/regami-dr")]
    public void The_state_directory_follows_flag_then_env_then_xdg_with_a_root_default_postgres_can_reach(
        string? flag, string? envState, string? xdg, bool isRoot, string expected)
    {
        var env = new Dictionary<string, string?> { ["REGAMI_DR_STATE"] = envState, ["XDG_STATE_HOME"] = xdg, ["HOME"] = "/home/u" };
        Assert.Equal(expected, StateDirectory.Resolve(flag, k => env.GetValueOrDefault(k), isRoot));
    }

    [Fact]
    public async Task The_example_file_is_valid_against_the_schema_and_the_loader()
    {
        var root = Drills.DrillTestKit.RepoRoot();
        var schema = await JsonSchema.FromFileAsync(Path.Combine(root, "schemas", "regami-dr.schema.json"));
        var yaml = File.ReadAllText(Path.Combine(root, "docs", "regami-dr.example.yaml"));
        var tree = new YamlDotNet.Serialization.DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build().Deserialize<object>(yaml);
        Assert.Empty(schema.Validate(Newtonsoft.Json.JsonConvert.SerializeObject(tree)));
        var (c, lab) = Load(yaml);
        Assert.Equal(LabOptions.Defaults().PrimaryRegion, lab.PrimaryRegion);
        Assert.Equal(4, NotificationConfiguration.From(ConfigDocument.Parse(yaml, "x"), c.Provider).Contacts.Count);
    }

    [Fact]
    public async Task The_aws_production_profile_is_valid_against_the_schema_and_the_aws_loader_with_the_plans_numbers()
    {
        var root = Drills.DrillTestKit.RepoRoot();
        var schema = await JsonSchema.FromFileAsync(Path.Combine(root, "schemas", "regami-dr.schema.json"));
        var path = Path.Combine(root, "docs", "examples", "regami-dr.aws.yaml");
        var yaml = File.ReadAllText(path);
        var tree = new YamlDotNet.Serialization.DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build().Deserialize<object>(yaml);
        Assert.Empty(schema.Validate(Newtonsoft.Json.JsonConvert.SerializeObject(tree)));
        var doc = ConfigDocument.Parse(yaml, path);
        var c = DrConfiguration.From(doc);
        var aws = Regami.Dr.Aws.AwsProvider.Section(doc, c);
        Assert.Equal(("aws", "eu-west-3", "eu-central-1"), (c.Provider, c.PrimaryRegion.Name, c.StandbyRegion.Name));
        Assert.Equal((TimeSpan.FromSeconds(30), 3, "/health?check=db"), (c.HealthCheck.RequestInterval, c.HealthCheck.FailureThreshold, c.HealthCheck.Path));
        Assert.Equal((TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(5)), (c.Targets.Rto, c.Targets.Rpo));
        Assert.Equal(TimeSpan.FromMinutes(15), c.Controller.Cooldown);
        Assert.Equal(TimeSpan.FromSeconds(60), aws.Route53.Ttl);
        Assert.Equal(3, aws.Sns.Count);
    }

    [Fact]
    public async Task The_schema_names_exactly_the_keys_the_loader_binds()
    {
        var schema = await JsonSchema.FromFileAsync(Path.Combine(Drills.DrillTestKit.RepoRoot(), "schemas", "regami-dr.schema.json"));
        var inSchema = Keys(schema, "").ToHashSet();
        var bound = Bindable(typeof(DrConfiguration), "")
            .Concat(Bindable(typeof(NotificationOptions), "notifications."))
            .Concat(Bindable(typeof(LabSection), "lab."))
            .Concat(Bindable(typeof(Regami.Dr.Aws.Configuration.AwsSection), "aws."))
            .Append("notifications").Append("lab").Append("aws").ToHashSet();
        Assert.Empty(bound.Except(inSchema));
        Assert.Empty(inSchema.Except(bound));
    }

    private static IEnumerable<string> Keys(JsonSchema s, string prefix)
    {
        foreach (var (name, p) in s.ActualSchema.Properties)
        {
            yield return prefix + name;
            var target = p.ActualSchema.Type == JsonObjectType.Array ? p.ActualSchema.Item?.ActualSchema : p.ActualSchema;
            if (target is { Properties.Count: > 0 })
                foreach (var k in Keys(target, $"{prefix}{name}.")) yield return k;
        }
    }

    private static readonly HashSet<Type> Leaves = [typeof(string), typeof(TimeSpan), typeof(bool), typeof(int), typeof(long), typeof(double)];

    private static IEnumerable<string> Bindable(Type type, string prefix)
    {
        foreach (var p in type.GetProperties().Where(p => p.CanWrite && p.GetCustomAttributes(typeof(YamlDotNet.Serialization.YamlIgnoreAttribute), true).Length == 0))
        {
            var name = prefix + char.ToLowerInvariant(p.Name[0]) + p.Name[1..];
            yield return name;
            var t = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
            if (t.IsGenericType && t.GetGenericArguments().Length == 1 && typeof(System.Collections.IEnumerable).IsAssignableFrom(t)) t = t.GetGenericArguments()[0];
            if (Leaves.Contains(t) || t.IsEnum || t.Name.Contains("Dictionary")) continue;
            foreach (var k in Bindable(t, name + ".")) yield return k;
        }
    }

    /// <summary>Runbooks read the instance counts while they are built; nothing else is called here.</summary>
    private sealed class TwoInstances : IComputePort
    {
        public int ActiveInstances => 2;
        public int StandbyInstances => 0;
        public Task<ComputeObservation> ObserveAsync(string region, CancellationToken ct) => throw new NotSupportedException();
        public Task<string> ScaleAsync(string region, int desired, CancellationToken ct) => throw new NotSupportedException();
    }

    private sealed class FiveSecondSwitch : ITrafficPort
    {
        public TimeSpan WorstCaseSwitchTime => TimeSpan.FromSeconds(5);
        public Task<IReadOnlyDictionary<string, bool>> GetRoutingControlsAsync(CancellationToken ct) => throw new NotSupportedException();
        public Task SetRoutingControlAsync(string region, bool on, CancellationToken ct) => throw new NotSupportedException();
        public Task<string> MarkHealthyAsync(string region, string evidence, CancellationToken ct) => throw new NotSupportedException();
        public Task<string?> ResolveActiveRegionAsync(CancellationToken ct) => throw new NotSupportedException();
        public Task<PublicWriteResult> WriteThroughPublicNameAsync(string payload, CancellationToken ct) => throw new NotSupportedException();
    }
}
