using Regami.Dr.Core.Runbooks;
using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Tests.Controller;

public sealed class FailoverDecisionTests
{
    private static readonly ControllerPolicy Policy = new() { Cooldown = TimeSpan.FromMinutes(15), RpoGuard = new RpoGuardPolicy { MaxLag = TimeSpan.FromSeconds(300) } };
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    private static DatabaseObservation Db(string region, bool reachable = true, bool inRecovery = false) =>
        new(region, reachable, reachable, inRecovery, reachable && !inRecovery, "0/3000000", 0, 0, true, reachable ? null : "connection refused");

    private ControllerObservation Observe(RegionHealth health, LagSample? lag = null, DateTimeOffset? lastFailover = null, bool standbyUp = true,
        RegionRole standbyRole = RegionRole.Standby, bool lease = true, string? runbook = null)
    {
        var p = health.Verdict("eu-west-3");
        var s = health.Verdict("eu-central-1");
        return new ControllerObservation(time.GetUtcNow(),
        [
            new RegionView("eu-west-3", RegionRole.Primary, p.Healthy, p.UnhealthyVantages, p.Vantages, p.Detail, Db("eu-west-3", reachable: p.Healthy)),
            new RegionView("eu-central-1", standbyRole, s.Healthy, s.UnhealthyVantages, s.Vantages, s.Detail, Db("eu-central-1", reachable: standbyUp, inRecovery: true)),
        ], lag ?? FreshLag(), runbook, lastFailover, lease, lease ? null : "controller@eu-central-1");
    }

    private LagSample FreshLag(long bytes = 0, double seconds = 0) => new(time.GetUtcNow().AddSeconds(-1), "eu-west-3", "eu-central-1", bytes, seconds);

    private RegionHealth Health(int vantages = 1) => new(failureThreshold: 3, unhealthyShare: 0.5, time);

    private static void Probe(RegionHealth h, string region, bool ok, params string[] vantages)
    {
        foreach (var v in vantages.Length == 0 ? ["local"] : vantages) h.Record(new ProbeResult(region, v, ok, ok ? "HTTP 200" : "HTTP 503"));
    }

    [Fact]
    public void Two_writable_databases_are_a_sev1_naming_both_and_never_a_failover_and_the_alert_resolves_once_one_is_fenced()
    {
        var health = Health();
        Probe(health, "eu-west-3", ok: false);
        Probe(health, "eu-west-3", ok: false);
        Probe(health, "eu-west-3", ok: false);
        var o = Observe(health);
        var split = o with { Regions = [o.Regions[0] with { Database = Db("eu-west-3") }, o.Regions[1] with { Database = Db("eu-central-1") }] };

        var d = FailoverDecision.Decide(split, Policy);

        Assert.False(d.IsFailover);
        var alert = Assert.IsType<ControllerAction.Alert>(d.Action);
        Assert.Equal((Severity.Sev1, FailoverDecision.TwoWritersKey), (alert.Severity, alert.Key));
        Assert.Contains("eu-west-3 and eu-central-1 both accept writes", alert.Title);

        for (var i = 0; i < 3; i++) { Probe(health, "eu-west-3", ok: true); Probe(health, "eu-central-1", ok: true); }
        Assert.Contains(FailoverDecision.TwoWritersKey, FailoverDecision.Decide(Observe(health), Policy).Resolves);
    }

