namespace Regami.Dr.Core.Backups;

/// <summary>The plan's backup classes; each has its own retention (<see cref="RetentionRules"/>).</summary>
public enum BackupClass { Daily, Compliance, Monthly, Manual }

public static class BackupClasses
{
    public static string Name(this BackupClass c) => c.ToString().ToLowerInvariant();

    public static bool TryParse(string? text, out BackupClass value) =>
        Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value) && !int.TryParse(text, out _);

    public static string Names => string.Join("|", Enum.GetValues<BackupClass>().Select(Name));
}

/// <summary>One region's copy of a backup: the engine's own label for it and what it takes on disk.</summary>
/// <param name="Region">The region whose repository holds the copy.</param>
/// <param name="Label">The engine's label (pgBackRest: <c>20261129-180635F</c>).</param>
/// <param name="FinishedAt">When this copy's backup stopped: its consistent point. A cross-region copy taken later has a later one.</param>
/// <param name="RepositoryBytes">Bytes in the repository (compressed; a differential counts only its changes).</param>
public sealed record BackupCopy(string Region, string Label, DateTimeOffset FinishedAt, long RepositoryBytes);

/// <summary>
/// A usable backup: one that completed. An engine lists only completed backups, so a backup that
/// failed halfway never appears here.
/// </summary>
public sealed record BackupRecord
{
    /// <summary>Our id: the label of the backup as first taken (its copies have labels of their own).</summary>
    public required string Id { get; init; }

    /// <summary>full or diff.</summary>
    public required string Kind { get; init; }

    public required BackupClass Class { get; init; }

    public string? Reason { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The consistent point of the first copy: the backup restores the database as of this instant.</summary>
    public required DateTimeOffset FinishedAt { get; init; }

    /// <summary>The database's size when it was backed up.</summary>
    public required long DatabaseBytes { get; init; }

    public required IReadOnlyList<BackupCopy> Copies { get; init; }

    /// <summary>The full backup a differential needs to restore (null for a full).</summary>
    public string? DependsOn { get; init; }

    /// <summary>The last `backup verify` of this backup, when one ran.</summary>
    public BackupVerificationSummary? LastVerified { get; init; }

    public IEnumerable<string> Regions => Copies.Select(c => c.Region);

    public BackupCopy? CopyIn(string region) => Copies.FirstOrDefault(c => c.Region == region);

    public long RepositoryBytes => Copies.Sum(c => c.RepositoryBytes);
}

/// <summary>The outcome of a verification, kept with the backup for `backup list`.</summary>
public sealed record BackupVerificationSummary(DateTimeOffset At, bool Passed, string Summary);

/// <summary>From when to when a point-in-time restore can go: the oldest backup's consistent point to the newest archived WAL.</summary>
public sealed record RecoveryWindow(DateTimeOffset Oldest, DateTimeOffset Newest)
{
    public bool Contains(DateTimeOffset t) => t >= Oldest && t <= Newest;
    public override string ToString() => $"{Oldest:yyyy-MM-ddTHH:mm:ssZ} … {Newest:yyyy-MM-ddTHH:mm:ssZ}";
}

/// <summary>What `backup create` asks for.</summary>
public sealed record BackupRequest(BackupClass Class, string? Reason, bool Differential = false, bool CopyToOtherRegions = true);

/// <summary>`backup verify`: the engine's integrity check of every copy, and a real restore of the backup into a scratch instance.</summary>
public sealed record BackupVerification
{
    public required string BackupId { get; init; }
    public required DateTimeOffset At { get; init; }

    /// <summary>Per copy: the engine's verdict and, when it failed, the files it named.</summary>
    public required IReadOnlyList<CopyIntegrity> Copies { get; init; }

    /// <summary>The scratch restore: null when integrity already failed (a corrupt backup is not restored).</summary>
    public RestoreProof? Restore { get; init; }

    public bool Passed => Copies.All(c => c.Valid) && Restore is { Passed: true };

    public string Summary => Passed
        ? $"integrity ok in {string.Join(", ", Copies.Select(c => c.Region))}; restored in {Restore!.Seconds:0.0} s, records: {Restore.Rows} rows, checksum {(Restore.Checksum is { Length: > 0 } sum ? sum : "-")}"
        : Copies.FirstOrDefault(c => !c.Valid) is { } bad
            ? $"integrity FAILED in {bad.Region} ({bad.Label}): {string.Join("; ", bad.Problems)}"
            : $"restore FAILED: {Restore?.Error ?? "not attempted"}";
}

public sealed record CopyIntegrity(string Region, string Label, bool Valid, IReadOnlyList<string> Problems);

/// <summary>A backup restored into a scratch instance that answered queries: the only proof that it restores.</summary>
public sealed record RestoreProof(bool Passed, double Seconds, long? Rows, string? Checksum, string? Error);

/// <summary>A restore asks for a snapshot (a backup's id), a point in time, or the latest point archived, into a new instance.</summary>
/// <param name="Latest">Replay every archived WAL segment (the newest recoverable point): the recovery when the databases themselves are lost.</param>
public sealed record RestoreRequest(string Name, string? SnapshotId, DateTimeOffset? ToTime, string? Region, bool Latest = false);

/// <summary>A database restored into a new instance beside the lab's (the running primary is never overwritten).</summary>
public sealed record RestoredInstance
{
    public required string Name { get; init; }
    public required string Region { get; init; }
    public required string Host { get; init; }
    public required int Port { get; init; }
    public required string Database { get; init; }
    public required string User { get; init; }

    /// <summary>What it was restored from: <c>snapshot ID</c> or <c>time T</c>.</summary>
    public required string Source { get; init; }

    /// <summary>The backup copy the engine restored (and replayed WAL on, for a point in time).</summary>
    public required string BackupLabel { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>restoring while the engine works (its backup is in use: pruning keeps it), then running or stopped.</summary>
    public required string State { get; init; }

    public double? Seconds { get; init; }
}

/// <summary>
/// A restore test: the latest backup and a recent point in time, each restored into a scratch
/// instance that must answer queries. The only proof that backups restore (integrity checks alone do not).
/// </summary>
public sealed record RestoreTestResult
{
    public required DateTimeOffset At { get; init; }
    public string? BackupId { get; init; }
    public RestoreProof? Snapshot { get; init; }
    public DateTimeOffset? PointInTime { get; init; }
    public RestoreProof? PointInTimeRestore { get; init; }

    /// <summary>Why it could not run (no backup, no primary…); a test that could not run did not pass.</summary>
    public string? Error { get; init; }

    public bool Passed => Error is null && Snapshot is { Passed: true } && PointInTimeRestore is { Passed: true };

    public string Summary => Error is not null ? $"restore test FAILED: {Error}"
        : Passed ? $"restore test passed: {BackupId} restored in {Snapshot!.Seconds:0.0} s ({Snapshot.Rows} rows), {PointInTime:yyyy-MM-ddTHH:mm:ssZ} restored in {PointInTimeRestore!.Seconds:0.0} s ({PointInTimeRestore.Rows} rows)"
        : $"restore test FAILED: {(Snapshot is { Passed: false } s ? $"backup {BackupId}: {s.Error}" : $"point in time {PointInTime:yyyy-MM-ddTHH:mm:ssZ}: {PointInTimeRestore?.Error}")}";
}
