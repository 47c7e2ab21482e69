using NJsonSchema;
using Regami.Dr.Integration.Tests.Infrastructure;

namespace Regami.Dr.Integration.Tests;

/// <summary>`regami-dr cost` needs no lab: the real program, the embedded price table, the contract.</summary>
public sealed class CostCliTests
{
    [Fact]
    public async Task Cost_as_json_follows_the_contract_and_has_a_total()
    {
        var dir = TestLab.NewBaseDirectory();
        var r = await CliProcess.RunAsync(["cost", "--output", "json", "--wal-gb-per-month", "80", "--state-dir", Path.Combine(dir, "state")]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var schema = await JsonSchema.FromFileAsync(Path.Combine(CliProcess.RepoRoot, "schemas", "cost.schema.json"));
        Assert.Empty(schema.Validate(r.StandardOutput));
        Assert.True(r.Json.GetProperty("totalMonthlyUsd").GetDecimal() > 0, r.ToString());
        Assert.Equal("given", r.Json.GetProperty("walSource").GetString());
        Assert.False(Directory.Exists(Path.Combine(dir, "state")), "pricing must not create a state directory");
    }

    [Fact]
    public async Task An_instance_class_missing_from_the_price_table_exits_2_naming_it_and_the_tables_date()
    {
        var dir = TestLab.NewBaseDirectory();
        var config = Path.Combine(dir, "regami-dr.yaml");
        File.WriteAllText(config, "cost:\n  replicaInstanceClass: db.x9.huge\n");
        var r = await CliProcess.RunAsync(["cost", "--config", config, "--state-dir", Path.Combine(dir, "state")]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{config}:2", r.StandardError);
        Assert.Matches(@"cost\.replicaInstanceClass'?: db\.x9\.huge is not in the price table of \d{4}-\d{2}-\d{2} \(eu-central-1\); known: ", r.StandardError);
    }
}
