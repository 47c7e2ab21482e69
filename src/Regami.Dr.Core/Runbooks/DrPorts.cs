using Regami.Dr.Core.Ports;

namespace Regami.Dr.Core.Runbooks;

/// <summary>The provider's capabilities a runbook acts through.</summary>
public sealed record DrPorts(IDatabasePort Database, IComputePort Compute, ITrafficPort Traffic, ITopologyPort Topology, ILagMemory Lag);

/// <summary>
/// The RPO guard's limits (the plan's RPO: 5 min): the one policy both the controller's
/// automatic failovers and `regami-dr failover` apply, bound from <c>rpoGuard:</c> and from
/// nowhere else. <see cref="RpoGuardDecision"/> applies it.
/// </summary>
public sealed record RpoGuardPolicy
{
    /// <summary>
    /// The RPO: largest data at risk at which a failover may go ahead without --force. The data at
    /// risk is the lag measured plus the sample's age (everything written since it was taken).
    /// </summary>
    public TimeSpan MaxLag { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A second bound in bytes (lag in seconds lies on an idle primary, bytes do not).</summary>
    public long MaxLagBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// A lag sample older than this does not count as known. At most <see cref="MaxLag"/> by
    /// default; a larger value counts only up to <see cref="MaxLag"/> (see <see cref="SampleAgeLimit"/>).
    /// </summary>
    public TimeSpan MaxSampleAge { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The sample age the guard applies: min(<see cref="MaxSampleAge"/>, <see cref="MaxLag"/>).
    /// A minimum rather than a validation error (maxSampleAge ≤ maxLag) because a file that only
    /// tightens <c>maxLag</c> (say 30s, as the legacy lab converter writes) must not be rejected
    /// for a <c>maxSampleAge</c> it never set; and since the age is counted into the bound, a sample
    /// older than <c>maxLag</c> could never pass anyway: the minimum only makes the refusal say
    /// "too old" rather than "exceeds".
    /// </summary>
    [YamlDotNet.Serialization.YamlIgnore]
    public TimeSpan SampleAgeLimit => MaxSampleAge < MaxLag ? MaxSampleAge : MaxLag;

    public IEnumerable<string> Validate()
    {
        if (MaxLag < TimeSpan.Zero) yield return "maxLag must not be negative";
        if (MaxLagBytes < 0) yield return "maxLagBytes must not be negative";
        if (MaxSampleAge <= TimeSpan.Zero) yield return "maxSampleAge must be greater than 0";
    }
}

/// <summary>The runbooks' guard policy and waits.</summary>
public sealed record FailoverPolicy
{
    public RpoGuardPolicy RpoGuard { get; init; } = new();

    public TimeSpan PromoteTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a guard step (reads only: target reachable, RPO, single writer) may take; a cloud API needs more than the lab's loopback.</summary>
    public TimeSpan GuardTimeout { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan ComputeTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan CatchUpTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Failback switches back only once the rebuilt replica is at most this far behind.</summary>
    public long CaughtUpBytes { get; init; } = 1024 * 1024;
}
