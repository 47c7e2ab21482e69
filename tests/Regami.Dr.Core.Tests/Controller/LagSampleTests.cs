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

    private LagSample Streaming(double secondsAgo, long bytes, double? seconds) =>
        new(_time.GetUtcNow().AddSeconds(-secondsAgo), "eu-west-3", "eu-central-1", bytes, seconds, StandbyStreaming: true);

    [Fact]
    public void Bytes_behind_without_a_replay_lag_are_bounded_by_the_sample_before_plus_the_time_between()
    {
        // The standby had caught up (replay_lag NULL), then a write arrived and the primary hung.
        var before = Streaming(secondsAgo: 1.0, bytes: 0, seconds: null);
        var now = Streaming(secondsAgo: 0, bytes: 264, seconds: null);

        var bounded = now.BoundedBy(before);

        Assert.Equal(1.0, bounded.Seconds!.Value, 6);
        Assert.Equal(before.At, bounded.SecondsBoundFrom);
        Assert.Equal(264, bounded.Bytes);
        var verdict = Regami.Dr.Core.Runbooks.RpoGuardDecision.Evaluate(bounded, _time.GetUtcNow().AddSeconds(2), new Regami.Dr.Core.Runbooks.RpoGuardPolicy());
        Assert.True(verdict.Pass, verdict.Reason);
        Assert.Contains("≤ 1.0 s (bound from an earlier sample)", verdict.Reason);
    }

    [Fact]
    public void A_chain_of_bounds_keeps_counting_from_the_last_measured_sample()
    {
        var measured = Streaming(secondsAgo: 3.0, bytes: 4096, seconds: 0.5);
        var second = Streaming(secondsAgo: 2.0, bytes: 100, seconds: null).BoundedBy(measured);
        var third = Streaming(secondsAgo: 0, bytes: 200, seconds: null).BoundedBy(second);

        Assert.Equal(3.5, third.Seconds!.Value, 6);
        Assert.Equal(measured.At, third.SecondsBoundFrom);
    }

    [Fact]
    public void An_old_sample_before_gives_a_bound_the_guard_refuses()
    {
        var bounded = Streaming(secondsAgo: 0, bytes: 264, seconds: null).BoundedBy(Streaming(secondsAgo: 600, bytes: 0, seconds: 0));

        Assert.Equal(600, bounded.Seconds!.Value, 6);
        Assert.False(Regami.Dr.Core.Runbooks.RpoGuardDecision.Evaluate(bounded, _time.GetUtcNow(), new Regami.Dr.Core.Runbooks.RpoGuardPolicy()).Pass);
    }

    [Fact]
    public void Nothing_is_bounded_from_a_sample_that_proves_nothing_about_this_standby()
    {
        var now = Streaming(secondsAgo: 0, bytes: 264, seconds: null);
        var earlier = Streaming(secondsAgo: 1, bytes: 0, seconds: 0);

        Assert.Same(now, now.BoundedBy(null));
        Assert.Same(now, now.BoundedBy(earlier with { Standby = "eu-north-1" }));        // another standby
        Assert.Same(now, now.BoundedBy(earlier with { Primary = "eu-central-1" }));      // another primary (after a failover)
        Assert.Same(now, now.BoundedBy(earlier with { StandbyStreaming = false }));      // it was not streaming then
        Assert.Same(now, now.BoundedBy(earlier with { StandbyStreaming = null }));       // the source did not say
        Assert.Same(now, now.BoundedBy(earlier with { Bytes = 100, Seconds = null }));   // unknown then too
        Assert.Same(now, now.BoundedBy(earlier with { At = now.At.AddSeconds(1) }));     // taken after this one
        // This sample itself does not need or allow a bound.
        var notStreaming = now with { StandbyStreaming = false };
        Assert.Same(notStreaming, notStreaming.BoundedBy(earlier));
        var measured = now with { Seconds = 0.2 };
        Assert.Same(measured, measured.BoundedBy(earlier));
    }

    private sealed class OneSlotMemory : ILagMemory
    {
        public LagSample? Last { get; private set; }
        public int Reads { get; private set; }
        public Task RememberAsync(LagSample sample, CancellationToken ct) { Last = sample; return Task.CompletedTask; }
        public Task<LagSample?> LastAsync(CancellationToken ct) { Reads++; return Task.FromResult(Last); }
    }

    [Fact]
    public async Task Recording_a_sample_without_seconds_keeps_the_bound_and_a_measured_sample_as_it_is()
    {
        var memory = new OneSlotMemory();
        var measured = Streaming(secondsAgo: 1, bytes: 0, seconds: 0);

        Assert.Same(measured, await memory.RecordAsync(measured, CancellationToken.None));
        Assert.Equal(0, memory.Reads); // a measured sample needs no look back

        var kept = await memory.RecordAsync(Streaming(secondsAgo: 0, bytes: 264, seconds: null), CancellationToken.None);

        Assert.Equal(1.0, kept.Seconds!.Value, 6);
        Assert.Same(kept, memory.Last);
    }
}
