using System.Globalization;

namespace Regami.Dr.Core.Backups;

/// <summary>
/// How long a class of backups is kept: whole days, or calendar months (a monthly backup of
/// 31 January kept one month expires on 28 or 29 February, as a person reading the plan expects),
/// or forever. Spelled 7d, 2w, 12mo, 1y, forever.
/// </summary>
public readonly record struct RetentionPeriod(int Days, int Months, bool Forever)
{
    public static RetentionPeriod OfDays(int days) => new(days, 0, false);
    public static RetentionPeriod OfMonths(int months) => new(0, months, false);
    public static readonly RetentionPeriod Always = new(0, 0, true);

    /// <summary>The instant a backup that finished at <paramref name="finishedAt"/> stops being kept (null: never). UTC calendar.</summary>
    public DateTimeOffset? ExpiresAt(DateTimeOffset finishedAt)
    {
        if (Forever) return null;
        var utc = finishedAt.ToUniversalTime();
        return Months > 0 ? utc.AddMonths(Months) : utc.AddDays(Days);
    }

    public static bool TryParse(string? text, out RetentionPeriod value)
    {
        value = default;
        text = text?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(text)) return false;
        if (text is "forever" or "always") { value = Always; return true; }
        string[] units = ["mo", "d", "w", "y"];
        var unit = units.FirstOrDefault(text.EndsWith);
        if (unit is null || !int.TryParse(text[..^unit.Length], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > 100_000) return false;
        value = unit switch
        {
            "d" => OfDays(n),
            "w" => OfDays(7 * n),
            "mo" => OfMonths(n),
            _ => OfMonths(12 * n),
        };
        return true;
    }

    public override string ToString() => Forever ? "forever" : Months > 0 ? (Months % 12 == 0 ? $"{Months / 12}y" : $"{Months}mo") : $"{Days}d";
}

/// <summary>The retention of each class (the plan: daily 7 days, compliance 14 days, monthly one year; manual until deleted).</summary>
public sealed record RetentionRules(IReadOnlyDictionary<BackupClass, RetentionPeriod> Keep)
{
    public static RetentionRules Plan { get; } = new(new Dictionary<BackupClass, RetentionPeriod>
    {
        [BackupClass.Daily] = RetentionPeriod.OfDays(7),
        [BackupClass.Compliance] = RetentionPeriod.OfDays(14),
        [BackupClass.Monthly] = RetentionPeriod.OfMonths(12),
        [BackupClass.Manual] = RetentionPeriod.Always,
    });

    public RetentionPeriod For(BackupClass c) => Keep.TryGetValue(c, out var p) ? p : RetentionPeriod.Always;
}

/// <summary>One backup's fate in a prune, and why.</summary>
public sealed record PruneItem(BackupRecord Backup, bool Delete, string Reason);

/// <summary>What a prune deletes and keeps; a dry run prints exactly this, a real prune carries out exactly this.</summary>
public sealed record PrunePlan(DateTimeOffset At, IReadOnlyList<PruneItem> Items)
{
    public IEnumerable<BackupRecord> ToDelete => Items.Where(i => i.Delete).Select(i => i.Backup);
    public IEnumerable<BackupRecord> ToKeep => Items.Where(i => !i.Delete).Select(i => i.Backup);
}

/// <summary>
/// The retention policy: which backups a prune deletes. Pure (state and time in, decision out);
/// the engine only carries out what this decided — pgBackRest's own expiry is switched off.
/// </summary>
public static class RetentionPolicy
{
    /// <param name="backups">Every usable backup.</param>
    /// <param name="now">The prune's instant (UTC).</param>
    /// <param name="inUse">Backup ids a running restore reads: never deleted.</param>
    public static PrunePlan Plan(IReadOnlyList<BackupRecord> backups, DateTimeOffset now, RetentionRules rules, IReadOnlySet<string> inUse)
    {
        var reasons = new Dictionary<string, (bool Delete, string Reason)>();
        // The newest of each class is kept whatever its age: a policy must never leave a class without a backup.
        var newest = backups.GroupBy(b => b.Class).Select(g => g.MaxBy(b => b.FinishedAt)!.Id).ToHashSet();
        foreach (var b in backups)
        {
            var period = rules.For(b.Class);
            var expires = period.ExpiresAt(b.FinishedAt);
            if (inUse.Contains(b.Id)) reasons[b.Id] = (false, "a running restore reads it");
            else if (expires is null) reasons[b.Id] = (false, $"{b.Class.Name()} backups are kept until deleted");
            else if (now < expires) reasons[b.Id] = (false, $"kept until {expires:yyyy-MM-dd HH:mm}Z ({b.Class.Name()}: {period})");
            else if (newest.Contains(b.Id)) reasons[b.Id] = (false, $"expired {expires:yyyy-MM-dd HH:mm}Z, but it is the newest {b.Class.Name()} backup");
            else reasons[b.Id] = (true, $"expired {expires:yyyy-MM-dd HH:mm}Z ({b.Class.Name()}: {period})");
        }
        // A differential restores only with its full: a kept differential keeps its full (and so on up the chain).
        var byId = backups.ToDictionary(b => b.Id);
        bool changed;
        do
        {
            changed = false;
            foreach (var b in backups.Where(b => !reasons[b.Id].Delete && b.DependsOn is not null))
            {
                if (byId.ContainsKey(b.DependsOn!) && reasons[b.DependsOn!].Delete)
                {
                    reasons[b.DependsOn!] = (false, $"expired, but the kept differential {b.Id} needs it");
                    changed = true;
                }
            }
        } while (changed);
        // Every repository keeps a full backup: without one its region restores nothing (and pgBackRest refuses to
        // expire a repository's last full backup, error 075). When the policy would delete them all, the newest stays.
        foreach (var region in backups.SelectMany(b => b.Regions).Distinct())
        {
            var fulls = backups.Where(b => b.Kind == "full" && b.CopyIn(region) is not null).ToList();
            if (fulls.Count > 0 && fulls.All(b => reasons[b.Id].Delete))
            {
                var keep = fulls.MaxBy(b => b.FinishedAt)!;
                reasons[keep.Id] = (false, $"expired, but it is the last full backup in {region}'s repository (without one {region} restores nothing)");
            }
        }
        return new PrunePlan(now, backups.OrderBy(b => b.FinishedAt).Select(b => new PruneItem(b, reasons[b.Id].Delete, reasons[b.Id].Reason)).ToList());
    }

    /// <summary>The regions whose repository holds no other full backup than <paramref name="backup"/>'s copy: deleting it would leave them nothing to restore.</summary>
    public static IReadOnlyList<string> OnlyFullIn(IReadOnlyList<BackupRecord> backups, BackupRecord backup)
    {
        ArgumentNullException.ThrowIfNull(backups);
        ArgumentNullException.ThrowIfNull(backup);
        if (backup.Kind != "full") return [];
        return backup.Regions.Where(region => !backups.Any(b => b.Id != backup.Id && b.Kind == "full" && b.CopyIn(region) is not null)).ToList();
    }
}
