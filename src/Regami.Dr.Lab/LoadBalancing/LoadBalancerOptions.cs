namespace Regami.Dr.Lab.LoadBalancing;

/// <summary>
/// Settings of one region's load balancer (the lab's stand-in for an AWS ALB).
/// </summary>
/// <param name="Region">Region name, e.g. <c>eu-west-3</c>; echoed in 503 bodies and <c>/_lb/status</c>.</param>
/// <param name="ListenUrl">Where Kestrel listens, e.g. <c>http://127.0.0.2:8080</c> (port 0 = pick a free port).</param>
/// <param name="InstancesFile">
/// JSON file listing the region's API instances:
/// <c>{"instances":[{"id":"eu-west-3-1","url":"http://127.0.0.2:8081"}]}</c>.
/// A missing file or an empty list means no instances (every request gets 503).
/// </param>
public sealed record LoadBalancerOptions(string Region, string ListenUrl, string InstancesFile)
{
    /// <summary>Active health check period (YARP active health check, ConsecutiveFailures with threshold 1).</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Timeout of one active health probe.</summary>
    public TimeSpan HealthCheckTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Process-level health path of an instance; may carry a query (<c>/health?x=y</c>).</summary>
    public string HealthCheckPath { get; init; } = "/health";

    /// <summary>How often the instances file is re-read.</summary>
    public TimeSpan ReloadInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Idle timeout of a proxied request (no bytes from the instance for this long = 504).
    /// An ALB's default idle timeout is 60 s.
    /// </summary>
    public TimeSpan RequestIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long graceful shutdown waits for in-flight requests.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
