using System.Text.Json;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Integration.Tests.Infrastructure;
using static Regami.Dr.Integration.Tests.ControllerApi;

namespace Regami.Dr.Integration.Tests;

/// <summary>The controller on a real lab: automatic failover when the primary dies, guarded.</summary>
public sealed class ControllerTests
{
    [Fact]
    public async Task Kill_db_on_the_primary_fails_over_automatically_and_says_why()
    {
        await using var lab = await TestLab.StartAsync(net: 41, controller: true);
        var status = await lab.StatusAsync();
        var controllerUrl = status.GetProperty("controller").GetProperty("url").GetString()!;

        Assert.Equal(0, (await lab.RunAsync("lab", "fault", "kill-db", "--region", "eu-west-3")).ExitCode);
        // threshold × interval + promotion + compute, with slack for a loaded 2-core machine.
        var after = await Eventually.HoldsAsync(lab.StatusAsync,
            s => s.GetProperty("primaryRegion").GetString() == "eu-central-1"
                 && TestLab.Region(s, "eu-central-1").GetProperty("compute").GetProperty("running").GetInt32() >= 2,
            TimeSpan.FromSeconds(60), "the controller to fail over to eu-central-1");
        Assert.True(TestLab.Region(after, "eu-central-1").GetProperty("database").GetProperty("writable").GetBoolean());
        await Eventually.HoldsAsync(lab.ResolveAsync, a => a == lab.StandbyAddress, TimeSpan.FromSeconds(20), "DNS to answer the new primary");

        var audit = (await lab.RunAsync("audit", "list", "--output", "json")).Json.EnumerateArray().ToList();
        var decision = audit.First(e => e.GetProperty("entry").GetProperty("action").GetString() == ControllerAuditActions.Decision
                                        && e.GetProperty("entry").GetProperty("outcome").GetString() == ControllerAuditActions.FailoverOutcome);
        Assert.Contains("failing over to eu-central-1", decision.GetProperty("entry").GetProperty("details").GetString());
        Assert.Contains(audit, e => e.GetProperty("entry").GetProperty("actor").GetString() == "controller"
                                    && e.GetProperty("entry").GetProperty("action").GetString() == RunbookAuditActions.Step(FailoverRunbook.StepNames.PromoteStandby));

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(controllerUrl + "metrics");
        Assert.Contains("regami_failovers_total{result=\"succeeded\"} 1", metrics);
        Assert.Equal(0, (await lab.RunAsync("audit", "verify")).ExitCode);

        // A human fails back; the controller must judge the restored primary afresh, not by its
        // history as a fenced region (regression: it failed over again right after the failback).
        Assert.Equal(0, (await lab.RunAsync("lab", "fault", "heal")).ExitCode);
        var failback = await lab.RunAsync(["failback", "--yes"], TimeSpan.FromMinutes(3));
        Assert.True(failback.ExitCode == 0, failback.ToString());
        // Let the controller judge the restored primary more often than its threshold (3) before
        // checking that it did not fail over again.
        await WaitForTicksAsync(controllerUrl, 4, "the controller to observe the restored primary for more than 3 ticks");
        var failovers = (await lab.RunAsync("runbook", "list", "--output", "json")).Json.EnumerateArray()
            .Count(r => r.GetProperty("kind").GetString() == "failover");
        Assert.Equal(1, failovers);
        Assert.Equal("eu-west-3", await PrimaryRegionAsync(lab));
    }

