using System.Text.Json;
using NJsonSchema;
using Regami.Dr.Integration.Tests.Infrastructure;

namespace Regami.Dr.Integration.Tests;

/// <summary>`regami-dr drill` end to end: it brings its own lab up, breaks it, measures, fails back, reports.</summary>
public sealed class DrillTests
{
    private static readonly Lazy<Task<JsonSchema>> Schema = new(() =>
        JsonSchema.FromFileAsync(Path.Combine(CliProcess.RepoRoot, "schemas", "drill-report.schema.json")));

    [Theory]
    [InlineData("region-outage", 51)]
    [InlineData("db-crash", 52)]
    [InlineData("db-hang", 53)]
    [InlineData("planned-switchover", 54)]
    public async Task Every_scenario_passes_on_the_lab_and_reports_to_the_contract(string scenario, int net)
    {
        await using var lab = TestLab.Prepare(net);
        var run = await lab.RunAsync(["drill", "--scenario", scenario, "--rate", "20", "--output", "json"], TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, run.ToString());

        var report = run.Json;
        var errors = (await Schema.Value).Validate(report.GetRawText());
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind}")));
        Assert.Equal(scenario, report.GetProperty("scenario").GetString());
        Assert.True(report.GetProperty("passed").GetBoolean());
        var measured = report.GetProperty("measured");
        Assert.True(measured.GetProperty("rtoSeconds").GetDouble() > 0);
        Assert.True(measured.GetProperty("acknowledgedWrites").GetInt32() > 0);
        Assert.Equal(0, measured.GetProperty("unexpectedWrites").GetInt32());
        if (scenario == "planned-switchover") Assert.Equal(0, measured.GetProperty("lostAcknowledgedWrites").GetInt32());
        Assert.All(report.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("passed").GetBoolean(), c.GetRawText()));
        foreach (var kind in new[] { "json", "markdown", "html" })
            Assert.True(File.Exists(report.GetProperty("reports").GetProperty(kind).GetString()), kind);
        var html = File.ReadAllText(report.GetProperty("reports").GetProperty("html").GetString()!);
        Assert.Contains("<svg", html);

        var history = await lab.RunAsync("drill", "history", "--output", "json");
        Assert.Equal(scenario, history.Json.EnumerateArray().Last().GetProperty("scenario").GetString());
        // The drill brought the lab up, so it took it down again.
        Assert.False(JsonDocument.Parse(File.ReadAllText(Path.Combine(lab.StateDir, "lab.json"))).RootElement.TryGetProperty("dns", out _));
    }

    [Fact]
    public async Task The_rpo_measurement_equals_the_ground_truth_of_the_old_primary()
    {
        await using var lab = TestLab.Prepare(55);
        var run = await lab.RunAsync(["drill", "--scenario", "lossy-failover", "--rate", "20", "--output", "json"], TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, run.ToString());
        var measured = run.Json.GetProperty("measured");
        var lost = measured.GetProperty("lostAcknowledgedWrites").GetInt32();
        Assert.True(lost > 0, "the scenario must really lose acknowledged writes");
        Assert.True(measured.GetProperty("rpoSeconds").GetDouble() > 0);
        Assert.Equal(lost, measured.GetProperty("lostSeqs").GetArrayLength());
        var truth = run.Json.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "lost writes confirmed on the old primary");
        Assert.True(truth.GetProperty("passed").GetBoolean(), truth.GetRawText());
        Assert.Contains($"measured {lost} lost", truth.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_drill_on_an_unhealthy_lab_is_refused_with_exit_3_and_changes_nothing()
    {
        await using var lab = await TestLab.StartAsync(net: 56);
        Assert.Equal(0, (await lab.RunAsync("lab", "fault", "kill-db", "--region", "eu-central-1")).ExitCode);
        var run = await lab.RunAsync("drill", "--scenario", "planned-switchover");
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("not healthy", run.StandardError);
        var status = await lab.StatusAsync();
        Assert.Equal("eu-west-3", status.GetProperty("primaryRegion").GetString());
        Assert.Empty((await lab.RunAsync("runbook", "list", "--output", "json")).Json.EnumerateArray());
    }

    [Theory]
    [InlineData("--scenario", "meteor-strike", "region-outage")]
    [InlineData("--rto", "soon", "--rto")]
    [InlineData("--rpo", "-5m", "--rpo")]
    public async Task Bad_drill_arguments_exit_2_and_say_why(string option, string value, string expected)
    {
        var lab = TestLab.Prepare(57);
        var run = await lab.RunAsync("drill", option, value);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.StandardError);
        Assert.False(File.Exists(Path.Combine(lab.StateDir, "lab.json")), "nothing may be started for bad arguments");
    }
}
