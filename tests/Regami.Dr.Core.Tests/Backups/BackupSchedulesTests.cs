using Regami.Dr.Core.Backups;

namespace Regami.Dr.Core.Tests.Backups;

public sealed class BackupSchedulesTests
{
    private static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso + "Z", null, System.Globalization.DateTimeStyles.AdjustToUniversal);

    [Fact]
    public void The_plan_defaults_give_the_daily_backup_at_three_utc_and_the_others_in_order()
    {
        var runs = BackupSchedules.Next(new BackupScheduleConfig(), Utc("2026-11-29T12:00:00"), 2);
        Assert.Equal(Utc("2026-11-30T03:00:00"), runs.First(r => r.Job == "daily").At);
        Assert.Equal(Utc("2026-12-01T03:00:00"), runs.Where(r => r.Job == "daily").ElementAt(1).At);
        Assert.Equal(Utc("2026-12-01T04:00:00"), runs.First(r => r.Job == "monthly").At);
        Assert.Equal(Utc("2026-12-06T03:30:00"), runs.First(r => r.Job == "compliance").At); // the next Sunday
        Assert.Equal(Utc("2026-11-30T05:00:00"), runs.First(r => r.Job == "restore-test").At); // Monday
        Assert.Equal(runs.OrderBy(r => r.At).Select(r => r.At), runs.Select(r => r.At));
    }

    [Fact]
    public void A_switched_off_schedule_has_no_runs()
    {
        var runs = BackupSchedules.Next(new BackupScheduleConfig { Monthly = "" }, Utc("2026-11-29T12:00:00"), 3);
        Assert.DoesNotContain(runs, r => r.Job == "monthly");
    }

    [Fact]
    public void A_daily_run_that_did_not_happen_is_reported_missed_after_the_grace()
    {
        var s = new BackupScheduleConfig();
        var since = Utc("2026-11-01T00:00:00");
        var lastRuns = new Dictionary<string, DateTimeOffset>
        {
            ["daily"] = Utc("2026-11-28T03:00:05"),
            ["compliance"] = Utc("2026-11-29T03:30:02"),
            ["monthly"] = Utc("2026-11-01T04:00:09"),
            ["restore-test"] = Utc("2026-11-23T05:00:00"),
        };
        // 03:30 on the 29th: the 03:00 daily is late but within the hour's grace.
        Assert.Empty(BackupSchedules.Missed(s, Utc("2026-11-29T03:30:00"), since, lastRuns, TimeSpan.FromHours(1)));
        // 04:30: it is missed, due 03:00, and the last run says when the previous one happened.
        var missed = Assert.Single(BackupSchedules.Missed(s, Utc("2026-11-29T04:30:00"), since, lastRuns, TimeSpan.FromHours(1)));
        Assert.Equal(("daily", Utc("2026-11-29T03:00:00"), (DateTimeOffset?)Utc("2026-11-28T03:00:05")), (missed.Job, missed.Due, missed.LastRun));
    }

    [Fact]
    public void Nothing_is_missed_before_the_schedules_started()
    {
        var missed = BackupSchedules.Missed(new BackupScheduleConfig(), Utc("2026-11-29T12:00:00"), Utc("2026-11-29T11:00:00"),
            new Dictionary<string, DateTimeOffset>(), TimeSpan.FromHours(1));
        Assert.Empty(missed);
    }

    [Fact]
    public void A_monthly_run_of_february_in_a_leap_year_is_due_on_the_first()
    {
        Assert.Equal(Utc("2024-02-01T04:00:00"), BackupSchedules.Previous("0 4 1 * *", Utc("2024-02-29T23:00:00")));
        Assert.Equal(Utc("2024-02-29T03:00:00"), BackupSchedules.Previous("0 3 * * *", Utc("2024-02-29T23:00:00")));
    }

    [Theory]
    [InlineData("0 3 * *")]
    [InlineData("0 25 * * *")]
    [InlineData("every day")]
    [InlineData("0 0 3 * * *")]
    public void Malformed_cron_expressions_are_refused(string cron) => Assert.False(BackupSchedules.TryParse(cron, out _));
}
