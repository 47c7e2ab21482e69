using CsCheck;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Tests.Controller;

/// <summary>
/// Invariants of the controller's pure decision (<see cref="FailoverDecision.Decide"/>) over
/// generated observations: two regions with any recorded roles, health, databases, last known lag,
/// runbook, lease and cooldown, and any policy. Whatever the inputs, an automatic failover needs
/// every guard: the lease, no runbook, an unhealthy primary, a reachable replica that is not fenced,
/// automatic failover on, the cooldown over, and the RPO guard passing on the configured policy.
/// </summary>
public sealed class FailoverDecisionPropertyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private const int Iterations = 5_000;

    private static readonly Gen<RegionRole> GenRole =
        Gen.Frequency<RegionRole>((4, Gen.Const(RegionRole.Primary)), (4, Gen.Const(RegionRole.Standby)), (1, Gen.Const(RegionRole.Fenced)),
            (1, Gen.Const(RegionRole.Down)), (1, Gen.Const(RegionRole.Unknown)));

    private static Gen<RegionView> GenRegion(string name) =>
        Gen.Select(GenRole, Gen.Bool, Gen.Bool, Gen.Bool, (role, healthy, reachable, inRecovery) =>
            new RegionView(name, role, healthy, healthy ? 0 : 1, 1, healthy ? "HTTP 200" : "HTTP 503",
                new DatabaseObservation(name, reachable, reachable, inRecovery, reachable && !inRecovery, "0/3000000", 0, 0, true, reachable ? null : "connection refused")));

    private static readonly Gen<LagSample?> GenLag =
        Gen.Select(Gen.Frequency<long?>((2, Gen.Const<long?>(0)), (2, Gen.Long[1, 1_000_000].Select(b => (long?)b)), (1, Gen.Const((long?)null))),
                Gen.Frequency<double?>((3, Gen.Int[0, 600].Select(s => (double?)s)), (1, Gen.Const((double?)null))),
                Gen.Int[0, 900], Gen.OneOf<bool?>(true, false, null),
                (bytes, seconds, age, streaming) => (LagSample?)new LagSample(Now.AddSeconds(-age), "eu-west-3", "eu-central-1", bytes, seconds, streaming))
            .Null(0.1);

    private static readonly Gen<ControllerObservation> GenObservation =
        Gen.Select(GenRegion("eu-west-3"), GenRegion("eu-central-1"), GenLag, Gen.OneOf<string?>(null, null, "failover-1"),
            Gen.Int[0, 3600].Select(s => Now.AddSeconds(-s)).Nullable(0.5), Gen.Frequency<bool>((4, Gen.Const(true)), (1, Gen.Const(false))),
            (a, b, lag, runbook, lastFailover, lease) =>
                new ControllerObservation(Now, [a, b], lag, runbook, lastFailover, lease, lease ? null : "controller@elsewhere"));

    private static readonly Gen<ControllerPolicy> GenPolicy =
        Gen.Select(Gen.Frequency<bool>((4, Gen.Const(true)), (1, Gen.Const(false))), Gen.Int[0, 1800], Gen.Int[0, 600], Gen.Long[0, 1_000_000], Gen.Int[1, 900],
            (automatic, cooldown, maxLag, maxBytes, maxAge) => new ControllerPolicy
            {
                AutomaticFailover = automatic,
                Cooldown = TimeSpan.FromSeconds(cooldown),
                RpoGuard = new RpoGuardPolicy { MaxLag = TimeSpan.FromSeconds(maxLag), MaxLagBytes = maxBytes, MaxSampleAge = TimeSpan.FromSeconds(maxAge) },
            });

    private static string Show(ControllerObservation o, ControllerPolicy p) =>
        $"{string.Join("; ", o.Regions.Select(r => $"{r.Region} {r.RecordedRole} healthy={r.Healthy} reachable={r.Database.Reachable} inRecovery={r.Database.InRecovery}"))}; " +
        $"lag={o.LastKnownLag}; runbook={o.RunbookInProgress}; lastFailover={o.LastFailoverAt}; lease={o.HoldsLease}; policy={p}";

    [Fact]
    public void A_failover_happens_only_with_every_guard_passed()
    {
        Gen.Select(GenObservation, GenPolicy).Sample((o, policy) =>
        {
            var d = FailoverDecision.Decide(o, policy);
            if (d.Action is not ControllerAction.Failover f) return true;
            var primary = o.Primary;
            var target = o.Regions.Single(r => r.Region == f.To);
            return o.HoldsLease && o.RunbookInProgress is null
                && policy.AutomaticFailover
                && primary is not null && f.From == primary.Region && !primary.Healthy
                && f.To != f.From && target.RecordedRole is not (RegionRole.Primary or RegionRole.Fenced)
                && target.Database.Reachable && target.Database.InRecovery
                && (o.LastFailoverAt is not { } last || o.At - last >= policy.Cooldown)
                && RpoGuardDecision.Evaluate(o.LastKnownLag, o.At, policy.RpoGuard).Pass
                && d.Guards.Count > 0 && d.Guards.All(g => g.Passed);
        }, iter: Iterations, print: t => Show(t.Item1, t.Item2));
    }

    [Fact]
    public void Without_the_lease_or_during_a_runbook_it_only_waits()
    {
        Gen.Select(GenObservation, GenPolicy).Sample((o, policy) =>
            (o.HoldsLease && o.RunbookInProgress is null) || FailoverDecision.Decide(o, policy).Action is ControllerAction.Wait,
            iter: Iterations, print: t => Show(t.Item1, t.Item2));
    }

    [Fact]
    public void A_healthy_primary_is_never_failed_over()
    {
        Gen.Select(GenObservation, GenPolicy).Sample((o, policy) =>
            o.Primary is not { Healthy: true } || !FailoverDecision.Decide(o, policy).IsFailover,
            iter: Iterations, print: t => Show(t.Item1, t.Item2));
    }

    [Fact]
    public void When_only_the_rpo_guard_stands_in_the_way_it_raises_sev1_naming_the_guard_and_force()
    {
        Gen.Select(GenObservation, GenPolicy).Sample((o, policy) =>
        {
            var d = FailoverDecision.Decide(o, policy);
            var rpo = d.Guards.SingleOrDefault(g => g.Guard == FailoverDecision.RpoGuardName);
            if (rpo is null || rpo.Passed) return true;
            return d.Action is ControllerAction.Alert { Severity: Severity.Sev1 } alert
                && alert.Title.Contains("RPO guard", StringComparison.Ordinal) && alert.Title.Contains("--force", StringComparison.Ordinal)
                && alert.Title.Contains(rpo.Reason, StringComparison.Ordinal)
                && rpo.Reason == RpoGuardDecision.Evaluate(o.LastKnownLag, o.At, policy.RpoGuard).Reason;
        }, iter: Iterations, print: t => Show(t.Item1, t.Item2));
    }
}
