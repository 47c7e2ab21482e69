using Regami.Dr.Core.Backups;

namespace Regami.Dr.Core.Costs;

/// <summary>One scheduled backup class as copied to the standby vault, at steady state.</summary>
/// <param name="RunsPerYear">Occurrences of the class's cron in a reference year (2025, 365 days).</param>
/// <param name="Kept">Copies the retention keeps at once: runs per year × retention / 365, rounded up.</param>
/// <param name="IntervalDays">Days between two copies of the class.</param>
/// <param name="IncrementGb">What one copy adds to the vault: the blocks changed since the class's previous copy.</param>
public sealed record BackupClassCopies(BackupClass Class, string Retention, int RunsPerYear, int Kept, double IntervalDays, double IncrementGb);

/// <summary>
/// How the standby vault's copies of the database snapshots are priced. RDS snapshot copies are
/// incremental after the first full copy of an instance in the destination region (same KMS
/// key), so the vault holds one full copy plus, for every copy kept, the blocks changed since
/// the previous copy of its class. The share of blocks changed after <c>d</c> days is
/// <c>1 − (1 − p)^d</c> for a daily change <c>p</c>: a block written twice is stored once, so a
/// monthly copy holds far less than 30 daily increments. Each copy is charged its own class's
/// increment even where classes share blocks, which errs on the high side.
/// </summary>
/// <remarks>
/// The cross-region transfer is what the most frequent class ships: every changed block crosses
/// once with it, and a later class's copy the same day finds its blocks already there. The
/// first full copy crosses once when the copies start (a one-time cost, not a monthly one).
/// Manual backups are not scheduled and not priced; a class kept forever is priced as kept for
/// one year (its storage grows every month beyond that).
/// </remarks>
public sealed record BackupCopyModel(double FullGb, double DailyChangeShare, IReadOnlyList<BackupClassCopies> Classes)
{
    /// <summary>The reference year the schedules are counted in: fixed, so an estimate never depends on today's date.</summary>
    private static readonly DateTime YearStart = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>GB the standby vault holds at steady state.</summary>
    public double StoredGb => Classes.Count == 0 ? 0 : FullGb + Classes.Sum(c => c.Kept * c.IncrementGb);

    /// <summary>GB copied across regions per month (after the first full copy).</summary>
    public double TransferGbPerMonth => Classes.Count == 0 ? 0 : Classes.Max(c => c.RunsPerYear / 12.0 * c.IncrementGb);

    /// <summary>The share of blocks changed after <paramref name="days"/> days of writes.</summary>
    public static double ChangedShare(double dailyShare, double days) => Math.Min(1, 1 - Math.Pow(1 - dailyShare, days));

    public static BackupCopyModel From(BackupConfig backups, double fullGb, double dailyChangePercent)
    {
        var p = dailyChangePercent / 100;
        var rules = backups.Rules;
        var classes = new List<BackupClassCopies>();
        foreach (var (cls, cron) in new[] { (BackupClass.Daily, backups.Schedules.Daily), (BackupClass.Compliance, backups.Schedules.Compliance), (BackupClass.Monthly, backups.Schedules.Monthly) })
        {
            if (cron.Length == 0 || !BackupSchedules.TryParse(cron, out var expression)) continue; // switched off
            var runs = expression!.GetOccurrences(YearStart, YearStart.AddYears(1), TimeZoneInfo.Utc, fromInclusive: true, toInclusive: false).Count();
            if (runs == 0) continue;
            var retention = rules.For(cls);
            var keptDays = retention.Forever ? 365.0 : retention.Months > 0 ? retention.Months * 365.0 / 12 : retention.Days;
            // A tolerance so 12 monthly runs kept 12 months is 12 copies, not 13 from a rounding error.
            var kept = Math.Max(1, (int)Math.Ceiling(runs * keptDays / 365 - 1e-9));
            var interval = 365.0 / runs;
            classes.Add(new BackupClassCopies(cls, retention.ToString(), runs, kept, interval, fullGb * ChangedShare(p, interval)));
        }
        return new BackupCopyModel(fullGb, p, classes);
    }
}
