namespace Regami.Dr.Core.Backups;

/// <summary>
/// Backups and restores of the environment's database, whatever the engine (the lab: pgBackRest
/// with one repository per region; AWS: RDS snapshots and AWS Backup). Decisions — what to
/// prune, which copy to restore, whether a time is recoverable — are made in Core
/// (<see cref="RetentionPolicy"/>, <see cref="RestorePlanner"/>); the port only carries them out.
/// </summary>
public interface IBackupPort
{
    /// <summary>The engine and its version, for reports (e.g. "pgBackRest 2.45").</summary>
    string Engine { get; }

    /// <summary>Takes a backup of the current primary (and, when asked, its copies in the other regions). Fails whole: a backup that failed halfway is never listed.</summary>
    Task<BackupRecord> CreateAsync(BackupRequest request, Action<string> progress, CancellationToken ct);

    /// <summary>Every usable backup, oldest first, with its copies and its last verification.</summary>
    Task<IReadOnlyList<BackupRecord>> ListAsync(CancellationToken ct);

    /// <summary>Makes a copy of backup <paramref name="id"/> in <paramref name="region"/>'s repository (idempotent: an existing copy is returned as it is).</summary>
    Task<BackupRecord> CopyAsync(string id, string region, Action<string> progress, CancellationToken ct);

    /// <summary>Ids of backups a running restore reads (a prune keeps them).</summary>
    Task<IReadOnlySet<string>> InUseAsync(CancellationToken ct);

    /// <summary>Deletes every copy of a backup (what a prune decided).</summary>
    Task DeleteAsync(BackupRecord backup, CancellationToken ct);

    /// <summary>The engine's integrity check of every copy, then a real restore into a scratch instance; the result is kept with the backup.</summary>
    Task<BackupVerification> VerifyAsync(string id, Action<string> progress, CancellationToken ct);

    /// <summary>Restores the latest backup and a recent point in time into scratch instances, checks them, records the result.</summary>
    Task<RestoreTestResult> RestoreTestAsync(Action<string> progress, CancellationToken ct);

    /// <summary>The most recent restore tests, newest last.</summary>
    Task<IReadOnlyList<RestoreTestResult>> RestoreTestsAsync(CancellationToken ct);

    /// <summary>From the oldest backup to the newest archived WAL; null when nothing is recoverable.</summary>
    Task<RecoveryWindow?> WindowAsync(CancellationToken ct);

    /// <summary>Restores into a new instance (never over a running database) and starts it.</summary>
    Task<RestoredInstance> RestoreAsync(RestorePlan plan, Action<string> progress, CancellationToken ct);

    Task<IReadOnlyList<RestoredInstance>> ListRestoresAsync(CancellationToken ct);

    /// <summary>
    /// Makes restored instance <paramref name="name"/> the database of <paramref name="region"/> (a step of
    /// the restore-promote runbook, after the old primary is fenced): the region's database is stopped and
    /// kept aside, the restored one takes its place, archiving into the repositories, with no synchronous standby yet.
    /// </summary>
    Task<string> AdoptAsync(string name, string region, CancellationToken ct);

    /// <summary>Stops a restored instance and deletes its files (idempotent: false when there was none).</summary>
    Task<bool> DropRestoreAsync(string name, CancellationToken ct);
}
