using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using NJsonSchema;
using Regami.Dr.Integration.Tests.Infrastructure;

namespace Regami.Dr.Integration.Tests;

/// <summary>One lab shared by the read-mostly tests of this class (faults get their own labs).</summary>
public sealed class HealthyLabFixture : IAsyncLifetime
{
    public TestLab Lab { get; private set; } = null!;
    public async Task InitializeAsync() => Lab = await TestLab.StartAsync(net: 20);
    public async Task DisposeAsync() => await Lab.DisposeAsync();
}

public sealed class LabTests(HealthyLabFixture fixture) : IClassFixture<HealthyLabFixture>
{
    private TestLab Lab => fixture.Lab;

    [Fact]
    public async Task Status_json_follows_the_contract_and_shows_a_healthy_primary_and_streaming_standby()
    {
        var status = await Lab.StatusAsync();

        var schema = await JsonSchema.FromFileAsync(Path.Combine(CliProcess.RepoRoot, "schemas", "status.schema.json"));
        var errors = schema.Validate(status.GetRawText());
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind}")));

        Assert.Equal("lab", status.GetProperty("environment").GetString());
        Assert.Equal("eu-west-3", status.GetProperty("primaryRegion").GetString());
        var primary = TestLab.Region(status, "eu-west-3");
        Assert.Equal("primary", primary.GetProperty("role").GetString());
        Assert.True(primary.GetProperty("database").GetProperty("writable").GetBoolean());
        Assert.Equal(2, primary.GetProperty("compute").GetProperty("running").GetInt32());
        Assert.Equal(2, primary.GetProperty("compute").GetProperty("desired").GetInt32());
        var standby = TestLab.Region(status, "eu-central-1");
        Assert.Equal("standby", standby.GetProperty("role").GetString());
        Assert.False(standby.GetProperty("database").GetProperty("writable").GetBoolean());
        Assert.Equal(0, standby.GetProperty("compute").GetProperty("running").GetInt32());
        Assert.True(status.GetProperty("replication").GetProperty("streaming").GetBoolean());
        Assert.Equal("async", status.GetProperty("replication").GetProperty("mode").GetString());
        Assert.True(status.GetProperty("replication").GetProperty("lagBytes").GetInt64() <= 1024 * 1024);
        Assert.Equal("eu-west-3", status.GetProperty("traffic").GetProperty("activeRegion").GetString());
        Assert.Equal(1, status.GetProperty("traffic").GetProperty("ttlSeconds").GetInt32());
    }

    [Fact]
    public async Task A_write_through_the_public_name_lands_on_the_primary_and_streams_to_the_standby()
    {
        Assert.Equal(Lab.PrimaryAddress, await Lab.ResolveAsync());
        var seq = Random.Shared.NextInt64(1_000_000, 2_000_000);
        using var response = await Lab.WriteThroughPublicNameAsync(seq, "through-dns");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(seq, body["seq"]!.GetValue<long>());
        Assert.Equal("eu-west-3", body["region"]!.GetValue<string>());

        Assert.Equal(1L, await TestLab.ScalarAsync<long>(Lab.PrimaryAddress, $"SELECT count(*) FROM records WHERE seq = {seq}"));
        await Eventually.HoldsAsync(() => TestLab.ScalarAsync<long>(Lab.StandbyAddress, $"SELECT count(*) FROM records WHERE seq = {seq}"),
            n => n == 1, TimeSpan.FromSeconds(10), "the record to appear on the standby");

        // Once replayed, the standby is 0 bytes behind: status reports lag 0 (bytes and seconds).
        var status = await Eventually.HoldsAsync(Lab.StatusAsync,
            s => s.GetProperty("replication").GetProperty("lagBytes").GetInt64() == 0, TimeSpan.FromSeconds(10), "lag to return to 0");
        Assert.Equal(0.0, status.GetProperty("replication").GetProperty("lagSeconds").GetDouble());
    }

    [Fact]
    public async Task Lab_up_is_idempotent()
    {
        var again = await Lab.RunAsync("lab", "up", "--output", "json");
        Assert.Equal(0, again.ExitCode);
        Assert.True(again.Json.GetProperty("alreadyUp").GetBoolean(), again.ToString());
        Assert.Empty(again.Json.GetProperty("started").EnumerateArray());
    }

    [Fact]
    public async Task The_standby_refuses_writes_and_the_api_answers_503_not_500_when_it_cannot_write()
    {
        var ex = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            TestLab.ScalarAsync<long>(Lab.StandbyAddress, "INSERT INTO records (seq, payload, region) VALUES (-1, 'x', 'x') RETURNING id"));
        Assert.Equal("25006", ex.SqlState); // read_only_sql_transaction
    }
}
