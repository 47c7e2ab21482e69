using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Providers;

namespace Regami.Dr.Aws.Ports;

/// <summary>
/// Compute on ECS: the region's service, scaled with <c>update-service --desired-count</c> and
/// observed with <c>describe-services</c>. "Healthy" is ECS's running count: a task counts once
/// ECS runs it (with a load balancer attached, ECS keeps a task running only while it passes the
/// target group's health check).
/// </summary>
public sealed class EcsComputePort(AwsContext aws, int activeInstances, int standbyInstances) : IComputePort
{
    public int ActiveInstances => activeInstances;
    public int StandbyInstances => standbyInstances;

    public async Task<ComputeObservation> ObserveAsync(string region, CancellationToken ct)
    {
        var call = aws.Commands.DescribeService(region);
        var body = await aws.CallAsync(call, ct);
        var service = body["services"]?.AsArray().FirstOrDefault();
        if (service is null)
        {
            var reason = body["failures"]?[0]?["reason"]?.GetValue<string>() ?? "not returned";
            var r = aws.Section.Region(region);
            throw new ProviderException($"ServiceNotFoundException: ECS service {r.EcsService} in cluster {r.EcsCluster} ({region}): {reason}") { ExitCode = 2 };
        }
        var desired = service["desiredCount"]?.GetValue<int>() ?? 0;
        var running = service["runningCount"]?.GetValue<int>() ?? 0;
        return new ComputeObservation(desired, running, running, LoadBalancerHealthy: running > 0 && running >= desired);
    }

    public async Task<string> ScaleAsync(string region, int desired, CancellationToken ct)
    {
        var before = await ObserveAsync(region, ct);
        if (before.Desired == desired) return $"ECS service in {region} already at desired {desired} ({before.Running} running)";
        var what = await aws.ActAsync(aws.Commands.ScaleService(region, desired), ct);
        return $"ECS service in {region}: desired {before.Desired} → {desired} ({what})";
    }
}
