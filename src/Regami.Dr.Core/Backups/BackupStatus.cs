namespace Regami.Dr.Core.Backups;

/// <summary>The newest backup of one class: how old it is and where its copies are.</summary>
public sealed record NewestBackup(BackupClass Class, string Id, DateTimeOffset FinishedAt, double AgeSeconds, IReadOnlyList<string> Regions);

/// <summary>The backup part of `status` and /metrics: newest per class, copies per region, the recoverable window, the last restore test.</summary>
public sealed record BackupStatus(
    string Engine,
    int Count,
    IReadOnlyList<NewestBackup> Newest,
    IReadOnlyDictionary<string, int> CopiesPerRegion,
    RecoveryWindow? RecoveryWindow,
    RestoreTestResult? LastRestoreTest,
    DateTimeOffset? LastPassingRestoreTest)
{
    /// <summary>Builds the view from the port's answers. Pure.</summary>
    public static BackupStatus From(string engine, IReadOnlyList<BackupRecord> backups, RecoveryWindow? window, IReadOnlyList<RestoreTestResult> restoreTests,
        IEnumerable<string> regions, DateTimeOffset now) => new(
        engine,
        backups.Count,
        backups.GroupBy(b => b.Class).OrderBy(g => g.Key).Select(g => g.MaxBy(b => b.FinishedAt)!)
            .Select(b => new NewestBackup(b.Class, b.Id, b.FinishedAt, Math.Max(0, (now - b.FinishedAt).TotalSeconds), b.Regions.ToList())).ToList(),
        regions.ToDictionary(r => r, r => backups.Count(b => b.CopyIn(r) is not null)),
        window,
        restoreTests.LastOrDefault(),
        restoreTests.LastOrDefault(t => t.Passed)?.At);
}
