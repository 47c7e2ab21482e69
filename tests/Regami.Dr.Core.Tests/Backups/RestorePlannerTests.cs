using Regami.Dr.Core.Backups;

namespace Regami.Dr.Core.Tests.Backups;

public sealed class RestorePlannerTests
{
    private static readonly string[] Regions = ["eu-west-3", "eu-central-1"];
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly RecoveryWindow Window = new(Now.AddDays(-2), Now);

    private static BackupRecord Backup(string id, DateTimeOffset finished, params (string Region, string Label, int DelaySeconds)[] copies) => new()
    {
        Id = id,
        Kind = "full",
        Class = BackupClass.Daily,
        StartedAt = finished.AddMinutes(-1),
        FinishedAt = finished,
        DatabaseBytes = 1,
        Copies = copies.Select(c => new BackupCopy(c.Region, c.Label, finished.AddSeconds(c.DelaySeconds), 1)).ToList(),
    };

    private static readonly BackupRecord Old = Backup("20261127-120000F", Now.AddDays(-2), ("eu-west-3", "20261127-120000F", 0), ("eu-central-1", "20261127-120010F", 10));
    private static readonly BackupRecord Recent = Backup("20261129-100000F", Now.AddHours(-2), ("eu-west-3", "20261129-100000F", 0));

    private static RestorePlan Plan(RestoreRequest r, IReadOnlyCollection<string>? existing = null) =>
        RestorePlanner.Plan(r, [Old, Recent], Window, Now, existing ?? [], Regions, "eu-west-3");

    [Fact]
    public void A_latest_restore_takes_the_newest_copy_in_its_region_and_else_the_newest_elsewhere()
    {
        var home = Plan(new RestoreRequest("rescue", null, null, null, Latest: true));
        Assert.True(home.Latest);
        Assert.Null(home.ToTime);
        Assert.Equal(("20261129-100000F", "eu-west-3"), (home.Copy.Label, home.Copy.Region));
        Assert.StartsWith("latest (20261129-100000F", home.Source);
        // Only the old backup has a copy in eu-central-1: restoring there reads that one (and replays the WAL since).
        var away = Plan(new RestoreRequest("rescue", null, null, "eu-central-1", Latest: true));
        Assert.Equal(("20261127-120010F", "eu-central-1"), (away.Copy.Label, away.Copy.Region));
        // The home repository lost (its copies gone from the list): the other region's copy is used.
        var lost = RestorePlanner.Plan(new RestoreRequest("rescue", null, null, "eu-west-3", Latest: true),
            [Old with { Copies = [.. Old.Copies.Where(c => c.Region == "eu-central-1")] }], Window, Now, [], Regions, "eu-west-3");
        Assert.Equal("eu-central-1", lost.Copy.Region);
        Assert.Contains("exactly one", Assert.Throws<RestoreRequestException>(() => Plan(new RestoreRequest("r", Old.Id, null, null, Latest: true))).Message);
    }

    [Fact]
    public void A_snapshot_restore_reads_the_copy_in_its_own_region_first()
    {
        var p = Plan(new RestoreRequest("rescue", "20261127-120000F", null, "eu-central-1"));
        Assert.Equal(("eu-central-1", "20261127-120010F"), (p.Region, p.Copy.Label));
        // No copy in the region: the other region's repository serves it.
        var q = Plan(new RestoreRequest("rescue", "20261129-100000F", null, "eu-central-1"));
        Assert.Equal(("eu-central-1", "eu-west-3"), (q.Region, q.Copy.Region));
    }

    [Fact]
    public void An_unknown_snapshot_is_refused_naming_the_nearest_ids()
    {
        var e = Assert.Throws<RestoreRequestException>(() => Plan(new RestoreRequest("rescue", "20261129-100001F", null, null)));
        Assert.Contains("nearest: 20261129-100000F, 20261127-120000F", e.Message);
    }

    [Fact]
    public void A_point_in_time_uses_the_newest_copy_finished_before_it()
    {
        var p = Plan(new RestoreRequest("rescue", null, Now.AddMinutes(-30), null));
        Assert.Equal(("20261129-100000F", Now.AddMinutes(-30)), (p.Copy.Label, p.ToTime!.Value));
        var q = Plan(new RestoreRequest("rescue", null, Now.AddHours(-3), null));
        Assert.Equal("20261127-120000F", q.Copy.Label);
    }

    [Fact]
    public void A_time_outside_the_window_or_in_the_future_is_refused_giving_the_window()
    {
        var before = Assert.Throws<RestoreRequestException>(() => Plan(new RestoreRequest("rescue", null, Now.AddDays(-3), null)));
        Assert.Contains("outside the recoverable window 2026-11-27T12:00:00Z … 2026-11-29T12:00:00Z", before.Message);
        var future = Assert.Throws<RestoreRequestException>(() => Plan(new RestoreRequest("rescue", null, Now.AddMinutes(1), null)));
        Assert.Contains("in the future", future.Message);
        Assert.Contains("2026-11-27T12:00:00Z", future.Message);
    }

    [Theory]
    [InlineData("rescue", true, "exists")]
    [InlineData("Rescue", false, "not an instance name")]
    [InlineData("../x", false, "not an instance name")]
    public void Names_must_be_new_and_safe(string name, bool exists, string message)
    {
        var e = Assert.Throws<RestoreRequestException>(() => Plan(new RestoreRequest(name, Old.Id, null, null), exists ? ["rescue"] : []));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Exactly_one_of_snapshot_and_time_is_needed()
    {
        Assert.Contains("exactly one", Assert.Throws<RestoreRequestException>(() => Plan(new RestoreRequest("r", null, null, null))).Message);
        Assert.Contains("exactly one", Assert.Throws<RestoreRequestException>(() => Plan(new RestoreRequest("r", Old.Id, Now, null))).Message);
    }

    [Fact]
    public void An_unknown_region_is_refused() =>
        Assert.Contains("unknown region 'us-east-1'", Assert.Throws<RestoreRequestException>(() => Plan(new RestoreRequest("r", Old.Id, null, "us-east-1"))).Message);
}
