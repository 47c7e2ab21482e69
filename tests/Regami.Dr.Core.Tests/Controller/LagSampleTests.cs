using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Ports;

namespace Regami.Dr.Core.Tests.Controller;

public sealed class LagSampleTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero));

    /// <param name="streaming">What the primary says of its standby: true streaming, false connected but not streaming, null no standby connected (no row in pg_stat_replication).</param>
    private static DatabaseObservation Primary(long? lagBytes, double? lagSeconds, bool reachable = true, bool inRecovery = false, bool? streaming = true) =>
        new("eu-west-3", reachable, reachable, inRecovery, reachable && !inRecovery, "0/3000000", lagBytes, lagSeconds, streaming,
            reachable ? null : "connection refused");

    [Fact]
    public void An_idle_primary_whose_standby_has_replayed_everything_reports_zero_seconds_whatever_the_replay_timestamps_say()
    {
        var sample = LagSample.FromPrimary(Primary(lagBytes: 0, lagSeconds: 4200), "eu-central-1", _time.GetUtcNow());

        Assert.Equal(new LagSample(_time.GetUtcNow(), "eu-west-3", "eu-central-1", 0, 0, StandbyStreaming: true), sample);
    }

    [Fact]
    public void A_standby_behind_keeps_the_servers_replay_lag()
    {
        var sample = LagSample.FromPrimary(Primary(lagBytes: 8192, lagSeconds: 1.5), "eu-central-1", _time.GetUtcNow());

        Assert.Equal(8192, sample?.Bytes);
        Assert.Equal(1.5, sample?.Seconds);
    }

    [Fact]
    public void A_standby_behind_without_a_replay_lag_has_unknown_seconds()
    {
        Assert.Null(LagSample.FromPrimary(Primary(lagBytes: 8192, lagSeconds: null), "eu-central-1", _time.GetUtcNow())?.Seconds);
    }

    [Fact]
    public void No_sample_when_the_primary_cannot_tell()
    {
        Assert.Null(LagSample.FromPrimary(Primary(0, 0, reachable: false), "eu-central-1", _time.GetUtcNow()));
        Assert.Null(LagSample.FromPrimary(Primary(0, 0, inRecovery: true), "eu-central-1", _time.GetUtcNow()));
        // Streaming, but no bytes figure (RDS: the lag is CloudWatch's): the lag memory answers instead.
        Assert.Null(LagSample.FromPrimary(Primary(lagBytes: null, lagSeconds: null), "eu-central-1", _time.GetUtcNow()));
    }

    [Theory]
    [InlineData(null, null)]   // no standby connected, no slot
    [InlineData(0L, null)]     // no standby connected; its slot is at the primary's current WAL (an idle primary)
    [InlineData(8192L, null)]  // no standby connected; its slot is 8 KiB behind
    [InlineData(0L, false)]    // connected, not streaming (startup, catchup, backup)
    public void A_standby_the_primary_reports_not_streaming_gives_a_sample_the_rpo_guard_refuses(long? slotBytes, bool? streaming)
    {
        var sample = LagSample.FromPrimary(Primary(slotBytes, lagSeconds: 0, streaming: streaming), "eu-central-1", _time.GetUtcNow());

        Assert.NotNull(sample);
        Assert.False(sample.StandbyStreaming);
        Assert.Null(sample.Seconds); // the idle rule holds for a streaming standby only
        Assert.Equal(slotBytes, sample.Bytes);
        var verdict = Regami.Dr.Core.Runbooks.RpoGuardDecision.Evaluate(sample, _time.GetUtcNow(), new Regami.Dr.Core.Runbooks.RpoGuardPolicy());
        Assert.False(verdict.Pass);
        Assert.Contains("not connected or not streaming", verdict.Reason);
    }

    [Fact]
    public void A_sample_stored_before_the_streaming_flag_existed_reads_back_as_not_saying()
    {
        var old = """{"At":"2026-11-29T09:00:00+00:00","Primary":"eu-west-3","Standby":"eu-central-1","Bytes":0,"Seconds":0}""";
        var sample = System.Text.Json.JsonSerializer.Deserialize<LagSample>(old)!;
        Assert.Null(sample.StandbyStreaming);
        Assert.Equal(0, sample.Bytes);
        var roundTrip = System.Text.Json.JsonSerializer.Deserialize<LagSample>(System.Text.Json.JsonSerializer.Serialize(sample with { StandbyStreaming = false }))!;
        Assert.False(roundTrip.StandbyStreaming);
    }
}
