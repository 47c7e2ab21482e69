using Cronos;

namespace Regami.Dr.Core.Backups;

/// <summary>The backup section of regami-dr.yaml: when each class is taken, how long it is kept, how often a restore is tested.</summary>
public sealed class BackupConfig
{
    public BackupScheduleConfig Schedules { get; set; } = new();
    public BackupRetentionConfig Retention { get; set; } = new();

    public RetentionRules Rules => new(new Dictionary<BackupClass, RetentionPeriod>
    {
        [BackupClass.Daily] = Parse(Retention.Daily),
        [BackupClass.Compliance] = Parse(Retention.Compliance),
        [BackupClass.Monthly] = Parse(Retention.Monthly),
        [BackupClass.Manual] = Parse(Retention.Manual),
    });

    private static RetentionPeriod Parse(string text) => RetentionPeriod.TryParse(text, out var p) ? p : RetentionPeriod.Always;

    /// <summary>Problems, each starting with its field name below <c>backups</c>.</summary>
    public IEnumerable<string> Validate()
    {
        foreach (var (field, text) in new[] { ("daily", Retention.Daily), ("compliance", Retention.Compliance), ("monthly", Retention.Monthly), ("manual", Retention.Manual) })
            if (!RetentionPeriod.TryParse(text, out _))
                yield return $"retention.{field} must be a retention such as 7d, 2w, 12mo, 1y or forever (found '{text}')";
        foreach (var job in Schedules.Jobs)
            if (job.Cron.Length > 0 && !BackupSchedules.TryParse(job.Cron, out _))
                yield return $"schedules.{job.Field} must be a cron expression of five fields in UTC (minute hour day month weekday), or \"\" to switch it off (found '{job.Cron}')";
    }
}

/// <summary>Cron expressions in UTC; "" switches a schedule off.</summary>
public sealed class BackupScheduleConfig
{
    /// <summary>The plan's daily snapshot at 03:00 UTC.</summary>
    public string Daily { get; set; } = "0 3 * * *";

    /// <summary>Compliance backups (kept 14 days): weekly, Sunday 03:30 UTC.</summary>
    public string Compliance { get; set; } = "30 3 * * 0";

    /// <summary>Monthly compliance backups (kept a year): the 1st, 04:00 UTC.</summary>
    public string Monthly { get; set; } = "0 4 1 * *";

    /// <summary>The restore test (weekly): restores the latest backup and a recent point in time into a scratch instance.</summary>
    public string RestoreTest { get; set; } = "0 5 * * 1";

    public IReadOnlyList<(string Job, string Field, string Cron)> Jobs =>
    [
        ("daily", "daily", Daily),
        ("compliance", "compliance", Compliance),
        ("monthly", "monthly", Monthly),
        ("restore-test", "restoreTest", RestoreTest),
    ];
}

/// <summary>How long each class is kept (the plan's policy by default).</summary>
public sealed class BackupRetentionConfig
{
    public string Daily { get; set; } = "7d";
    public string Compliance { get; set; } = "14d";
    public string Monthly { get; set; } = "1y";
    public string Manual { get; set; } = "forever";
}

/// <summary>A run a schedule will start.</summary>
public sealed record ScheduledRun(string Job, string Cron, DateTimeOffset At);

/// <summary>A scheduled run that did not happen: the schedule's latest occurrence is newer than the job's latest run.</summary>
public sealed record MissedRun(string Job, DateTimeOffset Due, DateTimeOffset? LastRun);

/// <summary>The schedules' arithmetic (UTC only), pure: next runs and missed runs.</summary>
public static class BackupSchedules
{
    public static bool TryParse(string cron, out CronExpression? expression)
    {
        expression = null;
        if (cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 5) return false;
        try { expression = CronExpression.Parse(cron, CronFormat.Standard); return true; }
        catch (CronFormatException) { return false; }
    }

    /// <summary>The next <paramref name="count"/> runs of every scheduled job after <paramref name="now"/>, in time order.</summary>
    public static IReadOnlyList<ScheduledRun> Next(BackupScheduleConfig config, DateTimeOffset now, int count)
    {
        var runs = new List<ScheduledRun>();
        foreach (var (job, _, cron) in config.Jobs)
        {
            if (!TryParse(cron, out var e)) continue;
            var from = now.UtcDateTime;
            for (var i = 0; i < count; i++)
            {
                if (e!.GetNextOccurrence(from, TimeZoneInfo.Utc) is not { } next) break;
                runs.Add(new ScheduledRun(job, cron, new DateTimeOffset(next, TimeSpan.Zero)));
                from = next;
            }
        }
        return runs.OrderBy(r => r.At).ThenBy(r => r.Job, StringComparer.Ordinal).ToList();
    }

    /// <summary>The latest occurrence of <paramref name="cron"/> at or before <paramref name="at"/>, looking back at most 400 days.</summary>
    public static DateTimeOffset? Previous(string cron, DateTimeOffset at)
    {
        if (!TryParse(cron, out var e)) return null;
        var to = at.UtcDateTime;
        DateTime? last = null;
        // Cronos walks forward only; a month's occurrences are few for the plan's schedules.
        foreach (var o in e!.GetOccurrences(to.AddDays(-400), to, TimeZoneInfo.Utc, fromInclusive: true, toInclusive: true)) last = o;
        return last is { } l ? new DateTimeOffset(l, TimeSpan.Zero) : null;
    }

    /// <summary>
    /// Jobs whose latest due run (at or before <paramref name="now"/> − <paramref name="grace"/>, and after
    /// <paramref name="since"/>, when the schedules started) has no run at or after it.
    /// </summary>
    public static IReadOnlyList<MissedRun> Missed(BackupScheduleConfig config, DateTimeOffset now, DateTimeOffset since,
        IReadOnlyDictionary<string, DateTimeOffset> lastRuns, TimeSpan grace)
    {
        var missed = new List<MissedRun>();
        foreach (var (job, _, cron) in config.Jobs)
        {
            if (Previous(cron, now - grace) is not { } due || due < since) continue;
            var last = lastRuns.TryGetValue(job, out var l) ? l : (DateTimeOffset?)null;
            if (last is null || last < due) missed.Add(new MissedRun(job, due, last));
        }
        return missed;
    }
}
