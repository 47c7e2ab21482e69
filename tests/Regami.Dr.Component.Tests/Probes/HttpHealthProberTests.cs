using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Probes;

namespace Regami.Dr.Component.Tests.Probes;

/// <summary>
/// The prober's contract, against a bare TCP endpoint that shows what reaches the wire: a new
/// connection per probe (a Route 53 check never reuses one), 2xx/3xx pass without following
/// redirects, the timeout per probe on the given clock, the caller's cancellation thrown.
/// </summary>
public sealed class HttpHealthProberTests
{
    private static readonly TimeSpan TestDeadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Every_probe_opens_its_own_connection_even_when_the_endpoint_would_keep_it_alive()
    {
        // The endpoint answers HTTP/1.1 keep-alive and leaves the connection open: a client that
        // pooled connections would send the second probe over the first one.
        await using var endpoint = RawEndpoint.Start("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", closeAfterResponse: false);
        using var prober = new HttpHealthProber(TimeSpan.FromSeconds(5), TimeProvider.System);
        using var deadline = new CancellationTokenSource(TestDeadline);

        for (var i = 0; i < 3; i++)
        {
            var r = await prober.ProbeAsync(endpoint.Url, deadline.Token);
            Assert.True(r.Succeeded, r.Reason);
        }

        Assert.Equal(3, endpoint.Connections);
        Assert.Equal(3, endpoint.Requests.Count);
        Assert.All(endpoint.Requests, request => Assert.Contains("\r\nConnection: close\r\n", request, StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK", true, "HTTP 200 OK in ")]
    [InlineData("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere", true, "HTTP 302 Found in ")]
    [InlineData("HTTP/1.1 404 Not Found", false, "HTTP 404 Not Found in ")]
    [InlineData("HTTP/1.1 503 Service Unavailable", false, "HTTP 503 Service Unavailable in ")]
    public async Task A_probe_passes_on_2xx_and_3xx_without_following_redirects(string statusAndHeaders, bool passes, string reasonStart)
    {
        await using var endpoint = RawEndpoint.Start($"{statusAndHeaders}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", closeAfterResponse: true);
        using var prober = new HttpHealthProber(TimeSpan.FromSeconds(5), TimeProvider.System);
        using var deadline = new CancellationTokenSource(TestDeadline);

        var r = await prober.ProbeAsync(endpoint.Url, deadline.Token);

        Assert.Equal(passes, r.Succeeded);
        Assert.StartsWith(reasonStart, r.Reason);
        Assert.EndsWith(" ms", r.Reason);
        Assert.Equal(1, endpoint.Connections);   // a redirect is not followed
    }

    [Fact]
    public async Task A_probe_times_out_on_the_given_clock_and_says_after_how_long()
    {
        await using var endpoint = RawEndpoint.Start(response: null, closeAfterResponse: false);   // accepts, never answers
        var time = new FakeTimeProvider();
        using var prober = new HttpHealthProber(TimeSpan.FromSeconds(1), time);
        using var deadline = new CancellationTokenSource(TestDeadline);

        var probe = prober.ProbeAsync(endpoint.Url, deadline.Token);
        await endpoint.WaitForRequestAsync(deadline.Token);
        Assert.False(probe.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(probe.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var r = await probe.WaitAsync(deadline.Token);

        Assert.False(r.Succeeded);
        Assert.Equal("timed out after 1000 ms", r.Reason);
        Assert.Equal(TimeSpan.FromSeconds(1), r.Duration);
    }

    [Fact]
    public async Task Each_probe_has_its_own_timeout_from_its_own_start()
    {
        await using var endpoint = RawEndpoint.Start(response: null, closeAfterResponse: false);
        var time = new FakeTimeProvider();
        using var prober = new HttpHealthProber(TimeSpan.FromSeconds(1), time);
        using var deadline = new CancellationTokenSource(TestDeadline);

        var first = prober.ProbeAsync(endpoint.Url, deadline.Token);
        await endpoint.WaitForRequestAsync(deadline.Token);
        time.Advance(TimeSpan.FromMilliseconds(600));
        var second = prober.ProbeAsync(endpoint.Url, deadline.Token);
        await endpoint.WaitForRequestAsync(deadline.Token);
        time.Advance(TimeSpan.FromMilliseconds(400));

        Assert.Equal("timed out after 1000 ms", (await first.WaitAsync(deadline.Token)).Reason);
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(600));
        var r = await second.WaitAsync(deadline.Token);
        Assert.Equal("timed out after 1000 ms", r.Reason);
        Assert.Equal(TimeSpan.FromSeconds(1), r.Duration);
    }

    [Fact]
    public async Task The_callers_cancellation_is_thrown_not_reported_as_a_failed_probe()
    {
        await using var endpoint = RawEndpoint.Start(response: null, closeAfterResponse: false);
        using var prober = new HttpHealthProber(TimeSpan.FromSeconds(30), TimeProvider.System);
        using var caller = new CancellationTokenSource();

        var probe = prober.ProbeAsync(endpoint.Url, caller.Token);
        await endpoint.WaitForRequestAsync(new CancellationTokenSource(TestDeadline).Token);
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => probe.WaitAsync(TestDeadline));
    }

    [Fact]
    public async Task A_refused_connection_is_a_failed_probe_naming_the_endpoint()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; }
        using var prober = new HttpHealthProber(TimeSpan.FromSeconds(5), TimeProvider.System);

        var r = await prober.ProbeAsync(new Uri($"http://127.0.0.1:{port}/health"), new CancellationTokenSource(TestDeadline).Token);

        Assert.False(r.Succeeded);
        Assert.Equal($"connection refused (127.0.0.1:{port})", r.Reason);
    }

    /// <summary>A loopback TCP endpoint that records each request's head and answers with fixed bytes
    /// (or never, when <c>response</c> is null), counting the connections it accepted.</summary>
    private sealed class RawEndpoint : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource stop = new();
        private readonly List<TcpClient> open = [];
        private readonly SemaphoreSlim requestSeen = new(0);
        private readonly byte[]? response;
        private readonly bool closeAfterResponse;
        private int connections;
        private Task? acceptLoop;

        private RawEndpoint(string? response, bool closeAfterResponse)
        {
            this.response = response is null ? null : Encoding.ASCII.GetBytes(response);
            this.closeAfterResponse = closeAfterResponse;
        }

        public static RawEndpoint Start(string? response, bool closeAfterResponse)
        {
            var e = new RawEndpoint(response, closeAfterResponse);
            e.listener.Start();
            e.acceptLoop = e.AcceptAsync();
            return e;
        }

        public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/health?check=db");
        public int Connections => Volatile.Read(ref connections);
        public List<string> Requests { get; } = [];

        public Task WaitForRequestAsync(CancellationToken ct) => requestSeen.WaitAsync(ct);

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await listener.AcceptTcpClientAsync(stop.Token);
                    Interlocked.Increment(ref connections);
                    lock (open) open.Add(client);
                    _ = ServeAsync(client);
                }
            }
            catch (OperationCanceledException) { }
            catch (ObjectDisposedException) { }
        }

        private async Task ServeAsync(TcpClient client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (true)
                {
                    var n = await stream.ReadAsync(buffer, stop.Token);
                    if (n == 0) return;
                    head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    var end = head.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (end < 0) continue;
                    lock (Requests) Requests.Add(head.ToString(0, end + 4));
                    head.Remove(0, end + 4);
                    requestSeen.Release();
                    if (response is null) continue;   // hang: never answer
                    await stream.WriteAsync(response, stop.Token);
                    if (closeAfterResponse) { client.Dispose(); return; }
                }
            }
            catch (Exception) when (stop.IsCancellationRequested) { }
            catch (IOException) { }
            catch (ObjectDisposedException) { }
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            if (acceptLoop is not null) await acceptLoop;
            lock (open) foreach (var c in open) c.Dispose();
            stop.Dispose();
        }
    }
}
