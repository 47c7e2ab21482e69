using System.Net.Sockets;

namespace Regami.Dr.Probes;

/// <summary>One probe's outcome: passed or not, and what was seen, in words.</summary>
public sealed record HealthProbeResult(bool Succeeded, string Reason, TimeSpan Duration);

/// <summary>
/// Probes an endpoint the way a Route 53 HTTP health check does: a GET on a new connection, passed
/// when the status code is 2xx or 3xx (redirects are not followed) within the timeout. The one
/// prober of the product: the lab's DNS server and the controller both probe with it.
/// </summary>
public sealed class HttpHealthProber : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _timeProvider;

    /// <param name="timeout">How long one probe may take, connect included.</param>
    /// <param name="http">A client whose handler does not follow redirects and uses no proxy (see
    /// <see cref="CreateHttpClient"/>); when null the prober creates such a client and disposes it.</param>
    public HttpHealthProber(TimeSpan timeout, TimeProvider timeProvider, HttpClient? http = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _ownsHttp = http is null;
        _http = http ?? CreateHttpClient();
        _timeout = timeout;
        _timeProvider = timeProvider;
    }

    /// <summary>A client fit for health checks: no redirects, no proxy (a lab on loopback must not go through
    /// <c>http_proxy</c>), no connection reuse, no overall timeout (each probe has its own).</summary>
    /// <remarks>The zero pooled-connection lifetime is what guarantees a new connection per probe: the
    /// <c>Connection: close</c> request header alone let a server that answers keep-alive get the next
    /// probe on the same connection (HttpHealthProberTests). It also makes the handler build a new
    /// connection pool per request (it stores none); bench/probe-overhead.sh measured that at ≈ 1 KB of
    /// the ≈ 17 KB allocated per probe and no CPU difference above the noise (issue 12 item 5), so it stays.</remarks>
    public static HttpClient CreateHttpClient() =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.Zero,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>Runs one probe of <paramref name="target"/>. Never throws for endpoint trouble (that is a
    /// failed probe); throws only when <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task<HealthProbeResult> ProbeAsync(Uri target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var started = _timeProvider.GetTimestamp();
        using var timeout = new CancellationTokenSource(_timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, target);
            // Route 53 checks open a connection per check: a reused keep-alive connection would hide a
            // listener that no longer accepts new ones.
            request.Headers.ConnectionClose = true;
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var code = (int)response.StatusCode;
            var elapsed = _timeProvider.GetElapsedTime(started);
            return new HealthProbeResult(
                Succeeded: code is >= 200 and < 400,
                Reason: $"HTTP {code} {response.ReasonPhrase} in {elapsed.TotalMilliseconds:0} ms",
                Duration: elapsed);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var elapsed = _timeProvider.GetElapsedTime(started);
            return new HealthProbeResult(false, $"timed out after {_timeout.TotalMilliseconds:0} ms", elapsed);
        }
        catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthProbeResult(false, Describe(target, e), _timeProvider.GetElapsedTime(started));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new HealthProbeResult(false, $"{e.GetType().Name}: {e.Message}", _timeProvider.GetElapsedTime(started));
        }
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private static string Describe(Uri target, HttpRequestException e)
    {
        var endpoint = $"{target.Host}:{target.Port}";
        if (e.InnerException is SocketException s)
            return s.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => $"connection refused ({endpoint})",
                SocketError.TimedOut => $"connect timed out ({endpoint})",
                SocketError.ConnectionReset => $"connection reset ({endpoint})",
                SocketError.HostUnreachable or SocketError.NetworkUnreachable => $"unreachable ({endpoint})",
                _ => $"{s.SocketErrorCode}: {s.Message} ({endpoint})",
            };
        return $"{e.HttpRequestError}: {e.Message} ({endpoint})";
    }
}
