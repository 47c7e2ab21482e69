using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Store;

/// <summary>
/// The runbook lease as a <see cref="FileLease"/>: an exclusive lock on a file that the kernel
/// drops when the holding process exits or is killed, so a crashed runbook never leaves a stale
/// lease. The holder is recorded beside the lock (see <see cref="FileLease"/>); it never lapses
/// on its own, since a runbook holds the lease for as long as it runs.
/// </summary>
public sealed class FileRunbookLease : IRunbookLease
{
    /// <summary>How long <see cref="CurrentHolderAsync"/> waits for a new holder to write its name.</summary>
    public static readonly TimeSpan HolderWriteWait = TimeSpan.FromSeconds(1);

    /// <summary>Attempts <see cref="TryAcquireAsync"/> makes before it reports the lease taken.</summary>
    public const int AcquireAttempts = FileLease.AcquireAttempts;

    /// <summary>What <see cref="CurrentHolderAsync"/> answers when the lease is held but its holder is not recorded.</summary>
    public const string UnknownHolder = "an unknown holder (the lease is held but the holder has not recorded its name)";

    private readonly FileLease _lease;
    private readonly TimeProvider _time;

    public FileRunbookLease(string lockFilePath, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _lease = new FileLease(lockFilePath) { HolderWriteWait = HolderWriteWait };
        _time = time;
    }

    public string LockFilePath => _lease.LockFilePath;

    public string HolderFilePath => _lease.HolderFilePath;

    public async Task<RunbookLeaseHandle?> TryAcquireAsync(string holderRunId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(holderRunId);
        // The injected clock only stamps the acquisition time; a runbook's lease never expires.
        var held = await _lease.TryAcquireAsync(holderRunId, _time.GetUtcNow(), expiresAt: null, ct);
        return held is null ? null : new RunbookLeaseHandle(holderRunId, held.DisposeAsync);
    }

    public async Task<string?> CurrentHolderAsync(CancellationToken ct) =>
        await _lease.CurrentAsync(ct) switch
        {
            (false, _) => null,
            (true, { } holder) => holder.Owner,
            (true, null) => UnknownHolder,
        };
}
