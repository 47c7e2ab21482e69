using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Runbooks;

namespace Regami.Dr.Core.Tests.Runbooks;

public sealed class RpoGuardDecisionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly RpoGuardPolicy Policy = new() { MaxLag = TimeSpan.FromSeconds(300), MaxLagBytes = 1_000_000 };

    private static LagSample Sample(long? bytes, double? seconds, double ageSeconds = 5) =>
        new(Now.AddSeconds(-ageSeconds), "eu-west-3", "eu-central-1", bytes, seconds);

    [Fact]
    public void A_caught_up_standby_passes_even_if_seconds_were_never_measured() =>
        Assert.True(RpoGuardDecision.Evaluate(Sample(0, null), Now, Policy).Pass);

    [Fact]
    public void Lag_within_both_bounds_passes_and_says_the_figures()
    {
        var v = RpoGuardDecision.Evaluate(Sample(4096, 0.4), Now, Policy);
        Assert.True(v.Pass);
        Assert.Contains("4096 bytes", v.Reason);
        Assert.Contains("0.4 s", v.Reason);
    }

    [Fact]
    public void Lag_over_the_seconds_bound_is_refused() =>
        Assert.False(RpoGuardDecision.Evaluate(Sample(10, 301), Now, Policy).Pass);

    [Fact]
    public void Lag_over_the_bytes_bound_is_refused_even_when_seconds_look_small() =>
        Assert.False(RpoGuardDecision.Evaluate(Sample(2_000_000, 1), Now, Policy).Pass);

    [Fact]
    public void No_measurement_at_all_is_refused_as_unknown()
    {
        var v = RpoGuardDecision.Evaluate(null, Now, Policy);
        Assert.False(v.Pass);
        Assert.Contains("unknown", v.Reason);
    }

    [Fact]
    public void A_stale_measurement_is_refused_as_unknown()
    {
        var v = RpoGuardDecision.Evaluate(Sample(0, 0, ageSeconds: 3600), Now, Policy);
        Assert.False(v.Pass);
        Assert.Contains("old", v.Reason);
    }
}
