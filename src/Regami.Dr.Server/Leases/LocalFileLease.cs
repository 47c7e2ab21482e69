using Regami.Dr.Core.Leases;
using Regami.Dr.Store;

namespace Regami.Dr.Server.Leases;

/// <summary>
/// The controller lease for controllers on one host, as a <see cref="FileLease"/>: an exclusive
/// lock on a file, held for as long as the lease is held, that the kernel drops when the holding
/// process exits or is killed (see <see cref="FileLease"/> for the lock and the holder record).
/// </summary>
/// <remarks>
/// <para><b>The ttl.</b> The holder record carries owner, acquired, expires and pid. A holder
/// that stops renewing gives the lease up itself: a timer on the injected
/// <see cref="TimeProvider"/> deletes the holder record and closes the lock when the ttl passes
/// without a renewal, and every call checks the same deadline first, so a renewal that comes too
/// late is a fresh acquisition. A process that cannot run at all (stopped with SIGSTOP, swapped
/// out) cannot give the lock up: the others then see a holder whose
/// <see cref="LeaseHolder.ExpiresAt"/> has passed but are still refused, until that process runs
/// again (and drops the lock) or dies. We chose to stay safe there — the lock, not the timestamp,
/// decides who may act — because a frozen holder that wakes up would act at once, believing it
/// still holds the lease; with the lock held it indeed still does, and nobody else has acted.</para>
/// </remarks>
public sealed class LocalFileLease : IControllerLease, IDisposable
{
    /// <summary>Attempts <see cref="TryAcquireOrRenewAsync"/> makes before it reports the lease taken.</summary>
    public const int AcquireAttempts = FileLease.AcquireAttempts;

    /// <summary>What <see cref="CurrentAsync"/> names when the lock is held but no live holder has recorded itself.</summary>
    public const string UnknownOwner = "an unknown holder (the lock file is held but no holder is recorded)";

    private readonly FileLease _lease;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Held? _held;
    private bool _disposed;

    public LocalFileLease(string path, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _lease = new FileLease(path);
        _time = time;
    }

    public string Name => $"local file {LockFilePath}";

    public string LockFilePath => _lease.LockFilePath;

    /// <summary>The holder record (JSON) beside the lock file.</summary>
    public string HolderFilePath => _lease.HolderFilePath;

    /// <summary>How long <see cref="CurrentAsync"/> waits for a new holder to record itself before naming <see cref="UnknownOwner"/>.</summary>
    public TimeSpan HolderWriteWait
    {
        get => _lease.HolderWriteWait;
        // FileLease is immutable: setting the wait (at construction only) replaces it.
        init => _lease = new FileLease(_lease.LockFilePath) { HolderWriteWait = value };
    }

    /// <summary>What went wrong when the ttl timer gave an expired lease up (the lock itself is closed regardless), or null.</summary>
    public string? LastError { get; private set; }

    public async Task<bool> TryAcquireOrRenewAsync(string owner, TimeSpan ttl, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero);
        await _gate.WaitAsync(ct);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _time.GetUtcNow();
            DropIfExpired(now);

            if (_held is { } held)
            {
                // This instance holds the lock; nobody else can have taken it meanwhile.
                if (held.Lock.Holder.Owner != owner) return false;
                held.Lock.Renew(now + ttl);
                held.Expiry.Change(ttl, Timeout.InfiniteTimeSpan);
                return true;
            }

            var @lock = await _lease.TryAcquireAsync(owner, now, now + ttl, ct);
            if (@lock is null) return false;
            // The callback waits for the gate we hold, so it cannot run before _held is set.
            var generation = new object();
            var expiry = _time.CreateTimer(_ => _ = ExpireAsync(generation), null, ttl, Timeout.InfiniteTimeSpan);
            _held = new Held(@lock, expiry, generation);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task ReleaseAsync(string owner, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        await _gate.WaitAsync(ct);
        try
        {
            if (_held?.Lock.Holder.Owner == owner) Drop();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<LeaseHolder?> CurrentAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            DropIfExpired(_time.GetUtcNow());
            if (_held is { } held) return ToLeaseHolder(held.Lock.Holder);
        }
        finally
        {
            _gate.Release();
        }

        return await _lease.CurrentAsync(ct) switch
        {
            (false, _) => null,
            (true, { } holder) => ToLeaseHolder(holder),
            (true, null) => new LeaseHolder(UnknownOwner, DateTimeOffset.MinValue, DateTimeOffset.MaxValue),
        };
    }

    /// <summary>Gives the lease up if this instance holds it.</summary>
    public void Dispose()
    {
        _gate.Wait();
        try
        {
            if (_disposed) return;
            _disposed = true;
            Drop();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The ttl timer: give the lock up unless the holder renewed (or released) meanwhile.</summary>
    private async Task ExpireAsync(object generation)
    {
        await _gate.WaitAsync();
        try
        {
            if (_held is { } held && ReferenceEquals(held.Generation, generation)) DropIfExpired(_time.GetUtcNow());
        }
        catch (Exception e)
        {
            // Nobody awaits the timer: keep what went wrong where status can show it.
            LastError = $"{Name}: giving up the expired lease failed: {e.Message}";
        }
        finally
        {
            _gate.Release();
        }
    }

    private void DropIfExpired(DateTimeOffset now)
    {
        if (_held is { } held && ToLeaseHolder(held.Lock.Holder).HasExpired(now)) Drop();
    }

    private void Drop()
    {
        if (_held is not { } held) return;
        _held = null;
        held.Expiry.Dispose();
        held.Lock.Dispose();
    }

    private static LeaseHolder ToLeaseHolder(FileLeaseHolder holder) =>
        new(holder.Owner, holder.AcquiredAt, holder.ExpiresAt ?? DateTimeOffset.MaxValue);

    private sealed record Held(FileLeaseLock Lock, ITimer Expiry, object Generation);
}
