using System.Globalization;
using System.Text.Json;
using Regami.Dr.Core.Leases;

namespace Regami.Dr.Server.Leases;

/// <summary>
/// The controller lease in etcd v3, for controllers in several regions — the leader key the way
/// Patroni keeps it (<c>patroni/dcs/etcd3.py</c>), spoken through etcd's HTTP/JSON gateway.
/// </summary>
/// <remarks>
/// <para><b>Shape.</b> Each instance keeps one etcd lease (its session), granted with the ttl
/// asked for, in whole seconds. The leader key <see cref="Key"/> holds the owner's text and is
/// attached to the holder's session, so it disappears when that session is revoked or lapses.
/// Beside it, <c>&lt;key&gt;/acquired-at</c> (same session) records when it was taken.</para>
/// <para><b>One tick</b> (<see cref="TryAcquireOrRenewAsync"/>): keep the session alive
/// (<c>lease/keepalive</c>), or grant a new one when it lapsed or the ttl changed; then one
/// transaction: <i>if</i> the key was never created (<c>create_revision == 0</c>) <i>then</i> put it
/// with our owner on our session, <i>else</i> read it. Read back with our owner on our session:
/// the keepalive just renewed it. Our owner on another session (the ttl changed, or our process
/// restarted under the same owner text): move it onto ours in a second transaction guarded by the
/// value and the revision just read. Anyone else's owner: false.</para>
/// <para><b>Safety.</b> Transactions and keepalives are answered by the etcd leader after a quorum
/// agrees, so a true answer is a quorum's. Any failure — etcd unreachable, no answer within
/// <see cref="RequestTimeout"/>, an error answer — makes <see cref="TryAcquireOrRenewAsync"/>
/// answer false and sets <see cref="LastError"/>: a controller that cannot reach a quorum stops
/// acting, while etcd lets its key lapse after the ttl so another controller can take over. The
/// <see cref="LeaseHolder.ExpiresAt"/> we report for ourselves counts from the moment the renewing
/// request was sent, not answered, so it never outlasts etcd's own deadline.</para>
/// <para><b>etcd facts.</b> etcd raises a ttl below its minimum, 1.5 election timeouts rounded up
/// to whole seconds (with the default 1 s election timeout: 2 s); <see cref="GrantedTtl"/> says
/// what it granted. Expired leases are reaped about twice a second, so a lapsed holder's key goes
/// 0–0.5 s after its ttl. The gateway prefix is chosen from <c>GET /version</c> (see
/// <see cref="GatewayPrefix"/>). The <see cref="HttpClient"/> given should not go through an
/// HTTP proxy.</para>
/// </remarks>
public sealed class EtcdLease : IControllerLease
{
    /// <summary>The default time one request to etcd may take.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(2);

    private readonly EtcdGateway _gateway;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Session? _session;

    public EtcdLease(Uri endpoint, string key, HttpClient http, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(time);
        if (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("http" or "https"))
            throw new ArgumentException($"etcd endpoint must be an absolute http(s) URL, not '{endpoint}'.", nameof(endpoint));
        _gateway = new EtcdGateway(endpoint, http) { RequestTimeout = DefaultRequestTimeout };
        _time = time;
        Key = key;
        AcquiredAtKey = key.TrimEnd('/') + "/acquired-at";
    }

    /// <summary><c>etcd http://127.0.0.1:2379</c>.</summary>
    public string Name => $"etcd {_gateway.Endpoint}";

    /// <summary>The leader key, e.g. <c>/regami-dr/leader</c>.</summary>
    public string Key { get; }

    /// <summary>Where the holder records when it took the lease (attached to the same etcd lease as <see cref="Key"/>).</summary>
    public string AcquiredAtKey { get; }

