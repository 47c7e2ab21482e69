using System.Text.Json;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Store;

/// <summary>
/// The runbook lease as an exclusive lock on a file. On Linux, .NET opens a file with
/// <see cref="FileShare.None"/> under <c>flock(LOCK_EX | LOCK_NB)</c>; the kernel drops the lock
/// when the holding process exits or is killed, so a crashed runbook never leaves a stale lease.
/// </summary>
/// <remarks>
/// A locked file cannot be read by another .NET process (its open asks for a shared flock and
/// is refused), so the holder is written beside the lock, to <c>&lt;lock file&gt;.holder</c>, right
/// after the lock is taken and deleted just before it is released. A holder file left by a
/// killed process is ignored: the lock, not the file, says whether the lease is held.
/// <para>
/// <see cref="CurrentHolderAsync"/> can only learn that the lease is free by taking the lock for
/// an instant; an acquisition racing with that probe would see it held, so
/// <see cref="TryAcquireAsync"/> tries a few times over a few tens of milliseconds before it
/// answers that the lease is taken. These waits are on another process, not on the domain
/// clock, so they use the system clock even when a fake <see cref="TimeProvider"/> is injected
/// (which only stamps the holder's acquisition time).
/// </para>
/// </remarks>
public sealed class FileRunbookLease : IRunbookLease
{
    /// <summary>How long <see cref="CurrentHolderAsync"/> waits for a new holder to write its name.</summary>
    public static readonly TimeSpan HolderWriteWait = TimeSpan.FromSeconds(1);

    /// <summary>Attempts <see cref="TryAcquireAsync"/> makes before it reports the lease taken.</summary>
    public const int AcquireAttempts = 3;

    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(15);

    /// <summary>What <see cref="CurrentHolderAsync"/> answers when the lease is held but its holder is not recorded.</summary>
    public const string UnknownHolder = "an unknown holder (the lease is held but the holder has not recorded its name)";

    private readonly TimeProvider _time;

    public FileRunbookLease(string lockFilePath, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(lockFilePath);
        ArgumentNullException.ThrowIfNull(time);
        LockFilePath = Path.GetFullPath(lockFilePath);
        HolderFilePath = LockFilePath + ".holder";
        _time = time;
    }

    public string LockFilePath { get; }

    public string HolderFilePath { get; }

    public async Task<RunbookLeaseHandle?> TryAcquireAsync(string holderRunId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(holderRunId);
        var stream = TryLock();
        for (var attempt = 1; stream is null && attempt < AcquireAttempts; attempt++)
        {
            await Task.Delay(RetryInterval, TimeProvider.System, ct);
            stream = TryLock();
        }
        if (stream is null) return null;
        try
        {
            await WriteHolderAsync(new LeaseHolder(holderRunId, Environment.ProcessId, _time.GetUtcNow()), ct);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }

        return new RunbookLeaseHandle(holderRunId, async () =>
        {
            // Ordering: forget the holder first, then unlock, so a reader never sees our name
            // on a lease someone else already holds.
            try { File.Delete(HolderFilePath); }
            finally { await stream.DisposeAsync(); }
        });
    }

    public async Task<string?> CurrentHolderAsync(CancellationToken ct)
    {
        var probe = TryLock();
        if (probe is not null)
        {
            await probe.DisposeAsync();
            return null;
        }

        // Held. The holder writes its name right after locking; give it a moment to do so. A
        // name left by a process that no longer exists belongs to an earlier, killed holder.
        var deadline = TimeProvider.System.GetTimestamp() + (long)(HolderWriteWait.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (true)
        {
            if (await ReadHolderAsync(ct) is { } holder && IsAlive(holder.Pid)) return holder.RunId;
            if (TimeProvider.System.GetTimestamp() >= deadline) return UnknownHolder;
            await Task.Delay(RetryInterval, TimeProvider.System, ct);
        }
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

    private static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>EWOULDBLOCK (11) on Linux, ERROR_SHARING_VIOLATION (32) on Windows.</summary>
    private static bool IsLockConflict(IOException e) => (e.HResult & 0xFFFF) is 11 or 32 || e.HResult == unchecked((int)0x80070020);

    private async Task WriteHolderAsync(LeaseHolder holder, CancellationToken ct)
    {
        var temp = $"{HolderFilePath}.{Environment.ProcessId}.tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(holder), ct);
        File.Move(temp, HolderFilePath, overwrite: true);
    }

    private async Task<LeaseHolder?> ReadHolderAsync(CancellationToken ct)
    {
        try
        {
            return JsonSerializer.Deserialize<LeaseHolder>(await File.ReadAllTextAsync(HolderFilePath, ct));
        }
        catch (Exception e) when (e is FileNotFoundException or JsonException)
        {
            return null;
        }
    }

    private sealed record LeaseHolder(string RunId, int Pid, DateTimeOffset AcquiredAt);
}
