using System.Globalization;
using System.Text.Json;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Server.Leases;

/// <summary>
/// The runbook lock in etcd, for controllers on several hosts (issue 10, item 1): the file lock of
/// <see cref="Regami.Dr.Store.FileRunbookLease"/> is seen by one host only, so two leaders on two
/// hosts could each run a failover. Here the lock is a key attached to an etcd lease that the holder
/// keeps alive while its run lasts: a holder that dies stops renewing and the key lapses after the
/// TTL, so the lock's liveness is the holder's, as the file lock's is (<c>RunLiveness</c>).
/// </summary>
/// <remarks>
/// Taking it is one transaction (create the key only if it does not exist: create_revision = 0),
/// so two hosts never both hold it. Releasing revokes the etcd lease, which deletes the key at once.
/// A holder that cannot renew for a whole TTL (etcd out of reach) loses the lock; its run is stopped
/// by the controller lease guard at the next step, since that lease lives in the same etcd.
/// Any etcd failure while asking is thrown (<see cref="EtcdException"/>): "free" is never a guess.
/// </remarks>
public sealed class EtcdRunbookLease : IRunbookLease
{
    public const string DefaultKey = "/regami-dr/runbook-lock";

    private readonly EtcdGateway _gateway;
    private readonly TimeProvider _time;

    public EtcdRunbookLease(Uri endpoint, HttpClient http, TimeProvider time, string key = DefaultKey)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        _gateway = new EtcdGateway(endpoint, http) { RequestTimeout = EtcdLease.DefaultRequestTimeout };
        _time = time ?? throw new ArgumentNullException(nameof(time));
        Key = key;
    }

    public string Key { get; }

    /// <summary>How long the lock outlives a holder that stopped renewing it (default 10 s; etcd may raise it).</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(10);

    public async Task<RunbookLeaseHandle?> TryAcquireAsync(string holderRunId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(holderRunId);
        var grant = await _gateway.CallAsync("/lease/grant", new { TTL = Math.Max(1, (long)Math.Ceiling(Ttl.TotalSeconds)) }, ct);
        var lease = EtcdGateway.Int64(grant, "ID") ?? throw new EtcdException(_gateway.Endpoint, "lease/grant", $"no lease ID in the answer: {grant.GetRawText()}", httpStatus: 200);
        var granted = TimeSpan.FromSeconds(EtcdGateway.Int64(grant, "TTL") ?? 1);
        var claim = await _gateway.CallAsync("/kv/txn", new
        {
            compare = new object[] { new { key = EtcdGateway.Base64(Key), target = "CREATE", result = "EQUAL", create_revision = "0" } },
            success = new object[] { new { request_put = new { key = EtcdGateway.Base64(Key), value = EtcdGateway.Base64(holderRunId), lease = Id(lease) } } },
        }, ct);
        if (!EtcdGateway.Bool(claim, "succeeded"))
        {
            await RevokeQuietlyAsync(lease);
            return null;
        }

        // Renewed in the background for as long as the handle is held: three times per TTL, so one
        // slow or lost keepalive does not lose the lock.
        var stop = new CancellationTokenSource();
        var renewing = RenewAsync(lease, granted / 3, stop.Token);
        return new RunbookLeaseHandle(holderRunId, async () =>
        {
            await stop.CancelAsync();
            await renewing;
            stop.Dispose();
            await RevokeQuietlyAsync(lease);
        });
    }

    public async Task<string?> CurrentHolderAsync(CancellationToken ct)
    {
        var read = await _gateway.CallAsync("/kv/range", new { key = EtcdGateway.Base64(Key) }, ct);
        if (!read.TryGetProperty("kvs", out var kvs) || kvs.ValueKind != JsonValueKind.Array || kvs.GetArrayLength() == 0) return null;
        return EtcdGateway.FromBase64(EtcdGateway.Text(kvs[0], "value") ?? "");
    }

    private async Task RenewAsync(long lease, TimeSpan every, CancellationToken stop)
    {
        if (every < TimeSpan.FromMilliseconds(200)) every = TimeSpan.FromMilliseconds(200);
        try
        {
            while (true)
            {
                await Task.Delay(every, _time, stop);
                try { await _gateway.CallAsync("/lease/keepalive", new { ID = Id(lease) }, stop); }
                catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    // Try again next time; after a whole TTL without an answer the lock lapses, as if this holder had died.
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
    }

    /// <summary>Revoking deletes the key at once; when etcd cannot be reached the key lapses by itself within the TTL.</summary>
    private async Task RevokeQuietlyAsync(long lease)
    {
        try { await _gateway.CallAsync("/lease/revoke", new { ID = Id(lease) }, CancellationToken.None); }
        catch (Exception e) when (e is EtcdException or HttpRequestException or ObjectDisposedException or OperationCanceledException) { }
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