    [Fact]
    public async Task Lag_beyond_the_rpo_guard_refuses_the_failover_and_raises_sev1()
    {
        var baseDir = TestLab.NewBaseDirectory();
        await using var lab = await TestLab.StartAsync(net: 42, controller: true, baseDir: baseDir,
            extraConfig: "rpoGuard:\n  maxLagBytes: 1000\n");
        Assert.Equal(0, (await lab.RunAsync("lab", "fault", "pause-replication")).ExitCode);
        for (var i = 0; i < 30; i++)
            using (var r = await lab.WriteThroughPublicNameAsync(5000 + i, new string('x', 500))) Assert.True(r.IsSuccessStatusCode);
        // Let the controller measure the lag while the primary still answers.
        // lagBytes is null while the status cannot measure it (a busy machine): that is "not yet".
        await Eventually.HoldsAsync(lab.StatusAsync,
            s => s.GetProperty("replication").GetProperty("lagBytes") is { ValueKind: JsonValueKind.Number } lag && lag.GetInt64() > 1000,
            TimeSpan.FromSeconds(30), "lag above the guard");
        var controllerUrl = (await lab.StatusAsync()).GetProperty("controller").GetProperty("url").GetString()!;
        await Eventually.WaitUntilAsync(async () => await TryControllerAsync(controllerUrl) is { } c && LagBytes(c) > 1000,
            TimeSpan.FromSeconds(30), "the controller's last known lag sample (lastKnownLag) above the guard");
        Assert.Equal(0, (await lab.RunAsync("lab", "fault", "kill-db", "--region", "eu-west-3")).ExitCode);

        var alerts = Path.Combine(lab.StateDir, "alerts.jsonl");
        await Eventually.HoldsAsync(() => Task.FromResult(File.Exists(alerts) ? File.ReadAllText(alerts) : ""),
            t => t.Contains("RPO guard"), TimeSpan.FromSeconds(30), "a Sev1 alert naming the RPO guard");
        var guardAlert = File.ReadLines(alerts).First(l => l.Contains("RPO guard"));
        Assert.Equal(1, JsonDocument.Parse(guardAlert).RootElement.GetProperty("severity").GetInt32());
        var status = await lab.StatusAsync();
        Assert.NotEqual("primary", TestLab.Region(status, "eu-central-1").GetProperty("role").GetString());
        var runs = (await lab.RunAsync("runbook", "list", "--output", "json")).Json;
        Assert.DoesNotContain(runs.EnumerateArray(), r => r.GetProperty("kind").GetString() == "failover");
    }

    [Fact]
    public async Task Losing_the_standby_is_sev2_and_never_a_failover()
    {
        await using var lab = await TestLab.StartAsync(net: 43, controller: true);
        Assert.Equal(0, (await lab.RunAsync("lab", "fault", "kill-db", "--region", "eu-central-1")).ExitCode);
        var alerts = Path.Combine(lab.StateDir, "alerts.jsonl");
        await Eventually.HoldsAsync(() => Task.FromResult(File.Exists(alerts) ? File.ReadAllText(alerts) : ""),
            t => t.Contains("standby-down"), TimeSpan.FromSeconds(30), "a Sev2 standby-down alert");
        var line = File.ReadLines(alerts).First(l => l.Contains("standby-down"));
        Assert.Equal(2, JsonDocument.Parse(line).RootElement.GetProperty("severity").GetInt32());
        Assert.Equal("eu-west-3", await PrimaryRegionAsync(lab));
        Assert.Empty((await lab.RunAsync("runbook", "list", "--output", "json")).Json.EnumerateArray());
    }
}

/// <summary>Faults that leave the primary process alive, and two controllers sharing one etcd lease.</summary>
public sealed class ControllerFaultTests
{
    [Fact]
    public async Task A_hung_primary_is_failed_over_and_once_resumed_it_accepts_no_writes()
    {
        await using var lab = await TestLab.StartAsync(net: 44, controller: true);
        Assert.Equal(0, (await lab.RunAsync("lab", "fault", "hang-db", "--region", "eu-west-3")).ExitCode);
        await Eventually.HoldsAsync(lab.StatusAsync, s => s.GetProperty("primaryRegion").GetString() == "eu-central-1",
            TimeSpan.FromSeconds(60), "the controller to fail over from the hung primary");
        // Whatever the hung server does when it wakes up, it must not take writes: the fence stopped it.
        Assert.Equal(0, (await lab.RunAsync("lab", "fault", "heal")).ExitCode);
        await Assert.ThrowsAnyAsync<Npgsql.NpgsqlException>(() => TestLab.ScalarAsync<long>(lab.PrimaryAddress, "INSERT INTO records (seq, payload, region) VALUES (-7, 'x', 'x') RETURNING id"));
        var status = await lab.StatusAsync();
        Assert.Equal("fenced", TestLab.Region(status, "eu-west-3").GetProperty("role").GetString());
        Assert.Equal(lab.StandbyAddress, await lab.ResolveAsync());
    }

