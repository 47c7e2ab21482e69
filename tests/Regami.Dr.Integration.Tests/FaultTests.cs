using System.Text.Json;
using Regami.Dr.Integration.Tests.Infrastructure;

namespace Regami.Dr.Integration.Tests;

/// <summary>Faults break a lab, so each test here brings up its own and purges it.</summary>
public sealed class FaultTests
{
    [Fact]
    public async Task Kill_db_on_the_primary_makes_both_records_unhealthy_so_dns_keeps_answering_the_primary_until_the_standby_is_healthy()
    {
        await using var lab = await TestLab.StartAsync(net: 21);
        var fault = await lab.RunAsync("lab", "fault", "kill-db", "--output", "json");
        Assert.Equal(0, fault.ExitCode);

        // The primary's health check fails (threshold 3 × 1 s); the standby has no instances and is
        // unhealthy too, so Route 53 semantics answer as if all were healthy: still the primary.
        var status = await Eventually.HoldsAsync(lab.StatusAsync,
            s => s.GetProperty("traffic").TryGetProperty("healthChecks", out var hc) && hc.ValueKind == JsonValueKind.Object
                 && !hc.GetProperty("eu-west-3").GetBoolean(),
            TimeSpan.FromSeconds(15), "the primary's DNS health check to turn unhealthy");
        Assert.Equal("down", TestLab.Region(status, "eu-west-3").GetProperty("role").GetString());
        Assert.Equal(lab.PrimaryAddress, await lab.ResolveAsync());
        Assert.Contains("all", status.GetProperty("traffic").GetProperty("reason").GetString() ?? "", StringComparison.OrdinalIgnoreCase);

        // Make the standby healthy by hand (what the failover runbook automates): promote it and
        // give it compute. Only then does DNS move to the secondary.
        await TestLab.ScalarAsync<bool>(lab.StandbyAddress, "SELECT pg_promote(true, 30)");
        Assert.Equal(0, (await lab.RunAsync("lab", "scale", "--region", "eu-central-1", "--count", "1")).ExitCode);
        await Eventually.HoldsAsync(lab.ResolveAsync, a => a == lab.StandbyAddress, TimeSpan.FromSeconds(20), "DNS to answer the standby");

        // Campaign sequence 43 (seed 20261129): the recorded standby was promoted before its role was recorded, and
        // pausing its replication failed with PostgreSQL's 55000. It is refused plainly instead.
        var pause = await lab.RunAsync("lab", "fault", "pause-replication");
        Assert.Equal(2, pause.ExitCode);
        Assert.Contains("eu-central-1 is not in recovery", pause.StandardError);
    }

    [Fact]
    public async Task Pause_replication_makes_lag_grow_and_resume_brings_it_back_to_zero()
    {
        await using var lab = await TestLab.StartAsync(net: 22);
        Assert.Equal(0, (await lab.RunAsync("lab", "fault", "pause-replication")).ExitCode);
        for (var i = 0; i < 20; i++)
            using (var r = await lab.WriteThroughPublicNameAsync(1000 + i, new string('x', 2000))) Assert.True(r.IsSuccessStatusCode);

        var paused = await Eventually.HoldsAsync(lab.StatusAsync,
            s => TestLab.Region(s, "eu-central-1").GetProperty("database").GetProperty("lagBytes").GetInt64() > 0,
            TimeSpan.FromSeconds(10), "lag to grow while replay is paused");
        Assert.True(paused.GetProperty("replication").GetProperty("lagBytes").GetInt64() > 0);
        Assert.Equal(0L, await TestLab.ScalarAsync<long>(lab.StandbyAddress, "SELECT count(*) FROM records WHERE seq >= 1000"));

        Assert.Equal(0, (await lab.RunAsync("lab", "fault", "resume-replication")).ExitCode);
        await Eventually.HoldsAsync(lab.StatusAsync,
            s => s.GetProperty("replication").GetProperty("lagBytes").GetInt64() == 0, TimeSpan.FromSeconds(15), "lag to return to 0");
        Assert.Equal(20L, await TestLab.ScalarAsync<long>(lab.StandbyAddress, "SELECT count(*) FROM records WHERE seq >= 1000"));
    }

    [Fact]
    public async Task Kill_app_then_heal_restarts_the_instances_and_lab_down_leaves_no_process()
    {
        var lab = await TestLab.StartAsync(net: 23);
        try
        {
            Assert.Equal(0, (await lab.RunAsync("lab", "fault", "kill-app")).ExitCode);
            var broken = await lab.StatusAsync();
            Assert.Equal(0, TestLab.Region(broken, "eu-west-3").GetProperty("compute").GetProperty("running").GetInt32());

            var heal = await lab.RunAsync("lab", "fault", "heal");
            Assert.Equal(0, heal.ExitCode);
            Assert.Contains("restarted", heal.StandardOutput);
            var healed = await lab.StatusAsync();
            Assert.Equal(2, TestLab.Region(healed, "eu-west-3").GetProperty("compute").GetProperty("running").GetInt32());

            var pids = LabPids(lab.StateDir);
            Assert.NotEmpty(pids);
            var down = await lab.RunAsync("lab", "down");
            Assert.Equal(0, down.ExitCode);
            Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z "), $"pid {pid} still runs"));
            Assert.DoesNotContain(Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)),
                d => SafeCmdline(d).Contains(lab.StateDir));

            var again = await lab.RunAsync("lab", "down");
            Assert.Equal(0, again.ExitCode);
        }
        finally { await lab.DisposeAsync(); }
    }

    private static string SafeCmdline(string procDir)
    {
        try { return File.ReadAllText(Path.Combine(procDir, "cmdline")).Replace('\0', ' '); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }

    private static List<int> LabPids(string stateDir)
    {
        var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(stateDir, "lab.json"))).RootElement;
        var pids = new List<int>();
        foreach (var region in state.GetProperty("regions").EnumerateObject())
        {
            if (region.Value.TryGetProperty("postmasterPid", out var pm)) pids.Add(pm.GetInt32());
            if (region.Value.TryGetProperty("loadBalancer", out var lb)) pids.Add(lb.GetProperty("pid").GetInt32());
            foreach (var i in region.Value.GetProperty("instances").EnumerateArray())
                if (i.TryGetProperty("pid", out var p)) pids.Add(p.GetInt32());
        }
        if (state.TryGetProperty("dns", out var dns)) pids.Add(dns.GetProperty("pid").GetInt32());
        return pids;
    }
}
