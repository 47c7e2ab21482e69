using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Controller;

/// <summary>
/// The heart of the controller, as a pure function: an observation and the policy in, one
/// decision out. Every branch is named by the situation it handles (like Patroni's HA cycle),
/// and every guard's verdict is kept, so a refused or taken failover can be explained.
/// </summary>
public static class FailoverDecision
{
    public const string PrimaryDownKey = "primary-down";
    public const string StandbyDownKey = "standby-down";

    /// <summary>The alert key of the one situation the product exists to prevent: two databases accepting writes.</summary>
    public const string TwoWritersKey = "two-writable-databases";

    /// <summary>The RPO guard's name among a decision's guards (as audited).</summary>
    public const string RpoGuardName = "rpo";

    public static Decision Decide(ControllerObservation o, ControllerPolicy policy)
    {
        if (!o.HoldsLease)
            return Wait($"another controller holds the lease ({o.LeaseHolder ?? "unknown"}); observing only");
        if (o.RunbookInProgress is { } run)
            return Wait($"runbook {run} is in progress; not deciding until it ends");

        // The single-writer rule, checked continuously and not only inside runbooks: two databases
        // that accept writes is split brain, whatever the recorded roles say. Never a failover
        // (that could only make it worse): a Sev1 naming both, for a human to fence one.
        var writers = o.Regions.Where(r => r.Database.Writable).Select(r => r.Region).ToList();
        if (writers.Count > 1)
            return Alert(Severity.Sev1, TwoWritersKey,
                $"split brain: {string.Join(" and ", writers)} both accept writes; fence the one that must not (`regami-dr failover --to <the other>` fences it first) and compare their data");

        var primary = o.Primary;
        if (primary is null)
            return Alert(Severity.Sev1, PrimaryDownKey, "no region is recorded as primary: a human must decide (failover or failback)");

        var standby = o.StandbyCandidate;
        var resolves = new List<string> { TwoWritersKey };
        var standbyProblem = standby is null ? "there is no standby region"
            : standby.RecordedRole == RegionRole.Fenced ? $"{standby.Region} is fenced after a failover (run `regami-dr failback`)"
            : !standby.Database.Reachable ? $"the standby database {standby.Region} is unreachable ({standby.Database.Error})"
            : !standby.Database.InRecovery ? $"the standby database {standby.Region} is not in recovery"
            : null;

        if (primary.Healthy)
        {
            resolves.Add(PrimaryDownKey);
            if (standbyProblem is not null)
                return new Decision(new ControllerAction.Alert(Severity.Sev2, StandbyDownKey, $"degraded: {standbyProblem}"),
                    $"primary {primary.Region} healthy; degraded: {standbyProblem}", [], resolves);
            resolves.Add(StandbyDownKey);
            return new Decision(new ControllerAction.Wait(), $"primary {primary.Region} healthy ({primary.HealthDetail}); standby {standby!.Region} replicating", [], resolves);
        }

        // The primary failed its health checks: decide whether failing over is allowed.
        var down = $"primary {primary.Region} unhealthy from {primary.UnhealthyVantages}/{primary.Vantages} vantage point(s) ({primary.HealthDetail})";
        var guards = new List<GuardResult>
        {
            policy.AutomaticFailover
                ? GuardResult.Pass("automatic-failover", "automatic failover is enabled")
                : GuardResult.Refuse("automatic-failover", "automatic failover is disabled in the configuration"),
            standbyProblem is null
                ? GuardResult.Pass("standby-promotable", $"standby {standby!.Region} is a reachable replica")
                : GuardResult.Refuse("standby-promotable", standbyProblem),
            CooldownGuard(o, policy),
            RpoGuard(o, policy),
        };
        var refused = guards.Where(g => !g.Passed).ToList();
        if (refused.Count > 0)
        {
            var why = string.Join("; ", refused.Select(g => g.Reason));
            var title = refused.Any(g => g.Guard == RpoGuardName)
                ? $"failover refused by RPO guard: {down}; {why}; a human may run `regami-dr failover --force`"
                : $"outage: {down}; failover refused: {why}";
            return new Decision(new ControllerAction.Alert(Severity.Sev1, PrimaryDownKey, title), $"{down}; not failing over: {why}", guards, resolves);
        }
        return new Decision(new ControllerAction.Failover(primary.Region, standby!.Region),
            $"{down}; {string.Join("; ", guards.Select(g => g.Reason))}; failing over to {standby.Region}", guards, resolves);
    }

    private static GuardResult CooldownGuard(ControllerObservation o, ControllerPolicy policy)
    {
        if (o.LastFailoverAt is not { } last) return GuardResult.Pass("cooldown", "no earlier failover");
        var since = o.At - last;
        return since >= policy.Cooldown
            ? GuardResult.Pass("cooldown", $"last failover {since.TotalSeconds:0} s ago ≥ cooldown {policy.Cooldown.TotalSeconds:0} s")
            : GuardResult.Refuse("cooldown", $"last failover only {since.TotalSeconds:0} s ago (cooldown {policy.Cooldown.TotalSeconds:0} s): not flapping back and forth");
    }

    private static GuardResult RpoGuard(ControllerObservation o, ControllerPolicy policy)
    {
        var verdict = RpoGuardDecision.Evaluate(o.LastKnownLag, o.At, policy.RpoGuard);
        return verdict.Pass ? GuardResult.Pass(RpoGuardName, verdict.Reason) : GuardResult.Refuse(RpoGuardName, verdict.Reason);
    }

    private static Decision Wait(string situation) => new(new ControllerAction.Wait(), situation, [], []);

    private static Decision Alert(Severity severity, string key, string title) =>
        new(new ControllerAction.Alert(severity, key, title), title, [], []);
}