    [Fact]
    public async Task Two_controllers_sharing_an_etcd_lease_fail_over_exactly_once()
    {
        using var etcd = await Regami.Dr.Component.Tests.Leases.EtcdServer.StartAsync();
        await using var lab = await TestLab.StartAsync(net: 45, controller: true,
            extraConfig: $"controller:\n  lease: etcd\n  etcdEndpoint: {etcd.ClientUrl}\n");
        var controllerUrl = (await lab.StatusAsync()).GetProperty("controller").GetProperty("url").GetString()!;
        var second = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            ArgumentList = { CliProcess.CliDll, "monitor", "--listen", "http://127.0.45.1:7481/", "--name", "second-controller", "--state-dir", lab.StateDir, "--config", lab.ConfigFile },
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var standbyController = await Eventually.HoldsAsync(async () =>
            {
                // Not answering yet, or too slowly on a busy machine: not yet.
                try { return await http.GetStringAsync("http://127.0.45.1:7481/api/controller"); }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return ""; }
            }, body => body.Contains("\"holdsLease\": false"), TimeSpan.FromSeconds(30), "the second controller to run without the lease");
            Assert.Contains("another controller holds the lease", standbyController);

            Assert.Equal(0, (await lab.RunAsync("lab", "fault", "kill-db", "--region", "eu-west-3")).ExitCode);
            await Eventually.HoldsAsync(() => lab.RunAsync("runbook", "list", "--output", "json"),
                r => r.Json.EnumerateArray().Any(x => x.GetProperty("kind").GetString() == "failover" && x.GetProperty("outcome").GetString() == "succeeded"),
                TimeSpan.FromSeconds(90), "one controller to complete a failover");
            // Give a second failover every chance to (wrongly) start: both controllers observe the
            // new topology for several ticks after the first failover.
            foreach (var url in new[] { controllerUrl, "http://127.0.45.1:7481/" })
                await WaitForTicksAsync(url, 3, $"the controller at {url} to tick 3 more times after the failover");
            var runs = (await lab.RunAsync("runbook", "list", "--output", "json")).Json.EnumerateArray()
                .Where(r => r.GetProperty("kind").GetString() == "failover").ToList();
            Assert.Single(runs);
            Assert.Equal("succeeded", runs[0].GetProperty("outcome").GetString());
        }
        finally
        {
            second.Kill(entireProcessTree: true);
            await second.WaitForExitAsync();
        }
    }
}

/// <summary>Reads a controller's own view (<c>/api/controller</c>): what the tests poll instead of sleeping.</summary>
internal static class ControllerApi
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>The controller's JSON, or null when it does not answer (in time): a poll's "not yet".</summary>
    public static async Task<JsonElement?> TryControllerAsync(string controllerUrl)
    {
        try
        {
            using var doc = JsonDocument.Parse(await Http.GetStringAsync(controllerUrl.TrimEnd('/') + "/api/controller"));
            return doc.RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Waits until the controller has completed <paramref name="more"/> decision ticks after now.</summary>
    public static async Task WaitForTicksAsync(string controllerUrl, int more, string what)
    {
        var start = await Eventually.HoldsAsync(async () => await TryControllerAsync(controllerUrl) is { } c ? c.GetProperty("ticks").GetInt64() : -1,
            t => t >= 0, TimeSpan.FromSeconds(30), $"the controller at {controllerUrl} to answer");
        await Eventually.WaitUntilAsync(async () => await TryControllerAsync(controllerUrl) is { } c && c.GetProperty("ticks").GetInt64() >= start + more,
            TimeSpan.FromSeconds(60), what);
    }

    /// <summary>The region the status names as primary, once it names one (null while a busy machine's probe times out).</summary>
    public static async Task<string?> PrimaryRegionAsync(TestLab lab) =>
        (await Eventually.HoldsAsync(lab.StatusAsync, s => s.GetProperty("primaryRegion").ValueKind == JsonValueKind.String,
            TimeSpan.FromSeconds(30), "the status to name a primary region")).GetProperty("primaryRegion").GetString();

    /// <summary>The bytes of the controller's last lag sample, or -1 when it has none yet.</summary>
    public static long LagBytes(JsonElement controller) =>
        controller.TryGetProperty("lastKnownLag", out var lag) && lag.ValueKind == JsonValueKind.Object
        && lag.TryGetProperty("bytes", out var bytes) && bytes.ValueKind == JsonValueKind.Number
            ? bytes.GetInt64()
            : -1;
}
