using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Regami.Dr.Lab.LoadBalancing;

/// <summary>
/// The per-region load balancer of the local lab: a Kestrel + YARP reverse proxy in front of
/// the region's API instances, with active (and passive) health checks, answering
/// <c>503 {"error":"no healthy instance","region":"..."}</c> when no instance is healthy.
/// Every path is proxied (including <c>/health?check=db</c>) except <c>/_lb/status</c>.
/// </summary>
public static class RegionalLoadBalancer
{
    /// <summary>Id of the single YARP cluster (the region's target group).</summary>
    public const string ClusterId = "region";

    /// <summary>Id of the catch-all YARP route.</summary>
    public const string RouteId = "all";

    /// <summary>The load balancer's own status endpoint (JSON); everything else is proxied.</summary>
    public const string StatusPath = "/_lb/status";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Runs the load balancer until <paramref name="ct"/> is cancelled (or the host is asked to
    /// stop, e.g. SIGTERM), then shuts down gracefully and releases the port. Returns normally
    /// on cancellation; throws if the address cannot be bound.
    /// </summary>
    public static async Task RunAsync(LoadBalancerOptions options, CancellationToken ct)
    {
        await using var app = Build(options);
        try
        {
            await app.StartAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }

        // Registers ct -> StopApplication, waits for it, then stops the host (Kestrel unbinds).
        await app.WaitForShutdownAsync(ct);
    }

    /// <summary>
    /// Builds (does not start) the load balancer application. Start it with
    /// <c>StartAsync</c>; with port 0 in <see cref="LoadBalancerOptions.ListenUrl"/> the bound
    /// address is in <c>app.Urls</c> after start. Dispose it to release the port.
    /// </summary>
    public static WebApplication Build(LoadBalancerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(RegionalLoadBalancer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.WebHost.UseUrls(options.ListenUrl);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        // Every failed probe / forward would be a Warning with a stack trace; health transitions are
        // still logged once by DestinationHealthUpdater, and proxy errors in one line below.
        builder.Logging.AddFilter("Yarp.ReverseProxy.Health.ActiveHealthCheckMonitor", LogLevel.Error);
        builder.Logging.AddFilter("Yarp.ReverseProxy.Forwarder.HttpForwarder", LogLevel.Error);

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);

        // Initial instances: read synchronously so the very first request already knows them.
        // An unreadable file at start is treated like an empty one; the watcher retries.
        var runtime = new LoadBalancerRuntime(options);
        runtime.TryReadInitial();
        var (routes, clusters) = CreateProxyConfig(options, runtime.Instances);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(runtime);
        builder.Services.AddSingleton<IAvailableDestinationsPolicy, HealthyOnlyDestinationsPolicy>();
        builder.Services.AddSingleton<IPassiveHealthCheckPolicy, FirstFailurePassivePolicy>();
        builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);
        builder.Services.AddHostedService<InstancesFileWatcher>();

        var app = builder.Build();
        var proxyLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Regami.Dr.Lab.LoadBalancing.Proxy");

        app.MapGet(StatusPath, (IProxyStateLookup lookup) =>
            Results.Json(GetStatus(options, lookup), Json));

        app.MapReverseProxy(proxy =>
        {
            proxy.Use(async (context, next) =>
            {
                var feature = context.GetReverseProxyFeature();
                if (feature.AvailableDestinations.Count == 0)
                {
                    // Nothing registered, or nothing healthy: answer fast, never try an instance.
                    await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "no healthy instance", options.Region);
                    return;
                }

                await next();

                var errorFeature = context.Features.Get<IForwarderErrorFeature>();
                var error = errorFeature?.Error;
                if (error is null || context.RequestAborted.IsCancellationRequested)
                {
                    return; // success, or the client went away
                }

                if (error is not ForwarderError.NoAvailableDestinations)
                {
                    proxyLog.LogWarning("{Region}: {Method} {Path} to instance {Instance} failed: {Error} {Message}",
                        options.Region, context.Request.Method, context.Request.Path,
                        feature.ProxiedDestination?.DestinationId, error, errorFeature?.Exception?.GetBaseException().Message);
                }

                if (context.Response.HasStarted)
                {
                    return;
                }

                switch (error)
                {
                    case ForwarderError.NoAvailableDestinations:
                        await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "no healthy instance", options.Region);
                        break;
                    case ForwarderError.Request:
                        await WriteErrorAsync(context, StatusCodes.Status502BadGateway, "bad gateway", options.Region,
                            feature.ProxiedDestination?.DestinationId);
                        break;
                    case ForwarderError.RequestTimedOut:
                        await WriteErrorAsync(context, StatusCodes.Status504GatewayTimeout, "gateway timeout", options.Region,
                            feature.ProxiedDestination?.DestinationId);
                        break;
                }
            });
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });

        return app;
    }

    /// <summary>Snapshot of the region's destinations and their health, as served at <see cref="StatusPath"/>.</summary>
    public static LoadBalancerStatus GetStatus(LoadBalancerOptions options, IProxyStateLookup lookup)
    {
        var destinations = new List<LoadBalancerDestinationStatus>();
        if (lookup.TryGetCluster(ClusterId, out var cluster))
        {
            foreach (var destination in cluster.Destinations.Values.OrderBy(d => d.DestinationId, StringComparer.Ordinal))
            {
                destinations.Add(new LoadBalancerDestinationStatus(
                    destination.DestinationId,
                    destination.Model.Config.Address,
                    destination.Health.Active.ToString(),
                    destination.Health.Passive.ToString(),
                    HealthyOnlyDestinationsPolicy.IsAvailable(destination)));
            }
        }

        return new LoadBalancerStatus(options.Region, options.ListenUrl, destinations.Count(d => d.Available), destinations);
    }

    /// <summary>The YARP routes and cluster for a region and its current instances.</summary>
    internal static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) CreateProxyConfig(
        LoadBalancerOptions options, IReadOnlyList<LoadBalancerInstance> instances)
    {
        var (path, query) = SplitHealthPath(options.HealthCheckPath);
        var reactivation = options.HealthCheckInterval * 2;
        if (reactivation < TimeSpan.FromMilliseconds(500))
        {
            reactivation = TimeSpan.FromMilliseconds(500);
        }

        var route = new RouteConfig
        {
            RouteId = RouteId,
            ClusterId = ClusterId,
            Match = new RouteMatch { Path = "/{**catch-all}" },
        };

        var cluster = new ClusterConfig
        {
            ClusterId = ClusterId,
            LoadBalancingPolicy = LoadBalancingPolicies.RoundRobin,
            HealthCheck = new HealthCheckConfig
            {
                AvailableDestinationsPolicy = HealthyOnlyDestinationsPolicy.PolicyName,
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = options.HealthCheckInterval,
                    Timeout = options.HealthCheckTimeout,
                    Policy = "ConsecutiveFailures",
                    Path = path,
                    Query = query,
                },
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = true,
                    Policy = FirstFailurePassivePolicy.PolicyName,
                    ReactivationPeriod = reactivation,
                },
            },
            Metadata = new Dictionary<string, string>
            {
                [ConsecutiveFailuresHealthPolicyOptions.ThresholdMetadataName] = "1",
            },
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = options.RequestIdleTimeout },
            Destinations = instances.ToDictionary(
                i => i.Id,
                i => new DestinationConfig { Address = i.Url },
                StringComparer.OrdinalIgnoreCase),
        };

        return ([route], [cluster]);
    }

    private static (string Path, string? Query) SplitHealthPath(string healthPath)
    {
        var value = string.IsNullOrWhiteSpace(healthPath) ? "/health" : healthPath.Trim();
        var q = value.IndexOf('?');
        var path = q < 0 ? value : value[..q];
        var query = q < 0 || q == value.Length - 1 ? null : value[q..];
        if (!path.StartsWith('/'))
        {
            path = "/" + path;
        }

        return (path, query);
    }

    private static void Validate(LoadBalancerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Region))
        {
            throw new ArgumentException("Region is required.", nameof(options));
        }

        if (!Uri.TryCreate(options.ListenUrl, UriKind.Absolute, out var listen) || listen.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException($"ListenUrl must be an absolute http:// URL, got '{options.ListenUrl}'.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.InstancesFile))
        {
            throw new ArgumentException("InstancesFile is required.", nameof(options));
        }

        if (options.HealthCheckInterval <= TimeSpan.Zero || options.HealthCheckTimeout <= TimeSpan.Zero
            || options.ReloadInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("Intervals and timeouts must be positive.", nameof(options));
        }
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string error, string region, string? instance = null)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.Headers.CacheControl = "no-store";
        object body = instance is null
            ? new { error, region }
            : new { error, region, instance };
        return context.Response.WriteAsJsonAsync(body, Json, contentType: "application/json; charset=utf-8", context.RequestAborted);
    }
}

/// <summary>Body of <c>GET /_lb/status</c>.</summary>
public sealed record LoadBalancerStatus(
    string Region,
    string ListenUrl,
    int HealthyCount,
    IReadOnlyList<LoadBalancerDestinationStatus> Destinations);

/// <summary>One destination in <see cref="LoadBalancerStatus"/>; health is YARP's <c>Unknown|Healthy|Unhealthy</c>.</summary>
public sealed record LoadBalancerDestinationStatus(
    string Id,
    string Address,
    string Active,
    string Passive,
    bool Available);
