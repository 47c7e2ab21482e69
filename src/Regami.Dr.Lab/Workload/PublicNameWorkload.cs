using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Regami.Dr.Core.Drills;

namespace Regami.Dr.Lab.Workload;

/// <summary>
/// The drill's client: resolves the public name through DNS (honouring its TTL) and POSTs sequence-numbered records
/// <c>{"seq": n, "payload": "…"}</c> to <c>http://&lt;address&gt;:&lt;lb port&gt;/api/records</c> at a fixed rate, recording a
/// <see cref="WriteAttempt"/> for every write: 201 → acknowledged (region and commit time from the body), any other
/// HTTP status → refused, timeout or broken connection → unknown. It keeps writing through an outage until stopped.
/// </summary>
/// <remarks>
/// Writes start on a schedule (start + n / rate), not one after another, so a hung write never slows the rate; up to
/// <see cref="WorkloadOptions.MaxInFlight"/> run at once. A name that does not resolve and a refused connection refuse the
/// write (no byte of it was sent); everything after the request may have left is unknown.
/// </remarks>
public sealed class PublicNameWorkload : IDrillWorkload
{
    private readonly WorkloadOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<CancellationToken, Task<string?>> _resolve;
    private readonly object _gate = new();
    private readonly List<WriteAttempt> _attempts = [];
    private readonly ConcurrentDictionary<long, Task> _inFlight = new();
    private long _sent;
    private long _acknowledged;
    private long _refused;
    private long _unknown;
    private long _skipped;
    private int _inFlightCount;
    private volatile string? _lastAddress;
    private volatile string? _lastRegion;
    private volatile string? _lastError;
    private int _started;

    public PublicNameWorkload(WorkloadOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid workload options: " + string.Join("; ", errors), nameof(options));
        _options = options;
        _time = time;
        _resolve = options.Resolve ?? new PublicNameResolver(options).ResolveAsync;
    }

    public WorkloadOptions Options => _options;

    /// <summary>When <see cref="RunAsync"/> started writing; null before.</summary>
    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>When <see cref="RunAsync"/> returned (every write answered or timed out); null before.</summary>
    public DateTimeOffset? StoppedAt { get; private set; }

    public WorkloadProgress Progress => new(
        Interlocked.Read(ref _sent),
        Interlocked.Read(ref _acknowledged),
        Interlocked.Read(ref _refused),
        Interlocked.Read(ref _unknown),
        Volatile.Read(ref _inFlightCount),
        _options.FirstSeq + Interlocked.Read(ref _sent) - 1,
        Interlocked.Read(ref _skipped),
        _lastAddress,
        _lastRegion,
        _lastError);

    /// <summary>Every finished write so far, by seq (writes still in flight are not included).</summary>
    public IReadOnlyList<WriteAttempt> Attempts()
    {
        lock (_gate)
            return _attempts.OrderBy(a => a.Seq).ToList();
    }

    /// <summary>
    /// Writes until <paramref name="cancellationToken"/> is cancelled, then stops starting writes and waits for those in
    /// flight (each bounded by <see cref="WorkloadOptions.RequestTimeout"/>), so every write has an outcome; then completes
    /// normally. Call once.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException("The workload runs only once; create another one for another run.");

