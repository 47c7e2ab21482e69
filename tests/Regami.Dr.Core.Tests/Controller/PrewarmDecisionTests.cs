using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Tests.Controller;

public sealed class PrewarmDecisionTests
{
    private static readonly ControllerPolicy Policy = new() { PrewarmOnSuspect = true, PrewarmHold = TimeSpan.FromSeconds(30) };
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
    private readonly RegionHealth health;

    public PrewarmDecisionTests() => health = new RegionHealth(failureThreshold: 3, unhealthyShare: 0.5, time);

    private static DatabaseObservation Db(string region, bool reachable = true, bool inRecovery = false) =>
        new(region, reachable, reachable, inRecovery, reachable && !inRecovery, "0/3000000", 0, 0, true, reachable ? null : "connection refused");

    private void Probe(bool ok) => health.Record(new ProbeResult("eu-west-3", "local", ok, ok ? "HTTP 200" : "HTTP 503"));

    private ControllerObservation Observe(string primary = "eu-west-3", bool standbyUp = true, RegionRole standbyRole = RegionRole.Standby, string? runbook = null, bool lease = true)
    {
        var p = health.Verdict("eu-west-3");
        var other = primary == "eu-west-3" ? "eu-central-1" : "eu-west-3";
        return new ControllerObservation(time.GetUtcNow(),
        [
            new RegionView(primary, RegionRole.Primary, p.Healthy, p.UnhealthyVantages, p.Vantages, p.Detail, Db(primary)) { Suspect = p.Suspect },
            new RegionView(other, standbyRole, true, 0, 1, "HTTP 200", Db(other, reachable: standbyUp, inRecovery: true)),
        ], null, runbook, null, lease, null);
    }

    [Fact]
    public void The_first_failed_check_starts_the_standbys_compute_long_before_the_threshold_fails_over()
    {
        Probe(ok: true);
        Assert.IsType<PrewarmAction.Keep>(PrewarmDecision.Decide(Observe(), Policy, null, TimeSpan.FromMinutes(1)));
        Probe(ok: false); // one failure of three: still healthy, but suspect
        var o = Observe();
        Assert.True(o.Primary!.Healthy);
        Assert.False(FailoverDecision.Decide(o, Policy).IsFailover);
        var start = Assert.IsType<PrewarmAction.Start>(PrewarmDecision.Decide(o, Policy, null, TimeSpan.Zero));
        Assert.Equal("eu-central-1", start.Region);
        Assert.Contains("suspect", start.Reason);
        // Pre-warmed already: nothing more while it stays suspect.
        Assert.IsType<PrewarmAction.Keep>(PrewarmDecision.Decide(o, Policy, "eu-central-1", TimeSpan.Zero));
    }

    [Fact]
    public void It_is_scaled_back_only_after_the_primary_is_calm_for_the_hold_and_adopted_when_a_failover_used_it()
    {
        Probe(ok: true);
        var calm = Observe();
        Assert.IsType<PrewarmAction.Keep>(PrewarmDecision.Decide(calm, Policy, "eu-central-1", TimeSpan.FromSeconds(29)));
        var stop = Assert.IsType<PrewarmAction.Stop>(PrewarmDecision.Decide(calm, Policy, "eu-central-1", TimeSpan.FromSeconds(30)));
        Assert.Equal("eu-central-1", stop.Region);
        // A runbook running (the failover itself): nothing is scaled.
        Assert.IsType<PrewarmAction.Keep>(PrewarmDecision.Decide(Observe(runbook: "failover-1"), Policy, "eu-central-1", TimeSpan.FromMinutes(5)));
        // The failover made eu-central-1 the primary: its compute is the primary's now.
        Assert.IsType<PrewarmAction.Adopted>(PrewarmDecision.Decide(Observe(primary: "eu-central-1"), Policy, "eu-central-1", TimeSpan.FromMinutes(5)));
    }

    [Theory]
    [InlineData("no-standby-db")]
    [InlineData("fenced-standby")]
    [InlineData("runbook")]
    [InlineData("follower")]
    [InlineData("disabled")]
    public void Nothing_is_pre_warmed_where_no_failover_could_follow(string situation)
    {
        Probe(ok: false);
        var o = situation switch
        {
            "no-standby-db" => Observe(standbyUp: false),
            "fenced-standby" => Observe(standbyRole: RegionRole.Fenced),
            "runbook" => Observe(runbook: "switchover-1"),
            "follower" => Observe(lease: false),
            _ => Observe(),
        };
        var policy = situation == "disabled" ? Policy with { PrewarmOnSuspect = false } : Policy;
        Assert.IsType<PrewarmAction.Keep>(PrewarmDecision.Decide(o, policy, null, TimeSpan.Zero));
    }
}
