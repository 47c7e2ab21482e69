using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Regami.Dr.Lab.LoadBalancing;

namespace Regami.Dr.Component.Tests.LoadBalancing;

/// <summary>A tiny Kestrel API instance on a free 127.0.0.1 port.</summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private TestBackend(string name, WebApplication app, string url)
    {
        Name = name;
        _app = app;
        Url = url;
    }

    public string Name { get; }

    public string Url { get; }

    /// <summary>Status answered to <c>/health?check=db</c> (plain <c>/health</c> is always 200).</summary>
    public int DbHealthStatus { get; set; } = 200;

    /// <summary>Number of plain <c>/health</c> requests (the load balancer's active probes).</summary>
    public int ProbeCount => Volatile.Read(ref _probeCount);

    private int _probeCount;

    public static async Task<TestBackend> StartAsync(string name, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        TestBackend? self = null;

        app.MapGet("/health", (HttpContext ctx) =>
        {
            if (ctx.Request.Query["check"] == "db")
            {
                var status = self!.DbHealthStatus;
                return Results.Json(new { instance = name, db = status == 200 ? "ok" : "down" }, statusCode: status);
            }

            Interlocked.Increment(ref self!._probeCount);
            return Results.Text("ok");
        });
        app.Map("/{**rest}", (HttpContext ctx) =>
        {
            ctx.Response.Headers["X-Instance"] = name;
            ctx.Response.Headers["X-Seen-Forwarded-For"] = ctx.Request.Headers["X-Forwarded-For"].ToString();
            return Results.Text($"{name} {ctx.Request.Path}{ctx.Request.QueryString}");
        });

        await app.StartAsync();
        self = new TestBackend(name, app, app.Urls.First().TrimEnd('/'));
        return self;
    }

    /// <summary>Stops the instance and releases its port (connections refused afterwards).</summary>
    public async Task KillAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _app.StopAsync(TimeSpan.FromSeconds(2));
        await _app.DisposeAsync();
    }

    public ValueTask DisposeAsync() => new(KillAsync());

    public LoadBalancerInstance AsInstance() => new(Name, Url);
}

/// <summary>A regional load balancer on a free 127.0.0.1 port with its instances file in a temp dir.</summary>
internal sealed class TestLoadBalancer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dir;

    private TestLoadBalancer(WebApplication app, string dir, LoadBalancerOptions options, string url)
    {
        _app = app;
        _dir = dir;
        Options = options;
        Url = url;
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false })
        {
            BaseAddress = new Uri(url),
            Timeout = TimeSpan.FromSeconds(5),
        };
    }

    public LoadBalancerOptions Options { get; }

    public string Url { get; }

    public HttpClient Client { get; }

    public static async Task<TestLoadBalancer> StartAsync(IEnumerable<LoadBalancerInstance>? instances, string region = "eu-west-3")
    {
        var dir = Directory.CreateTempSubdirectory("regami-lb-test-").FullName;
        var file = Path.Combine(dir, "instances.json");
        if (instances is not null)
        {
            await LoadBalancerInstancesFile.WriteAsync(file, instances);
        }

        var options = new LoadBalancerOptions(region, "http://127.0.0.1:0", file)
        {
            HealthCheckInterval = TimeSpan.FromMilliseconds(100),
            HealthCheckTimeout = TimeSpan.FromMilliseconds(200),
            ReloadInterval = TimeSpan.FromMilliseconds(100),
        };
        var app = RegionalLoadBalancer.Build(options);
        await app.StartAsync();
        return new TestLoadBalancer(app, dir, options, app.Urls.First().TrimEnd('/'));
    }

    public Task SetInstancesAsync(params LoadBalancerInstance[] instances)
        => LoadBalancerInstancesFile.WriteAsync(Options.InstancesFile, instances);

    public async Task<(HttpStatusCode Status, string? Instance, string Body)> GetAsync(string path = "/whoami")
    {
        using var response = await Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        var instance = response.Headers.TryGetValues("X-Instance", out var values) ? values.First() : null;
        return (response.StatusCode, instance, body);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync(TimeSpan.FromSeconds(2));
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class LoopbackPort
{
    /// <summary>A TCP port free on 127.0.0.1 right now (nothing listens on it: a dead instance's address).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
