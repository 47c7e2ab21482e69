using System.Diagnostics;
using System.Text.Json;
using Regami.Dr.Core.Leases;

namespace Regami.Dr.Server.Leases;

/// <summary>
/// The controller lease for controllers on one host: an exclusive lock on a file, held for as
/// long as the lease is held. On Linux, .NET opens a file with <see cref="FileShare.None"/> under
/// <c>flock(LOCK_EX | LOCK_NB)</c>; the kernel drops the lock when the holding process exits or
/// is killed, so a crashed controller never leaves a stale lease. The lock belongs to the open
/// file, not to the process: two instances in one process exclude each other too, and child
/// processes do not inherit it (.NET opens files close-on-exec).
/// </summary>
/// <remarks>
/// <para><b>The ttl.</b> The holder is written beside the lock, to <c>&lt;lock file&gt;.holder</c>
/// (owner, acquired, expires, pid). A holder that stops renewing gives the lease up itself: a
/// timer on the injected <see cref="TimeProvider"/> deletes the holder file and closes the lock
/// when the ttl passes without a renewal, and every call checks the same deadline first, so a
/// renewal that comes too late is a fresh acquisition. A process that cannot run at all (stopped
/// with SIGSTOP, swapped out) cannot give the lock up: the others then see a holder whose
/// <see cref="LeaseHolder.ExpiresAt"/> has passed but are still refused, until that process runs
/// again (and drops the lock) or dies. We chose to stay safe there — the lock, not the timestamp,
/// decides who may act — because a frozen holder that wakes up would act at once, believing it
/// still holds the lease; with the lock held it indeed still does, and nobody else has acted.</para>
/// <para><b>Reading the holder.</b> A locked file cannot be opened by another .NET process (its
/// open asks for a shared flock and is refused), hence the separate holder file, written right
/// after the lock is taken and deleted just before it is released. <see cref="CurrentAsync"/>
/// learns that the lease is free only by taking the lock for an instant; an acquisition racing
/// with that probe would see it held, so <see cref="TryAcquireOrRenewAsync"/> tries a few times
/// over a few tens of milliseconds before it answers that the lease is taken. Those waits are on
/// another process, not on the domain clock, so they use the system clock.</para>
/// <para>Requires file locking not to be disabled (<c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>)
/// and a local file system (flock over NFS is not to be trusted).</para>
/// </remarks>
public sealed class LocalFileLease : IControllerLease, IDisposable
{
    /// <summary>Attempts <see cref="TryAcquireOrRenewAsync"/> makes before it reports the lease taken.</summary>
    public const int AcquireAttempts = 3;

    /// <summary>What <see cref="CurrentAsync"/> names when the lock is held but no live holder has recorded itself.</summary>
    public const string UnknownOwner = "an unknown holder (the lock file is held but no holder is recorded)";

    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(15);
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Held? _held;
    private bool _disposed;

    public LocalFileLease(string path, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(time);
        LockFilePath = Path.GetFullPath(path);
        HolderFilePath = LockFilePath + ".holder";
        _time = time;
    }

    public string Name => $"local file {LockFilePath}";

    public string LockFilePath { get; }

    /// <summary>The holder record (JSON) beside the lock file.</summary>
    public string HolderFilePath { get; }

    /// <summary>How long <see cref="CurrentAsync"/> waits for a new holder to record itself before naming <see cref="UnknownOwner"/>.</summary>
    public TimeSpan HolderWriteWait { get; init; } = TimeSpan.FromSeconds(1);

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
                if (held.Holder.Owner != owner) return false;
                var renewed = held.Holder with { ExpiresAt = now + ttl };
                WriteHolder(renewed);
                held.Holder = renewed;
                held.Expiry.Change(ttl, Timeout.InfiniteTimeSpan);
                return true;
            }

            var stream = TryLock();
            for (var attempt = 1; stream is null && attempt < AcquireAttempts; attempt++)
            {
                await Task.Delay(RetryInterval, TimeProvider.System, ct);
                stream = TryLock();
            }
            if (stream is null) return false;

            var holder = new LeaseHolder(owner, now, now + ttl);
            try
            {
                WriteHolder(holder);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
            // The callback waits for the gate we hold, so it cannot run before _held is set.
            var generation = new object();
            var expiry = _time.CreateTimer(_ => _ = ExpireAsync(generation), null, ttl, Timeout.InfiniteTimeSpan);
            _held = new Held(stream, holder, expiry, generation);
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
            if (_held?.Holder.Owner == owner) Drop();
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
            if (_held is { } held) return held.Holder;
        }
        finally
        {
            _gate.Release();
        }

        var probe = TryLock();
        if (probe is not null)
        {
            await probe.DisposeAsync();
            return null;
        }

        // Held elsewhere. The holder records itself right after locking; give it a moment. A
        // record left by a process that no longer exists belongs to an earlier, killed holder.
        var deadline = TimeProvider.System.GetTimestamp() + (long)(HolderWriteWait.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (true)
        {
            if (ReadHolder() is { } record && IsAlive(record.Pid))
                return new LeaseHolder(record.Owner, record.AcquiredAt, record.ExpiresAt);
            if (TimeProvider.System.GetTimestamp() >= deadline)
                return new LeaseHolder(UnknownOwner, DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
            await Task.Delay(RetryInterval, TimeProvider.System, ct);
        }
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
        if (_held is { } held && held.Holder.HasExpired(now)) Drop();
    }

    private void Drop()
    {
        if (_held is not { } held) return;
        _held = null;
        held.Expiry.Dispose();
        // Ordering: forget the holder first, then unlock, so a reader never sees our name on a
        // lease someone else already holds (only the lock holder writes or deletes the record).
        try { File.Delete(HolderFilePath); }
        finally { held.Lock.Dispose(); }
    }

    /// <summary>Opens the lock file exclusively, or returns null when another open file description holds it.</summary>
    private FileStream? TryLock()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(LockFilePath)!);
        try
        {
            return new FileStream(LockFilePath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException && IsLockConflict(e))
        {
            return null;
        }
    }

    /// <summary>EWOULDBLOCK (11) on Linux, ERROR_SHARING_VIOLATION (32) on Windows.</summary>
    private static bool IsLockConflict(IOException e) => (e.HResult & 0xFFFF) is 11 or 32 || e.HResult == unchecked((int)0x80070020);

    private static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private void WriteHolder(LeaseHolder holder)
    {
        var record = new HolderRecord(holder.Owner, holder.AcquiredAt, holder.ExpiresAt, Environment.ProcessId);
        var temp = $"{HolderFilePath}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(record, Json));
        File.Move(temp, HolderFilePath, overwrite: true);
    }

    private HolderRecord? ReadHolder()
    {
        try
        {
            return JsonSerializer.Deserialize<HolderRecord>(File.ReadAllText(HolderFilePath));
        }
        catch (Exception e) when (e is FileNotFoundException or JsonException or IOException)
        {
            return null;
        }
    }

    private sealed record HolderRecord(string Owner, DateTimeOffset AcquiredAt, DateTimeOffset ExpiresAt, int Pid);

    private sealed class Held(FileStream @lock, LeaseHolder holder, ITimer expiry, object generation)
    {
        public FileStream Lock { get; } = @lock;
        public LeaseHolder Holder { get; set; } = holder;
        public ITimer Expiry { get; } = expiry;
        public object Generation { get; } = generation;
    }
}
