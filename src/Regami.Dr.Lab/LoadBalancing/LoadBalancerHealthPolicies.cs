using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Regami.Dr.Lab.LoadBalancing;

/// <summary>
/// ALB-like target selection: only destinations whose active probe has passed get traffic
/// (a newly registered target is "initial" until its first successful probe), and never one
/// the passive check has just seen failing. No panic mode: when nothing qualifies the
/// load balancer answers 503.
/// </summary>
/// <remarks>
/// YARP's default policy is <c>HealthyOrPanic</c>, which sends traffic to every destination
/// when all are unhealthy (a 502 instead of the 503 we want), and <c>HealthyAndUnknown</c>
/// would route to a just-added instance before any probe ran.
/// </remarks>
internal sealed class HealthyOnlyDestinationsPolicy : IAvailableDestinationsPolicy
{
    public const string PolicyName = "RegamiHealthyOnly";

    public string Name => PolicyName;

    public IReadOnlyList<DestinationState> GetAvailalableDestinations(ClusterConfig config, IReadOnlyList<DestinationState> allDestinations)
    {
        var available = new List<DestinationState>(allDestinations.Count);
        foreach (var destination in allDestinations)
        {
            if (IsAvailable(destination))
            {
                available.Add(destination);
            }
        }

        return available;
    }

    public static bool IsAvailable(DestinationState destination)
        => destination.Health.Active == DestinationHealth.Healthy
           && destination.Health.Passive != DestinationHealth.Unhealthy;
}

/// <summary>
/// Passive health check that takes a destination out of rotation on the first transport
/// failure (connection refused, reset, timeout) of a proxied request, for the cluster's
/// reactivation period. YARP's <c>TransportFailureRate</c> needs at least 10 requests in its
/// window, too slow for the lab's low traffic.
/// </summary>
internal sealed class FirstFailurePassivePolicy(IDestinationHealthUpdater healthUpdater) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "RegamiFirstFailure";

    private static readonly TimeSpan DefaultReactivationPeriod = TimeSpan.FromSeconds(1);

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        if (!IsDestinationFailure(context))
        {
            return;
        }

        var period = cluster.Model.Config.HealthCheck?.Passive?.ReactivationPeriod ?? DefaultReactivationPeriod;
        healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, period);
    }

    internal static bool IsDestinationFailure(HttpContext context)
    {
        var error = context.Features.Get<IForwarderErrorFeature>()?.Error;
        if (error is null || context.RequestAborted.IsCancellationRequested)
        {
            // No error, or the client went away: not the destination's fault.
            return false;
        }

        return error is ForwarderError.Request
            or ForwarderError.RequestTimedOut
            or ForwarderError.RequestBodyDestination
            or ForwarderError.ResponseBodyDestination
            or ForwarderError.UpgradeRequestDestination
            or ForwarderError.UpgradeResponseDestination;
    }
}
