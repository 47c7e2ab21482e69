using Regami.Dr.Integration.Tests.Infrastructure;

namespace Regami.Dr.Integration.Tests;

/// <summary>Recovery from corruption on a real lab: the records table dropped, the latest backup restored and promoted.</summary>
public sealed class RestorePromoteTests
{
    [Fact]
    public async Task A_dropped_table_comes_back_when_the_restored_snapshot_is_promoted_and_the_standby_follows_it()
    {
        await using var lab = await TestLab.StartAsync(net: 62);
        var primary = lab.PrimaryAddress;
        await TestLab.ScalarAsync<long>(primary, "WITH i AS (INSERT INTO records (seq, payload, region) SELECT g, 'r-' || g, 'eu-west-3' FROM generate_series(1, 300) g RETURNING 1) SELECT count(*) FROM i");
        var backup = await lab.RunAsync(["backup", "create", "--no-copy", "--output", "json"], TimeSpan.FromMinutes(3));
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var id = backup.Json.GetProperty("id").GetString()!;

        // The corruption: the table is gone on the primary, and on the standby that replayed it.
        await TestLab.ScalarAsync<long>(primary, "DROP TABLE records; SELECT 1::bigint");
        await Eventually.WaitUntilAsync(async () => await TestLab.ScalarAsync<bool>(lab.StandbyAddress, "SELECT to_regclass('public.records') IS NULL"),
            TimeSpan.FromSeconds(20), "the standby to replay the DROP");

        var restore = await lab.RunAsync(["restore", "--snapshot", id, "--as", "rescue", "--output", "json"], TimeSpan.FromMinutes(3));
        Assert.True(restore.ExitCode == 0, restore.ToString());

        var dry = await lab.RunAsync("restore", "promote", "rescue", "--dry-run");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("adopt-restored", dry.StandardOutput);
        Assert.True(await TestLab.ScalarAsync<bool>(primary, "SELECT to_regclass('public.records') IS NULL")); // the dry run changed nothing

        var promote = await lab.RunAsync(["restore", "promote", "rescue", "--yes", "--output", "json"], TimeSpan.FromMinutes(5));
        Assert.True(promote.ExitCode == 0, promote.ToString());

        // The region's database is the restored one: the 300 rows (plus the runbook's own verification write).
        Assert.Equal(300, await TestLab.ScalarAsync<long>(primary, "SELECT count(*) FROM records WHERE seq BETWEEN 1 AND 300"));
        // The standby was re-cloned from it and streams it.
        Assert.True(await TestLab.ScalarAsync<bool>(lab.StandbyAddress, "SELECT pg_is_in_recovery()"));
        await Eventually.WaitUntilAsync(async () => await TestLab.ScalarAsync<long>(lab.StandbyAddress, "SELECT count(*) FROM records WHERE seq BETWEEN 1 AND 300") == 300,
            TimeSpan.FromSeconds(30), "the standby to hold the restored rows");
        var status = await lab.StatusAsync();
        Assert.Equal("primary", TestLab.Region(status, "eu-west-3").GetProperty("role").GetString());
        Assert.Equal("standby", TestLab.Region(status, "eu-central-1").GetProperty("role").GetString());
        Assert.True(status.GetProperty("replication").GetProperty("streaming").GetBoolean());
        // The restored instance is no longer a separate instance; the audit trail verifies.
        Assert.DoesNotContain((await lab.RunAsync("restore", "list", "--output", "json")).Json.EnumerateArray(), r => r.GetProperty("name").GetString() == "rescue");
        Assert.Equal(0, (await lab.RunAsync("audit", "verify")).ExitCode);
        // The runbook's last step backed up the new primary (archiving works from the adopted database), copied to both regions.
        var list = await lab.RunAsync(["backup", "list", "--output", "json"], TimeSpan.FromMinutes(1));
        var last = list.Json.GetProperty("backups").EnumerateArray().Last();
        Assert.StartsWith("after restore promote of rescue", last.GetProperty("reason").GetString());
        Assert.Equal(2, last.GetProperty("copies").GetArrayLength());
    }
}
