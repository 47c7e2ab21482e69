using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Regami.Dr.Component.Tests.Drills;

/// <summary>How the fake API answers <c>POST /api/records</c> right now.</summary>
internal enum FakeApiMode
{
    /// <summary>201 <c>{id, seq, region, committedAt}</c>, the row committed.</summary>
    Commit,

    /// <summary>503 <c>{error: "database is read-only", …}</c>, nothing committed.</summary>
    ReadOnly,

    /// <summary>Never answers (until the client gives up), nothing committed.</summary>
    Hang,
}

/// <summary>
/// A tiny Kestrel app that answers <c>POST /api/records</c> the way samples/Regami.Api does, on one port of one or more
/// loopback addresses, in a mode the test switches. Keeps the committed seqs: the "rows on the new primary".
/// </summary>
internal sealed class FakeRecordsApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<long, string> _committed = new();
    private long _nextId;
    private volatile FakeApiMode _mode = FakeApiMode.Commit;

    private FakeRecordsApi(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public FakeApiMode Mode
    {
        get => _mode;
        set => _mode = value;
    }

    /// <summary>Seqs committed so far, with the address that committed each.</summary>
    public IReadOnlyDictionary<long, string> Committed => _committed;

    public static async Task<FakeRecordsApi> StartAsync(params string[] addresses)
    {
        if (addresses.Length == 0) addresses = ["127.0.0.1"];
        var port = PortFreeOn(addresses);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(addresses.Select(a => $"http://{a}:{port}").ToArray());
        var app = builder.Build();
        FakeRecordsApi? self = null;
        app.MapPost("/api/records", async (HttpContext ctx) =>
        {
            using var body = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted);
            var seq = body.RootElement.GetProperty("seq").GetInt64();
            var local = ctx.Connection.LocalIpAddress!.ToString();
            var region = local == "127.0.0.3" ? "eu-central-1" : "eu-west-3";
            switch (self!.Mode)
            {
                case FakeApiMode.ReadOnly:
                    return Results.Json(new { error = "database is read-only", reason = "cannot execute INSERT in a read-only transaction", region },
                        statusCode: StatusCodes.Status503ServiceUnavailable);
                case FakeApiMode.Hang:
                    try
                    {
                        await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                    return Results.Empty;
                default:
                    self._committed[seq] = local;
                    return Results.Json(new
                    {
                        id = Interlocked.Increment(ref self._nextId),
                        seq,
                        region,
                        committedAt = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"),
                    }, statusCode: StatusCodes.Status201Created);
            }
        });
        await app.StartAsync();
        self = new FakeRecordsApi(app, port);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        Mode = FakeApiMode.Commit;
        await _app.StopAsync(TimeSpan.FromSeconds(2));
        await _app.DisposeAsync();
    }

    /// <summary>A TCP port free on every one of <paramref name="addresses"/> right now.</summary>
    private static int PortFreeOn(string[] addresses)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var first = new TcpListener(IPAddress.Parse(addresses[0]), 0);
            first.Start();
            var port = ((IPEndPoint)first.LocalEndpoint).Port;
            var others = new List<TcpListener>();
            try
            {
                foreach (var a in addresses.Skip(1))
                {
                    var l = new TcpListener(IPAddress.Parse(a), port);
                    l.Start();
                    others.Add(l);
                }
                return port;
            }
            catch (SocketException)
            {
                // Taken on another address: try another port.
            }
            finally
            {
                foreach (var l in others) l.Stop();
            }
        }
        throw new InvalidOperationException("no TCP port free on " + string.Join(", ", addresses));
    }
}
