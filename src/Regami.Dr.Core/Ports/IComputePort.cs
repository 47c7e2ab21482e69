namespace Regami.Dr.Core.Ports;

public sealed record ComputeObservation(int Desired, int Running, int Healthy, bool LoadBalancerHealthy);

/// <summary>The compute service of each region (lab: API processes behind a YARP load balancer; AWS: ECS).</summary>
public interface IComputePort
{
    /// <summary>How many instances the region that takes traffic runs.</summary>
    int ActiveInstances { get; }

    /// <summary>How many instances a standby region runs.</summary>
    int StandbyInstances { get; }

    Task<ComputeObservation> ObserveAsync(string region, CancellationToken ct);

    Task<string> ScaleAsync(string region, int desired, CancellationToken ct);
}
