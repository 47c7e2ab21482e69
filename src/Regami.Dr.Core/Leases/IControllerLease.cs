namespace Regami.Dr.Core.Leases;

/// <summary>
/// The leader lock between controllers (port): only the holder may act, that is start an
/// automatic failover. Several controllers, possibly in several regions, call
/// <see cref="TryAcquireOrRenewAsync"/> every tick; the one that gets <c>true</c> may act
/// until the ttl it asked for has passed, and must renew before then to keep acting.
/// </summary>
/// <remarks>
/// Like Patroni's leader key, the lease is safe only if the holder stops acting once it can no
/// longer renew: an implementation answers <c>false</c> whenever it cannot prove the caller
/// holds the lease (the backing store unreachable, the answer late), never "probably yes".
/// <para>
/// An owner string names one live controller process (include the host or region and the pid):
/// two processes that pass the same owner are taken for the same holder.
/// </para>
/// </remarks>
public interface IControllerLease
{
    /// <summary>Where the lease lives, for status and logs: <c>local file /var/lib/…</c>, <c>etcd http://127.0.0.1:2379</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Takes the lease for <paramref name="owner"/> when it is free, or renews it when
    /// <paramref name="owner"/> already holds it, for <paramref name="ttl"/> from now (a backing
    /// store may raise a ttl below its minimum). True: the caller holds it now. False: someone
    /// else holds it, or the answer could not be had (the implementation says why).
    /// </summary>
    Task<bool> TryAcquireOrRenewAsync(string owner, TimeSpan ttl, CancellationToken ct);

    /// <summary>Gives the lease up at once when <paramref name="owner"/> holds it; does nothing otherwise.</summary>
    Task ReleaseAsync(string owner, CancellationToken ct);

    /// <summary>The current holder, or null when the lease is free.</summary>
    Task<LeaseHolder?> CurrentAsync(CancellationToken ct);
}
