using System.Diagnostics;
using System.Text.Json;
using Regami.Dr.Core.Polling;

namespace Regami.Dr.Store;

/// <summary>Who holds a <see cref="FileLease"/>, as recorded beside its lock file.</summary>
/// <param name="Owner">The text the lease was taken for (a runbook run id, a controller's owner string).</param>
/// <param name="Pid">The holding process, so that a record left by a killed process can be told from a live one.</param>
/// <param name="ExpiresAt">When the holder gives the lease up unless it renews; null when it never lapses on its own.</param>
public sealed record FileLeaseHolder(string Owner, int Pid, DateTimeOffset AcquiredAt, DateTimeOffset? ExpiresAt = null);

/// <summary>
/// An exclusive lock on a file, with a holder record beside it: the mechanism shared by the
/// runbook lease (<see cref="FileRunbookLease"/>) and the controller lease on one host. On Linux,
/// .NET opens a file with <see cref="FileShare.None"/> under <c>flock(LOCK_EX | LOCK_NB)</c>; the
/// kernel drops the lock when the holding process exits or is killed, so a crashed holder never
/// leaves a stale lease. The lock belongs to the open file, not to the process: two instances in
/// one process exclude each other too, and child processes do not inherit it (.NET opens files
/// close-on-exec).
/// </summary>
/// <remarks>
/// A locked file cannot be read by another .NET process (its open asks for a shared flock and is
/// refused), so the holder is written beside the lock, to <c>&lt;lock file&gt;.holder</c>, right
/// after the lock is taken and deleted just before it is released. A record left by a killed
/// process is ignored: the lock, not the record, says whether the lease is held.
/// <para>
/// <see cref="CurrentAsync"/> can only learn that the lease is free by taking the lock for an
/// instant; an acquisition racing with that probe would see it held, so
/// <see cref="TryAcquireAsync"/> tries a few times over a few tens of milliseconds before it
/// answers that the lease is taken. These waits are on another process, not on the domain clock,
/// so they use the system clock even when a fake <see cref="TimeProvider"/> is injected elsewhere.
/// </para>
/// <para>Requires file locking not to be disabled (<c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>)
/// and a local file system (flock over NFS is not to be trusted).</para>
/// </remarks>
public sealed class FileLease
{
    /// <summary>Attempts <see cref="TryAcquireAsync"/> makes before it reports the lease taken.</summary>
    public const int AcquireAttempts = 3;

    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(15);
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public FileLease(string lockFilePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(lockFilePath);
        LockFilePath = Path.GetFullPath(lockFilePath);
        HolderFilePath = LockFilePath + ".holder";
    }

    public string LockFilePath { get; }

    /// <summary>The holder record (JSON) beside the lock file.</summary>
    public string HolderFilePath { get; }

    /// <summary>How long <see cref="CurrentAsync"/> waits for a new holder to record itself before it answers "held, holder unknown".</summary>
    public TimeSpan HolderWriteWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Takes the lock and records <paramref name="owner"/> as holder, or returns null when another
    /// open file description holds it. The returned lock is held until it is disposed.
    /// </summary>
    public async Task<FileLeaseLock?> TryAcquireAsync(string owner, DateTimeOffset acquiredAt, DateTimeOffset? expiresAt, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        var stream = TryLock();
        for (var attempt = 1; stream is null && attempt < AcquireAttempts; attempt++)
        {
            await Task.Delay(RetryInterval, TimeProvider.System, ct);
            stream = TryLock();
        }
        if (stream is null) return null;
        var holder = new FileLeaseHolder(owner, Environment.ProcessId, acquiredAt, expiresAt);
        try
        {
            WriteHolder(holder);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
        return new FileLeaseLock(this, stream, holder);
    }

    /// <summary>
    /// Whether the lock is held by anyone (this process included), and by whom: the live holder's
    /// record, or null when the lock is held but no live holder has recorded itself within
    /// <see cref="HolderWriteWait"/>.
    /// </summary>
    public async Task<(bool Held, FileLeaseHolder? Holder)> CurrentAsync(CancellationToken ct)
    {
        var probe = TryLock();
        if (probe is not null)
        {
            await probe.DisposeAsync();
            return (false, null);
        }

        // Held. The holder records itself right after locking; give it a moment. A record left
        // by a process that no longer exists belongs to an earlier, killed holder.
        FileLeaseHolder? live = null;
        await Poll.UntilAsync(_ =>
        {
            live = ReadHolder() is { } record && IsAlive(record.Pid) ? record : null;
            return Task.FromResult(live is not null);
        }, HolderWriteWait, RetryInterval, TimeProvider.System, ct);
        return (true, live);
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

    /// <summary>Only the lock holder writes the record; a rename makes it appear whole to readers.</summary>
    internal void WriteHolder(FileLeaseHolder holder)
    {
        var temp = $"{HolderFilePath}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(holder, Json));
        File.Move(temp, HolderFilePath, overwrite: true);
    }

    private FileLeaseHolder? ReadHolder()
    {
        try
        {
            return JsonSerializer.Deserialize<FileLeaseHolder>(File.ReadAllText(HolderFilePath)) is { Owner: not null } holder ? holder : null;
        }
        catch (Exception e) when (e is FileNotFoundException or JsonException or IOException)
        {
            return null;
        }
    }
}

/// <summary>A held <see cref="FileLease"/>: renew its record while holding it; dispose to give it up.</summary>
public sealed class FileLeaseLock : IDisposable, IAsyncDisposable
{
    private readonly FileLease _lease;
    private FileStream? _stream;

    internal FileLeaseLock(FileLease lease, FileStream stream, FileLeaseHolder holder)
    {
        _lease = lease;
        _stream = stream;
        Holder = holder;
    }

    public FileLeaseHolder Holder { get; private set; }

    /// <summary>Rewrites the holder record with a new expiry (nobody else can have taken the lock meanwhile).</summary>
    public void Renew(DateTimeOffset expiresAt)
    {
        ObjectDisposedException.ThrowIf(_stream is null, this);
        var renewed = Holder with { ExpiresAt = expiresAt };
        _lease.WriteHolder(renewed);
        Holder = renewed;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _stream, null) is not { } stream) return;
        // Ordering: forget the holder first, then unlock, so a reader never sees our name on a
        // lease someone else already holds (only the lock holder writes or deletes the record).
        try { File.Delete(_lease.HolderFilePath); }
        finally { stream.Dispose(); }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
