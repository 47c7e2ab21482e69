using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Controller;

/// <summary>What the controller does with the standby region's compute this tick (<see cref="PrewarmDecision"/>).</summary>
public abstract record PrewarmAction(string Reason)
{
    /// <summary>Nothing to do.</summary>
    public sealed record Keep(string Reason) : PrewarmAction(Reason);

    /// <summary>Start <paramref name="Region"/>'s compute (the standby of a suspect primary).</summary>
    public sealed record Start(string Region, string Reason) : PrewarmAction(Reason);

    /// <summary>Scale <paramref name="Region"/>'s compute back to its standby size: the primary is calm again.</summary>
    public sealed record Stop(string Region, string Reason) : PrewarmAction(Reason);

    /// <summary>The pre-warmed region became the primary (a failover used the compute): forget the pre-warm, scale nothing.</summary>
    public sealed record Adopted(string Region, string Reason) : PrewarmAction(Reason);
}

/// <summary>
/// The standby compute pre-warm as a pure function: the observation, the policy, what is pre-warmed and for
/// how long the primary has been calm in; one action out. A failover started from zero pays the API's start-up
/// (≈ 3 s on the lab) after detection; started at the first failed check it overlaps detection instead.
/// </summary>
public static class PrewarmDecision
{
    /// <param name="prewarmed">The region whose compute this controller started and has not scaled back; null when none.</param>
    /// <param name="calmFor">How long the primary has passed every probe (zero while it is suspect).</param>
    public static PrewarmAction Decide(ControllerObservation o, ControllerPolicy policy, string? prewarmed, TimeSpan calmFor)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(policy);
        var primary = o.Primary;
        if (prewarmed is not null)
        {
            if (primary?.Region == prewarmed) return new PrewarmAction.Adopted(prewarmed, $"{prewarmed} became the primary: its pre-warmed compute serves it");
            if (!o.HoldsLease || o.RunbookInProgress is not null) return new PrewarmAction.Keep("a runbook runs or another controller leads: the compute stays as it is");
            if (primary is { Healthy: true, Suspect: false } && calmFor >= policy.PrewarmHold)
                return new PrewarmAction.Stop(prewarmed, $"primary {primary.Region} passed every check for {calmFor.TotalSeconds:0} s (hold {policy.PrewarmHold.TotalSeconds:0} s): {prewarmed}'s compute back to standby size");
            return new PrewarmAction.Keep($"{prewarmed}'s compute stays up: the primary is not calm for {policy.PrewarmHold.TotalSeconds:0} s yet");
        }
        if (!policy.PrewarmOnSuspect || !policy.AutomaticFailover) return new PrewarmAction.Keep("pre-warm off");
        if (!o.HoldsLease || o.RunbookInProgress is not null || primary is null) return new PrewarmAction.Keep("not deciding");
        if (primary is { Healthy: true, Suspect: false }) return new PrewarmAction.Keep("primary calm");
        // Only a standby a failover could promote: pre-warming in front of a dead or fenced database buys nothing.
        if (o.StandbyCandidate is not { RecordedRole: RegionRole.Standby, Database: { Reachable: true, InRecovery: true } } standby)
            return new PrewarmAction.Keep("no promotable standby to pre-warm");
        return new PrewarmAction.Start(standby.Region,
            $"primary {primary.Region} is suspect ({primary.HealthDetail}): starting {standby.Region}'s compute while detection goes on");
    }
}
