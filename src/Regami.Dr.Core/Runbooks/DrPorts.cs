using Regami.Dr.Core.Ports;

namespace Regami.Dr.Core.Runbooks;

/// <summary>The provider's capabilities a runbook acts through.</summary>
public sealed record DrPorts(IDatabasePort Database, IComputePort Compute, ITrafficPort Traffic, ITopologyPort Topology, ILagMemory Lag);

/// <summary>
/// The RPO guard's limits (the plan's RPO: 5 min): the one policy both the controller's
/// automatic failovers and `regami-dr failover` apply, bound from <c>rpoGuard:</c>.
/// </summary>
public sealed record RpoGuardPolicy
{
    /// <summary>Largest last-known replica lag at which a failover may go ahead without --force.</summary>
    public TimeSpan MaxLag { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A second bound in bytes (lag in seconds lies on an idle primary, bytes do not).</summary>
    public long MaxLagBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>A lag sample older than this does not count as known.</summary>
    public TimeSpan MaxSampleAge { get; init; } = TimeSpan.FromMinutes(10);

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
    public TimeSpan ComputeTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan CatchUpTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Failback switches back only once the rebuilt replica is at most this far behind.</summary>
    public long CaughtUpBytes { get; init; } = 1024 * 1024;
}
