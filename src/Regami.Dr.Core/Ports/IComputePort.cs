namespace Regami.Dr.Core.Ports;

public sealed record ComputeObservation(int Desired, int Running, int Healthy, bool LoadBalancerHealthy);

/// <summary>The compute service of each region (lab: API processes behind a YARP load balancer; AWS: ECS).</summary>
public interface IComputePort
{
    /// <summary>How many instances the region that takes traffic runs.</summary>
    int ActiveInstances { get; }

    /// <summary>How many instances a standby region runs.</summary>
    int StandbyInstances { get; }

    /// <summary>How many healthy instances a runbook waits for before traffic moves there (compute.readyInstances); default all.</summary>
    int ReadyInstances => ActiveInstances;

    Task<ComputeObservation> ObserveAsync(string region, CancellationToken ct);

    Task<string> ScaleAsync(string region, int desired, CancellationToken ct);

    /// <summary>
    /// Fencing: no instance of the region serves any more (desired 0). Unlike a scale-down it need
    /// not wait out in-flight requests: on a hung database they hang until their own timeouts and
    /// would hold the failover that long, and their answers are moot once the region is fenced (a
    /// cut request's write is "unknown" to its client, never a lost acknowledgement). The default
    /// scales to 0, which is what a provider without a faster stop does (ECS drains by itself).
    /// </summary>
    Task<string> FenceAsync(string region, CancellationToken ct) => ScaleAsync(region, 0, ct);
}