        using var http = CreateHttpClient(_options);
        using var slots = new SemaphoreSlim(_options.MaxInFlight, _options.MaxInFlight);
        var interval = TimeSpan.FromSeconds(1 / _options.RatePerSecond);
        StartedAt = _time.GetUtcNow();
        var origin = _time.GetTimestamp();
        long scheduled = 0; // writes the schedule has reached since the origin (sent + skipped)
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var wait = interval * scheduled - _time.GetElapsedTime(origin);
                if (wait > TimeSpan.Zero)
                    await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                else if (-wait > _options.MaxScheduleLag + interval)
                {
                    // Fell behind (stalled machine, every slot busy): drop the missed writes rather than burst them.
                    var missed = (long)(-wait / interval);
                    scheduled += missed;
                    Interlocked.Add(ref _skipped, missed);
                }

                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                var seq = _options.FirstSeq + Interlocked.Increment(ref _sent) - 1;
                scheduled++;
                Interlocked.Increment(ref _inFlightCount);
                var write = WriteAsync(http, seq, slots);
                _inFlight[seq] = write;
                _ = write.ContinueWith(_ => _inFlight.TryRemove(seq, out Task? _), TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stop requested: drain below.
        }
        finally
        {
            await Task.WhenAll(_inFlight.Values).ConfigureAwait(false);
            StoppedAt = _time.GetUtcNow();
        }
    }

    private async Task WriteAsync(HttpClient http, long seq, SemaphoreSlim slots)
    {
        await Task.Yield(); // never run a write on the scheduling loop
        var sentAt = _time.GetUtcNow();
        WriteAttempt attempt;
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        try
        {
            attempt = await SendAsync(http, seq, sentAt, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // SendAsync classifies every failure it knows; anything else is a bug of ours, still recorded honestly.
            attempt = new WriteAttempt(seq, sentAt, WriteOutcome.Unknown, _time.GetUtcNow(), null, null, null, null,
                $"unexpected {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            slots.Release();
        }

        Record(attempt);
        Interlocked.Decrement(ref _inFlightCount);
    }

    private async Task<WriteAttempt> SendAsync(HttpClient http, long seq, DateTimeOffset sentAt, CancellationToken ct)
    {
        string? address;
        try
        {
            address = await _resolve(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var why = ct.IsCancellationRequested ? $"no answer within {Ms(_options.RequestTimeout)}" : OneLine(ex.Message);
            return Refused(seq, sentAt, null, null, $"DNS: {_options.PublicName} did not resolve ({why})");
        }
        if (string.IsNullOrEmpty(address))
            return Refused(seq, sentAt, null, null, $"DNS: no A record for {_options.PublicName}");

        var uri = new UriBuilder(Uri.UriSchemeHttp, address, _options.LoadBalancerPort, _options.RecordsPath).Uri;
        var body = new WriteRequest(seq, $"{_options.PayloadPrefix}-{seq}");
        try
        {
            using var response = await http.PostAsJsonAsync(uri, body, Json, ct).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            var answeredAt = _time.GetUtcNow();
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.Created)
            {
                var (region, committedAt, problem) = ParseCreated(text);
                return new WriteAttempt(seq, sentAt, WriteOutcome.Acknowledged, answeredAt, status, region, committedAt, address,
                    problem is null ? null : $"acknowledged, but {problem}");
            }
            return Refused(seq, sentAt, status, address, $"HTTP {status} from {address}: {ErrorOf(text)}", answeredAt);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Unknown(seq, sentAt, address, $"no answer from {address} within {Ms(_options.RequestTimeout)}");
        }
        catch (HttpRequestException ex) when (IsConnectionRefused(ex))
        {
            return Refused(seq, sentAt, null, address, $"connection to {address}:{_options.LoadBalancerPort} refused");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            return Unknown(seq, sentAt, address, $"{address}: {OneLine(ex.InnerException?.Message ?? ex.Message)}");
        }
    }

    private void Record(WriteAttempt attempt)
    {
        lock (_gate)
            _attempts.Add(attempt);
        switch (attempt.Outcome)
        {
            case WriteOutcome.Acknowledged:
                Interlocked.Increment(ref _acknowledged);
                if (attempt.Region is not null) _lastRegion = attempt.Region;
                break;
            case WriteOutcome.Refused:
                Interlocked.Increment(ref _refused);
                break;
            default:
                Interlocked.Increment(ref _unknown);
                break;
        }
        if (attempt.Address is not null) _lastAddress = attempt.Address;
        if (attempt.Outcome != WriteOutcome.Acknowledged && attempt.Error is not null)
            _lastError = $"seq {attempt.Seq}: {attempt.Error}";
    }

    private WriteAttempt Refused(long seq, DateTimeOffset sentAt, int? status, string? address, string error, DateTimeOffset? answeredAt = null) =>
        new(seq, sentAt, WriteOutcome.Refused, answeredAt ?? _time.GetUtcNow(), status, null, null, address, error);

    private WriteAttempt Unknown(long seq, DateTimeOffset sentAt, string? address, string error) =>
        new(seq, sentAt, WriteOutcome.Unknown, _time.GetUtcNow(), null, null, null, address, error);

    /// <summary>A refused TCP connect: the request was never sent, so the write is definitely not committed.</summary>
    private static bool IsConnectionRefused(HttpRequestException ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
                return true;
        }
        return false;
    }

    /// <summary>Region and commit time from <c>{id, seq, region, committedAt}</c>; a problem sentence when unreadable.</summary>
    internal static (string? Region, DateTimeOffset? CommittedAt, string? Problem) ParseCreated(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            string? region = root.TryGetProperty("region", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            DateTimeOffset? committedAt = null;
            if (root.TryGetProperty("committedAt", out var c) && c.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(c.GetString(), CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
                committedAt = parsed;
            return (region, committedAt, committedAt is null ? "the 201 body has no committedAt" : null);
        }
        catch (JsonException ex)
        {
            return (null, null, "the 201 body is not JSON: " + OneLine(ex.Message));
        }
    }

    /// <summary>The API's <c>error: reason</c>, or the start of the body.</summary>
    private static string ErrorOf(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String)
            {
                var reason = root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                return OneLine(reason is null ? e.GetString()! : $"{e.GetString()}: {reason}");
            }
        }
        catch (JsonException)
        {
        }
        var text = OneLine(body);
        return text.Length == 0 ? "empty body" : text.Length > 160 ? text[..160] + "…" : text;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    private static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:0} ms";

    private static HttpClient CreateHttpClient(WorkloadOptions options) =>
        new(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectTimeout = options.RequestTimeout,
            MaxConnectionsPerServer = options.MaxInFlight,
            // Short-lived connections: after a failover the old region's pooled sockets must not linger.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2),
            PooledConnectionLifetime = TimeSpan.FromSeconds(10),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // each write carries its own deadline
        };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record WriteRequest(long Seq, string Payload);
}
