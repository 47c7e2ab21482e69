using System.Text.Json;
using Regami.Dr.Integration.Tests.Infrastructure;

namespace Regami.Dr.Integration.Tests;

/// <summary>
/// The fault campaign's short seeded sample (the long run is bench/fault-campaign.sh, recorded in
/// bench/RESULTS.md). Seed 166 plans, over 3 sequences: a region outage with the controller paused
/// past its lease; flapping below the threshold; kill-db with the controller killed 1.4 s later
/// (inside detection or the failover runbook), restarted 3 s after.
/// </summary>
public sealed class CampaignTests
{
    [Fact]
    public async Task The_seeded_sample_breaks_no_invariant_in_sync_mode()
    {
        await using var lab = TestLab.Prepare(57, extraConfig: "controller: { cooldown: 2s }\n");
        var run = await lab.RunAsync(["lab", "campaign", "--seed", "166", "--sequences", "3", "--replication", "sync", "--output", "json"], TimeSpan.FromMinutes(12));
        var report = run.Json;
        var violations = report.GetProperty("sequences").EnumerateArray()
            .SelectMany(s => s.GetProperty("violations").EnumerateArray()).Select(v => v.GetRawText()).ToList();
        Assert.True(run.ExitCode == 0 && violations.Count == 0, string.Join("\n", violations) + "\n" + run);

        var sequences = report.GetProperty("sequences").EnumerateArray().ToList();
        Assert.Equal(3, sequences.Count);
        Assert.Equal("sync", report.GetProperty("mode").GetString());
        Assert.Equal(["region-outage", "controller-pause"], sequences[0].GetProperty("faults").EnumerateArray().Select(f => f.GetString()));
        // The checks looked: the sampler saw a writable database, the writer had writes acknowledged.
        Assert.All(sequences, s =>
        {
            Assert.True(s.GetProperty("probeRoundsAcknowledged").GetInt32() > 0, s.GetRawText());
            Assert.True(s.GetProperty("acknowledged").GetInt32() > 0, s.GetRawText());
            Assert.Equal(0, s.GetProperty("lost").GetInt32());
        });
        // The outage and the kill-db fail over; flapping does not.
        Assert.True(sequences[0].GetProperty("failovers").GetInt32() >= 1, sequences[0].GetRawText());
        Assert.Equal(0, sequences[1].GetProperty("failovers").GetInt32());
        Assert.True(sequences[2].GetProperty("failovers").GetInt32() >= 1, sequences[2].GetRawText());
        Assert.Equal(0, (await lab.RunAsync("audit", "verify")).ExitCode);
    }
}
