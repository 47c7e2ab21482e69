using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Backups;

namespace Regami.Dr.Core.Doctor;

/// <summary>The written DR plan's numbers that `regami-dr doctor` holds an environment to.</summary>
public sealed record DoctorPolicy
{
    /// <summary>Drills are quarterly: the last passing one at most 92 days old (the longest quarter plus a day).</summary>
    public TimeSpan DrillMaxAge { get; init; } = TimeSpan.FromDays(92);

    /// <summary>Restore tests run weekly (<c>backups.schedules.restoreTest</c>): the last passing one at most 8 days old.</summary>
    public TimeSpan RestoreTestMaxAge { get; init; } = TimeSpan.FromDays(8);

    /// <summary>The audit trail is kept at least 90 days.</summary>
    public TimeSpan AuditMinimumRetention { get; init; } = TimeSpan.FromDays(90);

    /// <summary>The plan's backup policy: daily kept 7 days, compliance copies 14 days, monthly one year.</summary>
    public IReadOnlyDictionary<BackupClass, RetentionPeriod> Retention { get; init; } = new Dictionary<BackupClass, RetentionPeriod>
    {
        [BackupClass.Daily] = RetentionPeriod.OfDays(7),
        [BackupClass.Compliance] = RetentionPeriod.OfDays(14),
        [BackupClass.Monthly] = RetentionPeriod.OfMonths(12),
    };

    /// <summary>What this build enforces for the audit trail (a prune never removes younger events).</summary>
    public static TimeSpan EnforcedAuditRetention => AuditChain.MinimumRetention;

    public static DoctorPolicy Plan { get; } = new();
}
