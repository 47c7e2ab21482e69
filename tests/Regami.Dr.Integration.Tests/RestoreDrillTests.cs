using System.Text.Json;
using NJsonSchema;
using Regami.Dr.Integration.Tests.Infrastructure;

namespace Regami.Dr.Integration.Tests;

/// <summary>
/// The restore drills end to end on a real lab: data destroyed for real (a dropped table, a lost provider),
/// recovered from pgBackRest's repositories, promoted, measured against the workload's acknowledged writes.
/// </summary>
public sealed class RestoreDrillTests
{
    private static readonly Lazy<Task<JsonSchema>> Schema = new(() =>
        JsonSchema.FromFileAsync(Path.Combine(CliProcess.RepoRoot, "schemas", "drill-report.schema.json")));

    internal static async Task<JsonElement> PassingReportAsync(CliResult run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        var report = run.Json;
        var errors = (await Schema.Value).Validate(report.GetRawText());
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind}")));
        Assert.True(report.GetProperty("passed").GetBoolean());
        Assert.All(report.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("passed").GetBoolean(), c.GetRawText()));
        Assert.Equal(0, report.GetProperty("measured").GetProperty("unexpectedWrites").GetInt32());
        return report;
    }

    [Theory]
    [InlineData("corruption", 63)]
    [InlineData("provider-outage", 64)]
    public async Task A_destroyed_database_is_restored_promoted_and_measured(string scenario, int net)
    {
        await using var lab = TestLab.Prepare(net);
        var run = await lab.RunAsync(["drill", "--scenario", scenario, "--rate", "20", "--keep-lab", "--output", "json"], TimeSpan.FromMinutes(6));
        var report = await PassingReportAsync(run);
        var measured = report.GetProperty("measured");
        var restore = report.GetProperty("restore");
        Assert.Equal("promoted", restore.GetProperty("recovery").GetString());
        Assert.Contains(measured.GetProperty("phases").EnumerateArray(), p => p.GetProperty("name").GetString() == "restore");
        Assert.True(measured.GetProperty("rtoSeconds").GetDouble() > 0);
        var lost = measured.GetProperty("lostAcknowledgedWrites").GetInt32();
        Assert.Equal(Math.Min(lost, 100), measured.GetProperty("lostSeqs").GetArrayLength());
        if (scenario == "corruption")
        {
            // The snapshot is older than the writes acknowledged after it: those are lost, and counted.
            Assert.StartsWith("snapshot ", restore.GetProperty("source").GetString());
            Assert.True(lost > 0, "writes acknowledged after the snapshot must be counted as lost");
            Assert.True(measured.GetProperty("rpoSeconds").GetDouble() > 0);
            Assert.Equal(1800, report.GetProperty("targets").GetProperty("rtoSeconds").GetDouble());
            Assert.Equal(3600, report.GetProperty("targets").GetProperty("rpoSeconds").GetDouble());
        }
        else
        {
            // Rebuilt from the standby region's repository alone; the home repository is back (stanza re-created, backed up into).
            Assert.StartsWith("latest ", restore.GetProperty("source").GetString());
            Assert.Equal("eu-central-1", restore.GetProperty("fromRegion").GetString());
            var backups = await lab.RunAsync(["backup", "list", "--output", "json"], TimeSpan.FromMinutes(1));
            var last = backups.Json.GetProperty("backups").EnumerateArray().Last();
            Assert.Equal(["eu-west-3", "eu-central-1"], last.GetProperty("copies").EnumerateArray().Select(c => c.GetProperty("region").GetString()).Order().Reverse());
        }

        // The lab is whole again: the restored database is the home primary, the other region streams from it, nothing left beside it.
        var status = await lab.StatusAsync();
        Assert.Equal("eu-west-3", status.GetProperty("primaryRegion").GetString());
        Assert.True(status.GetProperty("replication").GetProperty("streaming").GetBoolean());
        Assert.Empty((await lab.RunAsync("restore", "list", "--output", "json")).Json.EnumerateArray());
        Assert.Equal(0, (await lab.RunAsync("audit", "verify")).ExitCode);
        var runs = (await lab.RunAsync("runbook", "list", "--output", "json")).Json.EnumerateArray().ToList();
        Assert.Contains(runs, r => r.GetProperty("kind").GetString() == "restore-promote" && r.GetProperty("outcome").GetString() == "succeeded");
    }
}

/// <summary>Accidental deletion: a point-in-time restore beside the running service, the deleted rows copied back (or the restore promoted).</summary>
public sealed class AccidentalDeleteDrillTests
{
    [Fact]
    public async Task Deleted_rows_come_back_from_a_point_in_time_restore_and_promoting_it_instead_counts_the_writes_after_the_delete()
    {
        await using var lab = TestLab.Prepare(65);
        var copyBack = await RestoreDrillTests.PassingReportAsync(
            await lab.RunAsync(["drill", "--scenario", "accidental-delete", "--rate", "20", "--keep-lab", "--output", "json"], TimeSpan.FromMinutes(6)));
        var restore = copyBack.GetProperty("restore");
        Assert.Equal("rows copied back", restore.GetProperty("recovery").GetString());
        var destroyed = restore.GetProperty("rowsDestroyed").GetInt64();
        Assert.True(destroyed > 0);
        Assert.Equal(destroyed, restore.GetProperty("rowsCopiedBack").GetInt64());
        Assert.StartsWith("time ", restore.GetProperty("source").GetString());
        Assert.Equal(0, copyBack.GetProperty("measured").GetProperty("lostAcknowledgedWrites").GetInt32());
        Assert.Contains(copyBack.GetProperty("measured").GetProperty("phases").EnumerateArray(), p => p.GetProperty("name").GetString() == "copy back");
        Assert.Equal(1200, copyBack.GetProperty("targets").GetProperty("rtoSeconds").GetDouble());
        Assert.Empty((await lab.RunAsync("restore", "list", "--output", "json")).Json.EnumerateArray());

        // `restore --latest` plans from the newest backup (a dry run changes nothing).
        var dry = await lab.RunAsync("restore", "--latest", "--as", "peek", "--dry-run", "--output", "json");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.True(dry.Json.GetProperty("latest").GetBoolean());

        var promoted = await RestoreDrillTests.PassingReportAsync(
            await lab.RunAsync(["drill", "--scenario", "accidental-delete", "--promote-restored", "--rate", "20", "--keep-lab", "--output", "json"], TimeSpan.FromMinutes(6)));
        Assert.Equal("promoted", promoted.GetProperty("restore").GetProperty("recovery").GetString());
        Assert.Contains(promoted.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "every deleted acknowledged row is back");

        var wrong = await lab.RunAsync("drill", "--scenario", "db-crash", "--promote-restored");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("--promote-restored applies to --scenario accidental-delete only", wrong.StandardError);
    }
}
