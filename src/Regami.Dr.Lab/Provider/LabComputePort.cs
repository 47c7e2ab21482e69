using Regami.Dr.Core.Ports;
using Regami.Dr.Lab.Processes;

namespace Regami.Dr.Lab.Provider;

/// <summary>The lab's compute: API processes per region behind the region's load balancer.</summary>
public sealed class LabComputePort(LabEnvironment env) : IComputePort
{
    public int ActiveInstances => env.Options.Compute.ActiveInstances;
    public int StandbyInstances => env.Options.Compute.StandbyInstances;
    public int ReadyInstances => Math.Clamp(env.Options.Compute.ReadyInstances, 1, ActiveInstances);

    public async Task<ComputeObservation> ObserveAsync(string region, CancellationToken ct)
    {
        var state = env.Store.Load();
        var rs = state?.Regions.GetValueOrDefault(region);
        if (rs is null) return new ComputeObservation(0, 0, 0, false);
        var alive = rs.Instances.Where(i => i.Pid is { } p && Posix.IsAlive(p)).ToList();
        var health = await Task.WhenAll(alive.Select(i => LabSupervisor.StatusCodeAsync(i.Url + "/health", ct)));
        var lbHealthy = rs.LoadBalancer is { } lb && Posix.IsAlive(lb.Pid)
            && await LabSupervisor.StatusCodeAsync(lb.Url + env.Options.HealthCheck.Path, ct) == 200;
        return new ComputeObservation(rs.DesiredInstances, alive.Count, health.Count(c => c == 200), lbHealthy);
    }

    public async Task<string> ScaleAsync(string region, int desired, CancellationToken ct)
    {
        var (started, stopped) = await new LabSupervisor(env).ScaleAsync(region, desired, ct);
        return $"{region} compute desired {desired} (started {started}, stopped {stopped})";
    }

    /// <summary>Each instance gets <see cref="FenceGrace"/> to finish its requests, then is killed.</summary>
    public async Task<string> FenceAsync(string region, CancellationToken ct)
    {
        var (started, stopped) = await new LabSupervisor(env).ScaleAsync(region, 0, ct, FenceGrace);
        return $"{region} compute desired 0 (started {started}, stopped {stopped}; {FenceGrace.TotalSeconds:0.#} s for in-flight requests)";
    }

    /// <summary>Enough for a request on a live database (milliseconds); a hung one's would wait 2 s and more.</summary>
    public static readonly TimeSpan FenceGrace = TimeSpan.FromSeconds(0.5);
}
