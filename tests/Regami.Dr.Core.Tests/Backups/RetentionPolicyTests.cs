using Regami.Dr.Core.Backups;

namespace Regami.Dr.Core.Tests.Backups;

public sealed class RetentionPolicyTests
{
    private static readonly RetentionRules Plan = RetentionRules.Plan;
    private static readonly IReadOnlySet<string> None = new HashSet<string>();

    private static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso + "Z", null, System.Globalization.DateTimeStyles.AdjustToUniversal);

    private static BackupRecord Backup(string id, BackupClass c, string finished, string? dependsOn = null) => new()
    {
        Id = id,
        Kind = dependsOn is null ? "full" : "diff",
        Class = c,
        StartedAt = Utc(finished).AddMinutes(-1),
        FinishedAt = Utc(finished),
        DatabaseBytes = 1,
        Copies = [new BackupCopy("eu-west-3", id, Utc(finished), 1)],
        DependsOn = dependsOn,
    };

    // Each class at the edge of its retention: one tick before it expires it is kept, at the instant it expires it goes.
    // A newer backup of the same class exists in every row, so the "newest of its class" rule does not interfere.
    [Theory]
    [InlineData(BackupClass.Daily, "2026-03-01T03:00:00", "2026-03-08T02:59:59", false)]
    [InlineData(BackupClass.Daily, "2026-03-01T03:00:00", "2026-03-08T03:00:00", true)]
    [InlineData(BackupClass.Compliance, "2026-03-01T03:30:00", "2026-03-15T03:29:59", false)]
    [InlineData(BackupClass.Compliance, "2026-03-01T03:30:00", "2026-03-15T03:30:00", true)]
    [InlineData(BackupClass.Monthly, "2026-01-01T04:00:00", "2026-12-31T23:59:59", false)]
    [InlineData(BackupClass.Monthly, "2026-01-01T04:00:00", "2027-01-01T04:00:00", true)]
    // Leap years: a monthly backup of 29 February 2024 is kept one calendar year, until 28 February 2025.
    [InlineData(BackupClass.Monthly, "2024-02-29T04:00:00", "2025-02-28T03:59:59", false)]
    [InlineData(BackupClass.Monthly, "2024-02-29T04:00:00", "2025-02-28T04:00:00", true)]
    // Daily retention counts days, not calendar months: 7 days after 26 February 2024 is 4 March (29 February in between).
    [InlineData(BackupClass.Daily, "2024-02-26T03:00:00", "2024-03-04T02:59:59", false)]
    [InlineData(BackupClass.Daily, "2024-02-26T03:00:00", "2024-03-04T03:00:00", true)]
    // Across a year end.
    [InlineData(BackupClass.Daily, "2026-12-28T03:00:00", "2027-01-04T03:00:00", true)]
    // Manual backups (before deployments and migrations) are kept until someone deletes them.
    [InlineData(BackupClass.Manual, "2020-01-01T00:00:00", "2026-11-29T00:00:00", false)]
    public void Each_class_is_kept_exactly_its_retention(BackupClass c, string finished, string now, bool deleted)
    {
        var old = Backup("old", c, finished);
        var newer = Backup("newer", c, Utc(now).AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm:ss"));
        var plan = RetentionPolicy.Plan([old, newer], Utc(now), Plan, None);
        Assert.Equal(deleted, plan.ToDelete.Any(b => b.Id == "old"));
        Assert.DoesNotContain(plan.ToDelete, b => b.Id == "newer");
    }

    [Fact]
    public void The_newest_backup_of_a_class_is_never_deleted_however_old()
    {
        // The schedule stopped a month ago: the last daily and the last compliance backups stay.
        var now = Utc("2026-11-29T12:00:00");
        var backups = new[]
        {
            Backup("d1", BackupClass.Daily, "2026-10-20T03:00:00"),
            Backup("d2", BackupClass.Daily, "2026-10-21T03:00:00"),
            Backup("c1", BackupClass.Compliance, "2026-10-18T03:30:00"),
        };
        var plan = RetentionPolicy.Plan(backups, now, Plan, None);
        Assert.Equal(["d1"], plan.ToDelete.Select(b => b.Id));
        Assert.Contains("newest daily", plan.Items.Single(i => i.Backup.Id == "d2").Reason);
        Assert.Contains("newest compliance", plan.Items.Single(i => i.Backup.Id == "c1").Reason);
    }

    [Fact]
    public void Every_repository_keeps_a_full_backup_so_an_expired_last_copy_in_a_region_stays()
    {
        // d1 was copied to eu-central-1; the newer d2 was not (its copy failed). Deleting d1 would leave eu-central-1 nothing.
        var now = Utc("2026-11-29T12:00:00");
        var d1 = Backup("d1", BackupClass.Daily, "2026-11-01T03:00:00") is var b
            ? b with { Copies = [.. b.Copies, new BackupCopy("eu-central-1", "d1-copy", b.FinishedAt.AddMinutes(1), 1)] } : null!;
        var d2 = Backup("d2", BackupClass.Daily, "2026-11-29T03:00:00");
        var d0 = Backup("d0", BackupClass.Daily, "2026-10-30T03:00:00");
        var plan = RetentionPolicy.Plan([d0, d1, d2], now, Plan, None);
        Assert.Equal(["d0"], plan.ToDelete.Select(x => x.Id));
        Assert.Contains("last full backup in eu-central-1's repository", plan.Items.Single(i => i.Backup.Id == "d1").Reason);
        Assert.Equal(["eu-central-1"], RetentionPolicy.OnlyFullIn([d0, d1, d2], d1));
        Assert.Empty(RetentionPolicy.OnlyFullIn([d0, d1, d2], d2)); // eu-west-3 holds d0 and d1 too
        Assert.Equal(["eu-west-3"], RetentionPolicy.OnlyFullIn([d2], d2));
    }

    [Fact]
    public void A_backup_a_running_restore_reads_is_kept()
    {
        var now = Utc("2026-11-29T12:00:00");
        var backups = new[] { Backup("d1", BackupClass.Daily, "2026-11-01T03:00:00"), Backup("d2", BackupClass.Daily, "2026-11-29T03:00:00") };
        var plan = RetentionPolicy.Plan(backups, now, Plan, new HashSet<string> { "d1" });
        Assert.Empty(plan.ToDelete);
        Assert.Contains("running restore", plan.Items.Single(i => i.Backup.Id == "d1").Reason);
    }

    [Fact]
    public void A_kept_differential_keeps_the_full_it_needs_even_of_another_class()
    {
        var now = Utc("2026-11-29T12:00:00");
        var backups = new[]
        {
            Backup("full-old", BackupClass.Daily, "2026-11-10T03:00:00"),
            Backup("full-old_diff", BackupClass.Compliance, "2026-11-20T03:30:00", dependsOn: "full-old"),
            Backup("full-new", BackupClass.Daily, "2026-11-29T03:00:00"),
        };
        var plan = RetentionPolicy.Plan(backups, now, Plan, None);
        Assert.Empty(plan.ToDelete);
        Assert.Contains("full-old_diff needs it", plan.Items.Single(i => i.Backup.Id == "full-old").Reason);
    }

    [Fact]
    public void An_expired_differential_and_its_expired_full_both_go()
    {
        var now = Utc("2026-11-29T12:00:00");
        var backups = new[]
        {
            Backup("f1", BackupClass.Daily, "2026-11-01T03:00:00"),
            Backup("f1_d", BackupClass.Daily, "2026-11-02T03:00:00", dependsOn: "f1"),
            Backup("f2", BackupClass.Daily, "2026-11-29T03:00:00"),
        };
        var plan = RetentionPolicy.Plan(backups, now, Plan, None);
        Assert.Equal(["f1", "f1_d"], plan.ToDelete.Select(b => b.Id));
    }

    [Fact]
    public void The_plan_lists_every_backup_oldest_first_with_a_reason()
    {
        var now = Utc("2026-11-29T12:00:00");
        var backups = new[] { Backup("b", BackupClass.Manual, "2026-11-02T00:00:00"), Backup("a", BackupClass.Daily, "2026-11-01T00:00:00") };
        var plan = RetentionPolicy.Plan(backups, now, Plan, None);
        Assert.Equal(["a", "b"], plan.Items.Select(i => i.Backup.Id));
        Assert.All(plan.Items, i => Assert.False(string.IsNullOrWhiteSpace(i.Reason)));
    }

    [Theory]
    [InlineData("7d", 7, 0, false)]
    [InlineData("2w", 14, 0, false)]
    [InlineData("12mo", 0, 12, false)]
    [InlineData("1y", 0, 12, false)]
    [InlineData("forever", 0, 0, true)]
    public void Retention_periods_are_spelled_as_people_write_them(string text, int days, int months, bool forever)
    {
        Assert.True(RetentionPeriod.TryParse(text, out var p));
        Assert.Equal(new RetentionPeriod(days, months, forever), p);
    }

    [Theory]
    [InlineData("")]
    [InlineData("7")]
    [InlineData("-1d")]
    [InlineData("0d")]
    [InlineData("1.5d")]
    [InlineData("seven days")]
    public void Malformed_retention_periods_are_refused(string text) => Assert.False(RetentionPeriod.TryParse(text, out _));
}