    /// <summary>How long one request to etcd may take before the call counts as failed (default 2 s).</summary>
    public TimeSpan RequestTimeout
    {
        get => _gateway.RequestTimeout;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            _gateway.RequestTimeout = value;
        }
    }

    /// <summary>
    /// Why the last <see cref="TryAcquireOrRenewAsync"/> or <see cref="ReleaseAsync"/> could not get
    /// an answer from etcd, in etcd's or the transport's words; null when it got one.
    /// (<see cref="CurrentAsync"/> throws its errors to its caller and leaves this alone, so a
    /// status page reading the holder never hides the decision loop's error.)
    /// </summary>
    public string? LastError { get; private set; }

    /// <summary>When <see cref="LastError"/> was set.</summary>
    public DateTimeOffset? LastErrorAt { get; private set; }

    /// <summary>
    /// What this instance holds as of its last <see cref="TryAcquireOrRenewAsync"/>, with the
    /// expiry counted from when that renewal was sent; null when it does not hold the lease or
    /// could not find out.
    /// </summary>
    public LeaseHolder? Held { get; private set; }

    /// <summary>The ttl etcd granted this instance's session (it raises ttls below its minimum), or null before the first grant.</summary>
    public TimeSpan? GrantedTtl => _session?.GrantedTtl;

    /// <summary>The gateway path prefix in use (<c>/v3</c>, <c>/v3beta</c> or <c>/v3alpha</c>), or null before the first answer.</summary>
    public string? GatewayPrefix => _gateway.Prefix;

    public async Task<bool> TryAcquireOrRenewAsync(string owner, TimeSpan ttl, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero);
        await _gate.WaitAsync(ct);
        try
        {
            var sent = _time.GetUtcNow();
            var session = await KeepAliveOrGrantAsync(owner, TtlSeconds(ttl), ct);
            var acquiredAt = await ClaimKeyAsync(session, owner, sent, ct);
            Held = acquiredAt is { } at ? new LeaseHolder(owner, at, sent + session.GrantedTtl) : null;
            Answered();
            return Held is not null;
        }
        catch (EtcdException e)
        {
            Held = null;
            Failed(e);
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Revokes this instance's session when it was granted for <paramref name="owner"/>; etcd then
    /// deletes the leader key at once if it is attached to it (someone else's key is never
    /// touched). When etcd cannot be reached, <see cref="LastError"/> says so and the key lapses
    /// by itself within the ttl: this never throws for etcd's sake.
    /// </summary>
    public async Task ReleaseAsync(string owner, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        await _gate.WaitAsync(ct);
        try
        {
            if (_session is not { } session || session.Owner != owner) return;
            _session = null;
            Held = null;
            try
            {
                await _gateway.CallAsync("/kv/lease/revoke", new { ID = Id(session.LeaseId) }, ct);
                Answered();
            }
            catch (EtcdException e) when (e.IsLeaseNotFound)
            {
                Answered(); // it had lapsed already: nothing is attached to it any more
            }
            catch (EtcdException e)
            {
                Failed(e);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The holder as etcd knows it (a linearizable read), with the time its etcd lease has left.
    /// Throws <see cref="EtcdException"/> when etcd cannot answer: "free" is never a guess.
    /// </summary>
    public async Task<LeaseHolder?> CurrentAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var read = await _gateway.CallAsync("/kv/txn", new
        {
            compare = Array.Empty<object>(),
            success = new object[] { RangeOp(Key), RangeOp(AcquiredAtKey) },
        }, ct);
        var responses = Responses(read);
        if (FirstKeyValue(responses, 0) is not { } key) return null;
        var acquiredAt = AcquiredAt(FirstKeyValue(responses, 1), key.Lease) ?? DateTimeOffset.MinValue;
        if (key.Lease == 0) return new LeaseHolder(key.Value, acquiredAt, DateTimeOffset.MaxValue); // put by hand without a lease

        var left = await _gateway.CallAsync("/kv/lease/timetolive", new { ID = Id(key.Lease) }, ct);
        var seconds = EtcdGateway.Int64(left, "TTL") ?? -1;
        // -1: the lease lapsed between the two reads, and etcd is deleting the key.
        return seconds < 0 ? null : new LeaseHolder(key.Value, acquiredAt, now + TimeSpan.FromSeconds(seconds));
    }

    private async Task<Session> KeepAliveOrGrantAsync(string owner, long ttlSeconds, CancellationToken ct)
    {
        if (_session is { } current)
        {
            if (current.Owner == owner && current.AskedTtlSeconds == ttlSeconds)
            {
                // {"result":{"ID":"…","TTL":"2"}}; no TTL when the lease has lapsed or was revoked.
                var answer = await _gateway.CallAsync("/lease/keepalive", new { ID = Id(current.LeaseId) }, ct);
                var result = answer.TryGetProperty("result", out var r) ? r : answer;
                if (EtcdGateway.Int64(result, "TTL") is > 0) return current;
            }
            // Lapsed (its keys are gone with it), or granted for another owner or ttl: not renewed
            // any more, so it lapses by itself. A key of ours still on it is moved in ClaimKeyAsync.
            _session = null;
        }

        var grant = await _gateway.CallAsync("/lease/grant", new { TTL = ttlSeconds }, ct);
        var id = EtcdGateway.Int64(grant, "ID") ?? throw new EtcdException(_gateway.Endpoint, "lease/grant", $"no lease ID in the answer: {grant.GetRawText()}", httpStatus: 200);
        var granted = EtcdGateway.Int64(grant, "TTL") ?? ttlSeconds;
        _session = new Session(id, owner, ttlSeconds, TimeSpan.FromSeconds(granted));
        return _session;
    }

    /// <summary>When we took the leader key if it is ours now (taken now, or found ours); null when it is someone else's.</summary>
    private async Task<DateTimeOffset?> ClaimKeyAsync(Session session, string owner, DateTimeOffset sent, CancellationToken ct)
    {
        var ownerValue = EtcdGateway.Base64(owner);
        var claim = await _gateway.CallAsync("/kv/txn", new
        {
            compare = new object[] { new { key = EtcdGateway.Base64(Key), target = "CREATE", result = "EQUAL", create_revision = "0" } },
            success = new object[] { PutOp(Key, owner, session.LeaseId), PutOp(AcquiredAtKey, sent.ToString("O", CultureInfo.InvariantCulture), session.LeaseId) },
            failure = new object[] { RangeOp(Key), RangeOp(AcquiredAtKey) },
        }, ct);
        if (EtcdGateway.Bool(claim, "succeeded")) return sent;

        var responses = Responses(claim);
        // The compare failed, so in the same revision the key existed and the range read it.
        if (FirstKeyValue(responses, 0) is not { } current || current.Value != owner) return null;
        var acquiredAt = AcquiredAt(FirstKeyValue(responses, 1), current.Lease) ?? sent;
        if (current.Lease == session.LeaseId) return acquiredAt; // renewed by the keepalive

        // Ours by name on another etcd lease: move it onto ours unless it changed since we read it.
        var move = await _gateway.CallAsync("/kv/txn", new
        {
            compare = new object[]
            {
                new { key = EtcdGateway.Base64(Key), target = "VALUE", result = "EQUAL", value = ownerValue },
                new { key = EtcdGateway.Base64(Key), target = "MOD", result = "EQUAL", mod_revision = Id(current.ModRevision) },
            },
            success = new object[] { PutOp(Key, owner, session.LeaseId), PutOp(AcquiredAtKey, acquiredAt.ToString("O", CultureInfo.InvariantCulture), session.LeaseId) },
        }, ct);
        return EtcdGateway.Bool(move, "succeeded") ? acquiredAt : null;
    }

    private void Answered()
    {
        LastError = null;
        LastErrorAt = null;
    }

    private void Failed(EtcdException e)
    {
        LastError = e.Message;
        LastErrorAt = _time.GetUtcNow();
    }

    /// <summary>Whole seconds, rounded up, at least 1 (etcd may raise it further).</summary>
    private static long TtlSeconds(TimeSpan ttl) => Math.Max(1, (long)Math.Ceiling(ttl.TotalSeconds));

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static object PutOp(string key, string value, long lease) =>
        new { request_put = new { key = EtcdGateway.Base64(key), value = EtcdGateway.Base64(value), lease = Id(lease) } };

    private static object RangeOp(string key) => new { request_range = new { key = EtcdGateway.Base64(key) } };

    private static JsonElement Responses(JsonElement txn) =>
        txn.TryGetProperty("responses", out var responses) && responses.ValueKind == JsonValueKind.Array ? responses : default;

    /// <summary>The first key of the <paramref name="index"/>th range response of a transaction, or null.</summary>
    private static KeyValue? FirstKeyValue(JsonElement responses, int index)
    {
        if (responses.ValueKind != JsonValueKind.Array || responses.GetArrayLength() <= index) return null;
        if (!responses[index].TryGetProperty("response_range", out var range)) return null;
        if (!range.TryGetProperty("kvs", out var kvs) || kvs.ValueKind != JsonValueKind.Array || kvs.GetArrayLength() == 0) return null;
        var kv = kvs[0];
        return new KeyValue(
            EtcdGateway.FromBase64(EtcdGateway.Text(kv, "value") ?? ""),
            EtcdGateway.Int64(kv, "lease") ?? 0,
            EtcdGateway.Int64(kv, "mod_revision") ?? 0);
    }

    /// <summary>The recorded acquisition time, if it belongs to the same etcd lease as the key.</summary>
    private static DateTimeOffset? AcquiredAt(KeyValue? record, long lease) =>
        record is { } r && r.Lease == lease
            && DateTimeOffset.TryParse(r.Value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
            ? at
            : null;

    private sealed record Session(long LeaseId, string Owner, long AskedTtlSeconds, TimeSpan GrantedTtl);

    private sealed record KeyValue(string Value, long Lease, long ModRevision);
}
