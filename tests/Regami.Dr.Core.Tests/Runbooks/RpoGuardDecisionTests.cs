using System.Globalization;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Runbooks;

namespace Regami.Dr.Core.Tests.Runbooks;

public sealed class RpoGuardDecisionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly RpoGuardPolicy Policy = new() { MaxLag = TimeSpan.FromSeconds(300), MaxLagBytes = 1_000_000 };

    private static LagSample Sample(long? bytes, double? seconds, double ageSeconds = 5, bool? streaming = true) =>
        new(Now.AddSeconds(-ageSeconds), "eu-west-3", "eu-central-1", bytes, seconds, streaming);

    [Fact]
    public void A_caught_up_standby_passes_even_if_seconds_were_never_measured()
    {
        var v = RpoGuardDecision.Evaluate(Sample(0, null), Now, Policy);
        Assert.True(v.Pass, v.Reason);
        Assert.Contains("0.0 s + 5.0 s since = 5.0 s of data at risk ≤ 300 s", v.Reason);
    }

    [Fact]
    public void Zero_bytes_behind_is_zero_seconds_whatever_the_replay_timestamps_said()
    {
        // ReplicationLag.Seconds: on an idle primary now() - pg_last_xact_replay_timestamp() grows forever.
        var v = RpoGuardDecision.Evaluate(Sample(0, 4200), Now, Policy);
        Assert.True(v.Pass, v.Reason);
        Assert.Contains("0 bytes / 0.0 s", v.Reason);
    }

    [Fact]
    public void Lag_within_both_bounds_passes_and_says_the_figures_the_age_and_the_limits()
    {
        var v = RpoGuardDecision.Evaluate(Sample(4096, 0.4), Now, Policy);
        Assert.True(v.Pass, v.Reason);
        Assert.Equal("last known lag of eu-central-1 4096 bytes / 0.4 s measured 5.0 s ago: 0.4 s + 5.0 s since = 5.4 s of data at risk ≤ 300 s and 4096 ≤ 1000000 bytes", v.Reason);
    }

    [Fact]
    public void Lag_over_the_seconds_bound_is_refused() =>
        Assert.False(RpoGuardDecision.Evaluate(Sample(10, 301), Now, Policy).Pass);

    [Fact]
    public void The_samples_age_is_added_to_the_lag_it_measured()
    {
        // 290 s measured 20 s ago: 310 s of writes may be missing now.
        var v = RpoGuardDecision.Evaluate(Sample(10, 290, ageSeconds: 20), Now, Policy);
        Assert.False(v.Pass);
        Assert.Equal("last known lag of eu-central-1 10 bytes / 290.0 s measured 20.0 s ago: 290.0 s + 20.0 s since = 310.0 s of data at risk exceeds 300 s (rpoGuard.maxLag)", v.Reason);
        Assert.True(RpoGuardDecision.Evaluate(Sample(10, 290, ageSeconds: 10), Now, Policy).Pass);
    }

    [Fact]
    public void Lag_over_the_bytes_bound_is_refused_even_when_seconds_look_small()
    {
        var v = RpoGuardDecision.Evaluate(Sample(2_000_000, 1), Now, Policy);
        Assert.False(v.Pass);
        Assert.Contains("measured 5.0 s ago: 2000000 bytes behind exceeds 1000000 bytes (rpoGuard.maxLagBytes)", v.Reason);
    }

    [Fact]
    public void Bytes_behind_without_seconds_are_refused_as_lag_in_seconds_unknown()
    {
        // The optimistic guard let this pass on bytes alone: a standby gone for hours at a low write
        // rate is only a few KiB behind.
        var v = RpoGuardDecision.Evaluate(Sample(8192, null), Now, Policy);
        Assert.False(v.Pass);
        Assert.Equal("last known lag of eu-central-1 8192 bytes / ? s measured 5.0 s ago: lag in seconds unknown, so the data at risk is unknown (limit: lag + sample age ≤ 300 s)", v.Reason);
    }

    [Fact]
    public void Neither_bytes_nor_seconds_is_refused_as_lag_in_seconds_unknown()
    {
        var v = RpoGuardDecision.Evaluate(Sample(null, null), Now, Policy);
        Assert.False(v.Pass);
        Assert.Contains("? bytes / ? s measured 5.0 s ago: lag in seconds unknown", v.Reason);
    }

    [Fact]
    public void Seconds_that_are_not_a_number_count_as_unknown()
    {
        Assert.False(RpoGuardDecision.Evaluate(Sample(10, double.NaN), Now, Policy).Pass);
        Assert.False(RpoGuardDecision.Evaluate(Sample(null, double.NaN), Now, Policy).Pass);
        Assert.False(RpoGuardDecision.Evaluate(Sample(10, double.PositiveInfinity), Now, Policy).Pass);
    }

    [Fact]
    public void A_standby_the_primary_reported_not_streaming_is_refused_even_at_zero_bytes()
    {
        // No row in pg_stat_replication: the slot may say 0 bytes on an idle primary, but every write
        // from now on is missing on the standby.
        var v = RpoGuardDecision.Evaluate(Sample(0, null, streaming: false), Now, Policy);
        Assert.False(v.Pass);
        Assert.Equal("last known lag of eu-central-1 0 bytes / ? s measured 5.0 s ago: the primary reported eu-central-1 not connected or not streaming, so the data at risk is unknown and growing (limit: lag + sample age ≤ 300 s)", v.Reason);
        Assert.False(RpoGuardDecision.Evaluate(Sample(0, 0, streaming: false), Now, Policy).Pass);
    }

    [Fact]
    public void A_sample_that_does_not_say_whether_the_standby_streams_is_judged_on_its_figures()
    {
        // CloudWatch's ReplicaLag, or a sample stored before the field existed.
        Assert.True(RpoGuardDecision.Evaluate(Sample(null, 10, streaming: null), Now, Policy).Pass);
    }

    [Fact]
    public void No_measurement_at_all_is_refused_as_unknown_and_says_the_limit()
    {
        var v = RpoGuardDecision.Evaluate(null, Now, Policy);
        Assert.False(v.Pass);
        Assert.Equal("no replication lag was ever measured, so the data at risk is unknown (limit: lag + sample age ≤ 300 s)", v.Reason);
    }

    [Fact]
    public void A_stale_measurement_is_refused_as_unknown()
    {
        var v = RpoGuardDecision.Evaluate(Sample(0, 0, ageSeconds: 3600), Now, Policy);
        Assert.False(v.Pass);
        Assert.Equal("last known lag of eu-central-1 0 bytes / 0.0 s measured 3600.0 s ago: older than 300 s (rpoGuard.maxSampleAge, at most maxLag), so the data at risk is unknown (limit: lag + sample age ≤ 300 s)", v.Reason);
    }

    [Fact]
    public void The_default_sample_age_does_not_exceed_the_default_rpo()
    {
        var defaults = new RpoGuardPolicy();
        Assert.True(defaults.MaxSampleAge <= defaults.MaxLag, $"maxSampleAge {defaults.MaxSampleAge} > maxLag {defaults.MaxLag}");
        Assert.Equal(defaults.MaxSampleAge, defaults.SampleAgeLimit);
    }

    [Fact]
    public void A_max_sample_age_above_max_lag_counts_only_up_to_max_lag()
    {
        var policy = new RpoGuardPolicy { MaxLag = TimeSpan.FromSeconds(60), MaxSampleAge = TimeSpan.FromMinutes(10) };
        Assert.Equal(TimeSpan.FromSeconds(60), policy.SampleAgeLimit);
        Assert.Empty(policy.Validate()); // a file that tightens maxLag alone still loads
        var v = RpoGuardDecision.Evaluate(Sample(0, 0, ageSeconds: 90), Now, policy);
        Assert.False(v.Pass);
        Assert.Contains("measured 90.0 s ago: older than 60 s", v.Reason);
        // A tighter maxSampleAge is kept.
        var strict = Policy with { MaxSampleAge = TimeSpan.FromSeconds(30) };
        Assert.Contains("older than 30 s", RpoGuardDecision.Evaluate(Sample(0, 0, ageSeconds: 31), Now, strict).Reason);
    }

    [Fact]
    public void A_sample_dated_in_the_future_counts_as_taken_now()
    {
        var v = RpoGuardDecision.Evaluate(Sample(0, 0, ageSeconds: -30), Now, Policy);
        Assert.True(v.Pass, v.Reason);
        Assert.Contains("measured 0.0 s ago", v.Reason);
    }

    [Fact]
    public void A_negative_byte_count_is_refused()
    {
        var v = RpoGuardDecision.Evaluate(Sample(-1, 0), Now, Policy);
        Assert.False(v.Pass);
        Assert.Contains("negative byte count", v.Reason);
    }

    public static TheoryData<string, long?, double?, double, bool?> Refusals => new()
    {
        { "stale", 0, 0, 400, true },
        { "not streaming", 0, 0, 5, false },
        { "too many bytes", 2_000_000, 1, 5, true },
        { "seconds unknown", 4096, null, 5, true },
        { "seconds + age", 10, 299, 5, true },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Every_refusal_says_what_was_measured_how_long_ago_and_the_limit(string why, long? bytes, double? seconds, double age, bool? streaming)
    {
        var v = RpoGuardDecision.Evaluate(Sample(bytes, seconds, age, streaming), Now, Policy);
        Assert.False(v.Pass, why);
        Assert.StartsWith($"last known lag of eu-central-1 {(bytes is { } b ? $"{b} bytes" : "? bytes")} / ", v.Reason);
        Assert.Contains($"measured {age.ToString("0.0", CultureInfo.InvariantCulture)} s ago", v.Reason);
        Assert.Matches(@"(≤ 300 s|exceeds 300 s|exceeds 1000000 bytes|older than 300 s)", v.Reason);
    }

    [Fact]
    public void The_data_at_risk_is_the_lag_plus_the_age_or_unknown()
    {
        Assert.Equal(70, RpoGuardDecision.DataAtRiskSeconds(Sample(null, 10, ageSeconds: 60, streaming: null), Now));
        Assert.Equal(5, RpoGuardDecision.DataAtRiskSeconds(Sample(0, 4200), Now));
        Assert.Null(RpoGuardDecision.DataAtRiskSeconds(Sample(4096, null), Now));
        Assert.Null(RpoGuardDecision.DataAtRiskSeconds(Sample(0, 0, streaming: false), Now));
    }
}
