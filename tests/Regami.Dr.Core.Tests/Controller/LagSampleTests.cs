using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Ports;

namespace Regami.Dr.Core.Tests.Controller;

public sealed class LagSampleTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero));

    private static DatabaseObservation Primary(long? lagBytes, double? lagSeconds, bool reachable = true, bool inRecovery = false) =>
        new("eu-west-3", reachable, reachable, inRecovery, reachable && !inRecovery, "0/3000000", lagBytes, lagSeconds, lagBytes is null ? null : true,
            reachable ? null : "connection refused");

    [Fact]
    public void An_idle_primary_whose_standby_has_replayed_everything_reports_zero_seconds_whatever_the_replay_timestamps_say()
    {
        var sample = LagSample.FromPrimary(Primary(lagBytes: 0, lagSeconds: 4200), "eu-central-1", _time.GetUtcNow());

        Assert.Equal(new LagSample(_time.GetUtcNow(), "eu-west-3", "eu-central-1", 0, 0), sample);
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
        Assert.Null(LagSample.FromPrimary(Primary(lagBytes: null, lagSeconds: null), "eu-central-1", _time.GetUtcNow()));
    }
}
