using Regami.Dr.Lab.Configuration;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Core.Tests.Configuration;

public sealed class LabOptionsLoaderTests
{
    [Fact]
    public void The_embedded_defaults_are_the_lab_of_the_design()
    {
        var o = LabOptionsLoader.Load(null);
        Assert.Equal("eu-west-3", o.PrimaryRegion.Name);
        Assert.Equal("127.0.0.2", o.PrimaryRegion.Address);
        Assert.Equal("eu-central-1", o.StandbyRegion.Name);
        Assert.Equal("127.0.0.3", o.StandbyRegion.Address);
        Assert.Equal(5432, o.Ports.Postgres);
        Assert.Equal(8080, o.Ports.LoadBalancer);
        Assert.Equal(2, o.Compute.ActiveInstances);
        Assert.Equal(0, o.Compute.StandbyInstances);
        Assert.Equal("api.regami.test", o.Dns.FullName);
        Assert.Equal(5353, o.Dns.Port);
        Assert.Equal(1, o.Dns.TtlSeconds);
        Assert.Equal((1.0, 3, 1.0), (o.HealthCheck.IntervalSeconds, o.HealthCheck.FailureThreshold, o.HealthCheck.TimeoutSeconds));
    }

    [Fact]
    public void A_partial_file_overrides_only_what_it_names()
    {
        var o = LabOptionsLoader.Parse("dns:\n  ttlSeconds: 5\nhealthCheck:\n  failureThreshold: 2\n", "lab.yaml");
        Assert.Equal(5, o.Dns.TtlSeconds);
        Assert.Equal(2, o.HealthCheck.FailureThreshold);
        Assert.Equal(5353, o.Dns.Port);
        Assert.Equal(2, o.Regions.Count);
    }

    [Theory]
    [InlineData("healthCheck:\n  failureThreshold: 0\n", 2, "healthCheck.failureThreshold")]
    [InlineData("dns:\n  port: 53\n", 2, "dns.port")]
    [InlineData("replication:\n  mode: semi\n", 2, "replication.mode")]
    [InlineData("regions:\n  - name: a\n    role: primary\n    address: 127.0.0.2\n  - name: b\n    role: standby\n    address: 10.0.0.3\n", 7, "regions[1].address")]
    [InlineData("regions:\n  - name: a\n    role: primary\n    address: 127.0.0.2\n  - name: b\n    role: primary\n    address: 127.0.0.3\n", 1, "regions")]
    [InlineData("compute:\n  activeInstances: 0\n", 2, "compute.activeInstances")]
    public void An_invalid_value_names_file_line_and_field(string yaml, int line, string field)
    {
        var e = Assert.Throws<ConfigurationException>(() => LabOptionsLoader.Parse(yaml, "/etc/regami/lab.yaml"));
        Assert.Equal("/etc/regami/lab.yaml", e.File);
        Assert.Equal(line, e.Line);
        Assert.Equal(field, e.Field);
        Assert.StartsWith($"/etc/regami/lab.yaml:{line}: field '{field}': ", e.Message);
    }

    [Fact]
    public void An_unknown_key_names_its_line_and_the_key()
    {
        var e = Assert.Throws<ConfigurationException>(() => LabOptionsLoader.Parse("dns:\n  port: 5353\n  tll: 3\n", "lab.yaml"));
        Assert.Equal(3, e.Line);
        Assert.Equal("tll", e.Field);
    }

    [Fact]
    public void Broken_yaml_syntax_names_its_line()
    {
        var e = Assert.Throws<ConfigurationException>(() => LabOptionsLoader.Parse("dns:\n  port: 5353\n   ttlSeconds: [1\n", "lab.yaml"));
        Assert.NotNull(e.Line);
        Assert.InRange(e.Line!.Value, 2, 4);
    }

    [Fact]
    public void A_missing_file_is_reported_with_its_path()
    {
        var e = Assert.Throws<ConfigurationException>(() => LabOptionsLoader.Load("/nonexistent/lab.yaml"));
        Assert.Contains("/nonexistent/lab.yaml", e.Message);
        Assert.Contains("not found", e.Message);
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
        Assert.Equal(expected, LabPaths.DefaultRoot(flag, k => env.GetValueOrDefault(k), isRoot));
    }
}
