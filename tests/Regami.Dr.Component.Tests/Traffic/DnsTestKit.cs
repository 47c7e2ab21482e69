using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using Regami.Dr.Component.Tests.Infrastructure;

namespace Regami.Dr.Component.Tests.Traffic;

/// <summary>A tiny Kestrel health endpoint on a free 127.0.0.1 port whose status code a test toggles.</summary>
internal sealed class HealthEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _statusCode = 200;
    private int _requests;
    private int _failedResponses;

    private HealthEndpoint(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>e.g. <c>http://127.0.0.1:41234/health?check=db</c>.</summary>
    public Uri Url { get; }

    public int StatusCode
    {
        get => Volatile.Read(ref _statusCode);
        set => Volatile.Write(ref _statusCode, value);
    }

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Responses sent with a status code outside 2xx/3xx.</summary>
    public int FailedResponses => Volatile.Read(ref _failedResponses);

    public static async Task<HealthEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        HealthEndpoint? self = null;
        app.MapGet("/health", () =>
        {
            Interlocked.Increment(ref self!._requests);
            var code = self.StatusCode;
            if (code is < 200 or >= 400) Interlocked.Increment(ref self._failedResponses);
            return Results.StatusCode(code);
        });
        await app.StartAsync();
        self = new HealthEndpoint(app, new Uri(app.Urls.First().TrimEnd('/') + "/health?check=db"));
        // Warm the HTTP stacks (JIT, first connection) so the server's 100 ms probes do not time out
        // on a cold process and flap the status before the test begins.
        using var warmUp = new HttpClient();
        (await warmUp.GetAsync(self.Url)).Dispose();
        Interlocked.Exchange(ref self._requests, 0);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TimeSpan.FromSeconds(2));
        await _app.DisposeAsync();
    }
}

internal static class DnsTestKit
{
    /// <summary>A port that is free on 127.0.0.1 for both UDP and TCP right now.</summary>
    public static int FreeDnsPort()
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // UDP side taken: try another.
            }
        }
        throw new InvalidOperationException("no port free for both UDP and TCP on 127.0.0.1");
    }

    /// <summary>A TCP port with nothing listening (connections refused).</summary>
    public static int ClosedTcpPort()
    {
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)tcp.LocalEndPoint!).Port;
    }

    public static LookupClient Client(int port, bool tcpOnly = false) =>
        new(new LookupClientOptions(new NameServer(IPAddress.Loopback, port))
        {
            UseCache = false,
            UseTcpOnly = tcpOnly,
            Retries = 0,
            Timeout = TimeSpan.FromSeconds(2),
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
            ContinueOnEmptyResponse = false,
        });

    public static async Task<string?> AddressOf(LookupClient client, string name = "api.regami.test")
    {
        var response = await client.QueryAsync(name, QueryType.A);
        return response.Answers.ARecords().SingleOrDefault()?.Address.ToString();
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value accepted by <paramref name="until"/>,
    /// or fails the test at the deadline with the last value seen.</summary>
    public static Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> until, TimeSpan deadline, string what) =>
        Eventually.WaitForAsync(probe, until, deadline, what);
}

/// <summary>Routes the server's log to the test output, so a failed run shows what the server decided.</summary>
internal sealed class TestOutputLogger(ITestOutputHelper output) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
        }
        catch (InvalidOperationException)
        {
            // The test has finished; the output helper no longer accepts lines.
        }
    }
}
