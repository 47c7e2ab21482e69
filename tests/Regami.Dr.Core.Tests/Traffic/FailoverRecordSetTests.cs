using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Traffic;

namespace Regami.Dr.Core.Tests.Traffic;

public class FailoverRecordSetTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
    private readonly HealthCheckStatus _primaryCheck;
    private readonly HealthCheckStatus _secondaryCheck;

    private static readonly FailoverRecordSet Api = new(
        "api.regami.test",
        TimeSpan.FromSeconds(1),
        new FailoverRecord("eu-west-3", "127.0.0.2", "hc-primary"),
        new FailoverRecord("eu-central-1", "127.0.0.3", "hc-secondary"));

    public FailoverRecordSetTests()
    {
        _primaryCheck = new HealthCheckStatus("hc-primary", 3, _time);
        _secondaryCheck = new HealthCheckStatus("hc-secondary", 3, _time);
    }

    private Dictionary<string, HealthCheckSnapshot> Checks() => new()
    {
        ["hc-primary"] = _primaryCheck.Current,
        ["hc-secondary"] = _secondaryCheck.Current,
    };

    private void Fail(HealthCheckStatus check, int times = 3)
    {
        for (var i = 0; i < times; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            check.RecordFailure("HTTP 503 Service Unavailable");
        }
    }

    private void Pass(HealthCheckStatus check, int times = 3)
    {
        for (var i = 0; i < times; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            check.RecordSuccess("HTTP 200 OK");
        }
    }

    [Fact]
    public void Healthy_primary_is_answered()
    {
        var answer = Api.Resolve(Checks());

        Assert.Equal(FailoverSituation.PrimaryHealthy, answer.Situation);
        Assert.Equal(FailoverRole.Primary, answer.Role);
        Assert.Equal(("eu-west-3", "127.0.0.2"), (answer.Region, answer.Address));
        Assert.Equal("api.regami.test", answer.Name);
        Assert.Equal(1, answer.TtlSeconds);
        Assert.Equal("primary eu-west-3 healthy (no check completed yet; a new health check starts healthy) → answering primary", answer.Reason);
    }

    [Fact]
    public void Primary_stays_answered_below_the_threshold()
    {
        Fail(_primaryCheck, times: 2);

        var answer = Api.Resolve(Checks());

        Assert.Equal(FailoverRole.Primary, answer.Role);
        Assert.StartsWith("primary eu-west-3 healthy (2/3 failed checks", answer.Reason);
    }

    [Fact]
    public void Unhealthy_primary_with_healthy_secondary_answers_secondary()
    {
        Fail(_primaryCheck);

        var answer = Api.Resolve(Checks());

        Assert.Equal(FailoverSituation.PrimaryUnhealthy, answer.Situation);
        Assert.Equal(("eu-central-1", "127.0.0.3"), (answer.Region, answer.Address));
        Assert.Equal(
            "primary eu-west-3 unhealthy (3/3 failed checks; last: HTTP 503 Service Unavailable), "
            + "secondary eu-central-1 healthy (no check completed yet; a new health check starts healthy) → answering secondary",
            answer.Reason);
        Assert.False(answer.Primary.IsHealthy);
        Assert.True(answer.Secondary.IsHealthy);
    }

    [Fact]
    public void Primary_is_answered_again_after_threshold_successes()
    {
        Fail(_primaryCheck);
        Pass(_primaryCheck, times: 2);
        Assert.Equal(FailoverRole.Secondary, Api.Resolve(Checks()).Role);

        Pass(_primaryCheck, times: 1);

        Assert.Equal(FailoverRole.Primary, Api.Resolve(Checks()).Role);
    }

    [Fact]
    public void All_unhealthy_answers_as_if_all_were_healthy_that_is_the_primary()
    {
        Fail(_primaryCheck);
        Fail(_secondaryCheck);

        var answer = Api.Resolve(Checks());

        Assert.Equal(FailoverSituation.AllUnhealthy, answer.Situation);
        Assert.Equal(("eu-west-3", "127.0.0.2"), (answer.Region, answer.Address));
        Assert.EndsWith("all records unhealthy → Route 53 answers as if all were healthy → primary", answer.Reason);
        Assert.Contains("secondary eu-central-1 unhealthy (3/3 failed checks", answer.Reason);
    }

    [Fact]
    public void Record_without_health_check_counts_as_healthy()
    {
        var set = Api with { Secondary = Api.Secondary with { HealthCheckId = null } };
        Fail(_primaryCheck);

        var answer = set.Resolve(Checks());

        Assert.Equal(FailoverRole.Secondary, answer.Role);
        Assert.True(answer.Secondary.IsHealthy);
        Assert.Null(answer.Secondary.HealthCheck);
        Assert.Contains("secondary eu-central-1 healthy (no health check: always healthy)", answer.Reason);
    }

    [Fact]
    public void Primary_without_health_check_is_always_answered()
    {
        var set = Api with { Primary = Api.Primary with { HealthCheckId = null } };
        Fail(_secondaryCheck);

        Assert.Equal(FailoverSituation.PrimaryHealthy, set.Resolve(Checks()).Situation);
    }

    [Fact]
    public void Health_check_without_status_counts_as_healthy()
    {
        var answer = Api.Resolve(_ => null);

        Assert.Equal(FailoverRole.Primary, answer.Role);
        Assert.Contains("health check 'hc-primary' has no status yet: treated as healthy", answer.Reason);
    }

    [Fact]
    public void Routing_control_off_makes_a_healthy_primary_count_as_unhealthy()
    {
        var controls = new Dictionary<string, bool> { ["eu-west-3"] = false, ["eu-central-1"] = true };

        var answer = Api.Resolve(Checks(), controls);

        Assert.Equal(FailoverSituation.PrimaryUnhealthy, answer.Situation);
        Assert.Equal("eu-central-1", answer.Region);
        Assert.StartsWith("primary eu-west-3 unhealthy (routing control off), secondary eu-central-1 healthy", answer.Reason);
        Assert.False(answer.Primary.RoutingControlOn);
        Assert.True(answer.Primary.HealthCheck!.IsHealthy);
    }

    [Fact]
    public void Routing_control_back_on_returns_traffic_to_the_primary()
    {
        Assert.Equal("eu-central-1", Api.Resolve(Checks(), new Dictionary<string, bool> { ["eu-west-3"] = false }).Region);

        Assert.Equal("eu-west-3", Api.Resolve(Checks(), new Dictionary<string, bool> { ["eu-west-3"] = true }).Region);
    }

    [Fact]
    public void Routing_control_on_does_not_make_an_unhealthy_record_healthy()
    {
        Fail(_primaryCheck);

        var answer = Api.Resolve(Checks(), new Dictionary<string, bool> { ["eu-west-3"] = true });

        Assert.Equal("eu-central-1", answer.Region);
    }

    [Fact]
    public void Regions_missing_from_the_routing_controls_are_on()
    {
        var answer = Api.Resolve(Checks(), new Dictionary<string, bool> { ["us-east-1"] = false });

        Assert.Equal(FailoverSituation.PrimaryHealthy, answer.Situation);
        Assert.True(answer.Secondary.RoutingControlOn);
    }

    [Fact]
    public void Secondary_switched_off_while_primary_is_down_falls_back_to_all_unhealthy_rule()
    {
        Fail(_primaryCheck);

        var answer = Api.Resolve(Checks(), new Dictionary<string, bool> { ["eu-central-1"] = false });

        Assert.Equal(FailoverSituation.AllUnhealthy, answer.Situation);
        Assert.Equal("eu-west-3", answer.Region);
    }

    [Fact]
    public void Every_routing_control_off_fails_open_to_the_primary()
    {
        var answer = Api.Resolve(Checks(), new Dictionary<string, bool> { ["eu-west-3"] = false, ["eu-central-1"] = false });

        Assert.Equal(FailoverSituation.AllUnhealthy, answer.Situation);
        Assert.Equal("eu-west-3", answer.Region);
    }

    [Fact]
    public void Ttl_on_the_wire_is_whole_seconds_rounded_up()
    {
        Assert.Equal(1, (Api with { Ttl = TimeSpan.FromMilliseconds(200) }).TtlSeconds);
        Assert.Equal(60, (Api with { Ttl = TimeSpan.FromMinutes(1) }).TtlSeconds);
    }

    [Fact]
    public void Valid_record_set_has_no_errors()
    {
        Assert.Empty(Api.Validate());
    }

    [Fact]
    public void Validation_names_each_bad_field()
    {
        var bad = new FailoverRecordSet("api.regami.test.", TimeSpan.FromSeconds(-1),
            new FailoverRecord("eu-west-3", "::1"), new FailoverRecord("eu-west-3", "not-an-ip"));

        var errors = bad.Validate();

        Assert.Contains(errors, e => e.StartsWith("record name must be a domain name without the trailing dot"));
        Assert.Contains(errors, e => e.StartsWith("ttl must be between 0 and 86400 s"));
        Assert.Contains(errors, e => e.StartsWith("primary record address must be an IPv4 address (found '::1')"));
        Assert.Contains(errors, e => e.StartsWith("secondary record address must be an IPv4 address (found 'not-an-ip')"));
        Assert.Contains(errors, e => e.StartsWith("primary and secondary records must be in different regions"));
    }
}