    [Fact]
    public void Flapping_health_that_never_reaches_the_threshold_never_fails_over()
    {
        var health = Health();
        var failovers = 0;
        // fail, fail, ok, fail, fail, ok ... for a minute of 1 s ticks: never 3 failures in a row.
        for (var tick = 0; tick < 60; tick++)
        {
            Probe(health, "eu-west-3", ok: tick % 3 == 2);
            Probe(health, "eu-central-1", ok: false);
            if (FailoverDecision.Decide(Observe(health), Policy).IsFailover) failovers++;
            time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(0, failovers);
    }

    [Fact]
    public void Reaching_the_threshold_fails_over_exactly_once_then_the_runbook_and_cooldown_hold_it()
    {
        var health = Health();
        var decisions = new List<Decision>();
        DateTimeOffset? lastFailover = null;
        for (var tick = 0; tick < 10; tick++)
        {
            Probe(health, "eu-west-3", ok: false);
            var d = FailoverDecision.Decide(Observe(health, lastFailover: lastFailover), Policy);
            decisions.Add(d);
            if (d.IsFailover) lastFailover = time.GetUtcNow(); // the act step records it
            time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(1, decisions.Count(d => d.IsFailover));
        Assert.Equal(2, decisions.FindIndex(d => d.IsFailover)); // third consecutive failure
        var failover = decisions.First(d => d.IsFailover);
        Assert.Equal(new ControllerAction.Failover("eu-west-3", "eu-central-1"), failover.Action);
        Assert.Contains("failing over to eu-central-1", failover.Situation);
        Assert.All(failover.Guards, g => Assert.True(g.Passed));
        Assert.Contains(decisions.Skip(3), d => d.Guards.Any(g => g.Guard == "cooldown" && !g.Passed));
    }

    [Fact]
    public void Lag_above_the_guard_refuses_and_raises_sev1_naming_the_rpo_guard()
    {
        var health = Health();
        for (var i = 0; i < 3; i++) Probe(health, "eu-west-3", ok: false);
        var d = FailoverDecision.Decide(Observe(health, lag: FreshLag(bytes: 5_000_000, seconds: 420)), Policy);
        var alert = Assert.IsType<ControllerAction.Alert>(d.Action);
        Assert.Equal(Severity.Sev1, alert.Severity);
        Assert.Contains("RPO guard", alert.Title);
        Assert.Contains("--force", alert.Title);
        Assert.Contains(d.Guards, g => g.Guard == "rpo" && !g.Passed && g.Reason.Contains("420"));
    }

    [Fact]
    public void Unknown_lag_is_refused_too() 
    {
        var health = Health();
        for (var i = 0; i < 3; i++) Probe(health, "eu-west-3", ok: false);
        var observation = Observe(health) with { LastKnownLag = null };
        Assert.False(FailoverDecision.Decide(observation, Policy).IsFailover);
    }

    [Fact]
    public void Within_the_cooldown_no_second_failover()
    {
        var health = Health();
        for (var i = 0; i < 3; i++) Probe(health, "eu-west-3", ok: false);
        var d = FailoverDecision.Decide(Observe(health, lastFailover: time.GetUtcNow().AddMinutes(-5)), Policy);
        Assert.False(d.IsFailover);
        Assert.Contains(d.Guards, g => g.Guard == "cooldown" && !g.Passed);
        var later = FailoverDecision.Decide(Observe(health, lastFailover: time.GetUtcNow().AddMinutes(-16)), Policy);
        Assert.True(later.IsFailover);
    }

    [Fact]
    public void Never_an_automatic_failback_to_a_fenced_region()
    {
        var health = Health();
        for (var i = 0; i < 3; i++) Probe(health, "eu-west-3", ok: false);
        var d = FailoverDecision.Decide(Observe(health, standbyRole: RegionRole.Fenced), Policy);
        Assert.False(d.IsFailover);
        Assert.Contains("fenced", d.Situation);
    }

    [Fact]
    public void Standby_down_with_a_healthy_primary_is_sev2_and_no_failover()
    {
        var health = Health();
        Probe(health, "eu-west-3", ok: true);
        var d = FailoverDecision.Decide(Observe(health, standbyUp: false), Policy);
        var alert = Assert.IsType<ControllerAction.Alert>(d.Action);
        Assert.Equal(Severity.Sev2, alert.Severity);
        Assert.Equal(FailoverDecision.StandbyDownKey, alert.Key);
    }

    [Fact]
    public void Primary_down_and_standby_down_is_sev1_outage_without_failover()
    {
        var health = Health();
        for (var i = 0; i < 3; i++) Probe(health, "eu-west-3", ok: false);
        var d = FailoverDecision.Decide(Observe(health, standbyUp: false), Policy);
        Assert.Equal(Severity.Sev1, Assert.IsType<ControllerAction.Alert>(d.Action).Severity);
        Assert.False(d.IsFailover);
    }

    [Fact]
    public void Without_the_lease_or_during_a_runbook_the_controller_only_observes()
    {
        var health = Health();
        for (var i = 0; i < 3; i++) Probe(health, "eu-west-3", ok: false);
        Assert.IsType<ControllerAction.Wait>(FailoverDecision.Decide(Observe(health, lease: false), Policy).Action);
        Assert.IsType<ControllerAction.Wait>(FailoverDecision.Decide(Observe(health, runbook: "failover-1"), Policy).Action);
    }

    [Fact]
    public void One_of_two_vantage_points_failing_is_not_enough_both_are()
    {
        var health = Health();
        for (var i = 0; i < 3; i++)
        {
            Probe(health, "eu-west-3", ok: false, "eu-central-1");
            Probe(health, "eu-west-3", ok: true, "eu-west-3");
        }
        Assert.False(FailoverDecision.Decide(Observe(health), Policy).IsFailover);
        for (var i = 0; i < 3; i++) Probe(health, "eu-west-3", ok: false, "eu-west-3");
        Assert.True(FailoverDecision.Decide(Observe(health), Policy).IsFailover);
    }

    [Fact]
    public void A_healthy_pair_resolves_earlier_alerts()
    {
        var health = Health();
        Probe(health, "eu-west-3", ok: true);
        var d = FailoverDecision.Decide(Observe(health), Policy);
        Assert.IsType<ControllerAction.Wait>(d.Action);
        Assert.Contains(FailoverDecision.PrimaryDownKey, d.Resolves);
        Assert.Contains(FailoverDecision.StandbyDownKey, d.Resolves);
    }
}

public sealed class RegionHealthTests
{
    [Fact]
    public void Reset_forgets_a_region_so_its_standby_history_does_not_count_once_it_is_primary()
    {
        var health = new RegionHealth(3, 0.5, new FakeTimeProvider());
        for (var i = 0; i < 5; i++) health.Record(new ProbeResult("eu-central-1", "local", false, "HTTP 503"));
        Assert.False(health.Verdict("eu-central-1").Healthy);
        health.Reset("eu-central-1");
        Assert.True(health.Verdict("eu-central-1").Healthy);
        health.Record(new ProbeResult("eu-central-1", "local", true, "HTTP 200"));
        Assert.True(health.Verdict("eu-central-1").Healthy);
    }

    // The verdict's rules, pinned before RegionHealth was re-indexed per region (issue 12 item 5):
    // these must hold whatever the bookkeeping looks like inside.

    [Fact]
    public void A_region_never_probed_is_healthy_and_says_so()
    {
        var health = new RegionHealth(3, 0.5, new FakeTimeProvider());
        health.Record(new ProbeResult("eu-west-3", "a", false, "HTTP 503"));
        var v = health.Verdict("eu-central-1");
        Assert.Equal(new RegionHealthVerdict("eu-central-1", true, 0, 0, "not probed yet"), v);
    }

    [Fact]
    public void A_region_is_unhealthy_only_when_more_than_the_share_of_its_vantages_say_so()
    {
        var health = new RegionHealth(1, 0.5, new FakeTimeProvider());
        string[] vantages = ["a", "b", "c", "d"];
        foreach (var v in vantages) health.Record(new ProbeResult("eu-west-3", v, v is "a" or "b", "x"));
        // 2 of 4 unhealthy: not more than half.
        Assert.Equal((true, 2, 4), (health.Verdict("eu-west-3").Healthy, health.Verdict("eu-west-3").UnhealthyVantages, health.Verdict("eu-west-3").Vantages));
        health.Record(new ProbeResult("eu-west-3", "a", false, "x"));
        Assert.Equal((false, 3, 4), (health.Verdict("eu-west-3").Healthy, health.Verdict("eu-west-3").UnhealthyVantages, health.Verdict("eu-west-3").Vantages));
    }

    [Fact]
    public void Regions_are_judged_on_their_own_vantages_only()
    {
        var health = new RegionHealth(1, 0.5, new FakeTimeProvider());
        foreach (var v in new[] { "a", "b", "c" }) health.Record(new ProbeResult("eu-west-3", v, false, "refused"));
        health.Record(new ProbeResult("eu-central-1", "a", true, "HTTP 200"));
        Assert.False(health.Verdict("eu-west-3").Healthy);
        var other = health.Verdict("eu-central-1");
        Assert.Equal((true, 0, 1, false), (other.Healthy, other.UnhealthyVantages, other.Vantages, other.Suspect));
        health.Reset("eu-west-3");
        Assert.Equal(0, health.Verdict("eu-west-3").Vantages);
        Assert.Equal(1, health.Verdict("eu-central-1").Vantages);
    }

    [Fact]
    public void The_detail_is_the_worst_vantage_unhealthy_first_then_most_failures_then_the_first_recorded()
    {
        var time = new FakeTimeProvider();
        var health = new RegionHealth(3, 0.5, time);
        health.Record(new ProbeResult("eu-west-3", "ok", true, "HTTP 200 OK in 1 ms"));
        health.Record(new ProbeResult("eu-west-3", "one", false, "first failure of one"));
        health.Record(new ProbeResult("eu-west-3", "two", false, "refused"));
        health.Record(new ProbeResult("eu-west-3", "two", false, "second failure of two"));
        health.Record(new ProbeResult("eu-west-3", "also-two", false, "refused"));
        health.Record(new ProbeResult("eu-west-3", "also-two", false, "second failure of also-two"));
        var v = health.Verdict("eu-west-3");
        // Healthy checks only: the one with most failures; of two with as many, the first recorded.
        Assert.Equal("healthy (2/3 failed checks; last: second failure of two)", v.Detail);
        Assert.True(v.Healthy);
        Assert.True(v.Suspect);

        for (var i = 0; i < 3; i++) health.Record(new ProbeResult("eu-west-3", "one", false, "timed out after 1000 ms"));
        // An unhealthy check comes before any healthy one, however many failures those have.
        Assert.Equal("unhealthy (4 failed checks in a row, threshold 3; last: timed out after 1000 ms)", health.Verdict("eu-west-3").Detail);
    }

    [Fact]
    public void A_region_is_suspect_while_any_vantage_latest_probe_failed()
    {
        var health = new RegionHealth(3, 0.5, new FakeTimeProvider());
        health.Record(new ProbeResult("eu-west-3", "a", true, "HTTP 200"));
        health.Record(new ProbeResult("eu-west-3", "b", true, "HTTP 200"));
        Assert.False(health.Verdict("eu-west-3").Suspect);
        health.Record(new ProbeResult("eu-west-3", "b", false, "refused"));
        Assert.True(health.Verdict("eu-west-3").Suspect);
        health.Record(new ProbeResult("eu-west-3", "b", true, "HTTP 200"));
        Assert.False(health.Verdict("eu-west-3").Suspect);
    }
}
