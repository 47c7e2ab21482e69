using Regami.Dr.Core.Ports;

namespace Regami.Dr.Core.Runbooks;

/// <summary>The provider's capabilities a runbook acts through.</summary>
public sealed record DrPorts(IDatabasePort Database, IComputePort Compute, ITrafficPort Traffic, ITopologyPort Topology, ILagMemory Lag);

/// <summary>The RPO guard's limits (the plan's RPO: 5 min) and the runbooks' waits.</summary>
public sealed record FailoverPolicy
{
    /// <summary>Largest last-known replica lag at which a failover may go ahead without --force.</summary>
    public TimeSpan MaxLagOnFailover { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A second bound in bytes (lag in seconds lies on an idle primary, bytes do not).</summary>
    public long MaxLagBytesOnFailover { get; init; } = 256L * 1024 * 1024;

    /// <summary>A lag sample older than this does not count as known.</summary>
    public TimeSpan MaxLagSampleAge { get; init; } = TimeSpan.FromMinutes(10);

    public TimeSpan PromoteTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan ComputeTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan CatchUpTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Failback switches back only once the rebuilt replica is at most this far behind.</summary>
    public long CaughtUpBytes { get; init; } = 1024 * 1024;

    public IEnumerable<string> Validate()
    {
        if (MaxLagOnFailover < TimeSpan.Zero) yield return "maxLagOnFailover must not be negative";
        if (MaxLagBytesOnFailover < 0) yield return "maxLagBytesOnFailover must not be negative";
    }
}
