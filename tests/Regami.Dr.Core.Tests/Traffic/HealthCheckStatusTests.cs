using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Traffic;

namespace Regami.Dr.Core.Tests.Traffic;

public class HealthCheckStatusTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private HealthCheckStatus NewCheck(int threshold = 3) => new("api-eu-west-3", threshold, _time);

    /// <summary>One probe per second, as the lab's default interval.</summary>
    private bool Probe(HealthCheckStatus check, bool succeeded, string reason = "")
    {
        _time.Advance(TimeSpan.FromSeconds(1));
        return check.Record(succeeded, reason.Length > 0 ? reason : succeeded ? "HTTP 200 OK" : "HTTP 503 Service Unavailable");
    }

    [Fact]
    public void A_new_check_is_healthy_before_any_data()
    {
        var s = NewCheck().Current;

        Assert.True(s.IsHealthy);
        Assert.Equal(0, s.Observations);
        Assert.Equal(Start, s.CreatedAt);
        Assert.Null(s.LastCheckedAt);
        Assert.Null(s.LastReason);
        Assert.Null(s.LastChangeAt);
        Assert.Equal("healthy (no check completed yet; a new health check starts healthy)", s.Describe());
    }

    [Fact]
    public void Marked_healthy_counts_at_once_and_failures_count_again_from_zero()
    {
        var check = NewCheck(threshold: 3);
        for (var i = 0; i < 3; i++) Probe(check, false);
        Assert.False(check.Current.IsHealthy);
        _time.Advance(TimeSpan.FromMilliseconds(300));

        Assert.True(check.MarkHealthy("verified by run r-1"));
        var s = check.Current;
        Assert.True(s.IsHealthy);
        Assert.Equal(0, s.ConsecutiveFailures);
        Assert.Equal(Start + TimeSpan.FromSeconds(3.3), s.LastChangeAt);
        Assert.Equal("healthy (verified by run r-1)", s.Describe());
        Assert.False(check.MarkHealthy("again")); // already healthy: no change

        Assert.False(Probe(check, false));
        Assert.False(Probe(check, false));
        Assert.True(Probe(check, false)); // the threshold applies from the mark on
        Assert.False(check.Current.IsHealthy);
    }

    [Fact]
    public void Becomes_unhealthy_only_at_the_thresholdth_consecutive_failure()
    {
        var check = NewCheck(threshold: 3);

        Assert.False(Probe(check, false));
        Assert.False(Probe(check, false));
        Assert.True(check.Current.IsHealthy);
        Assert.Equal(2, check.Current.ConsecutiveFailures);
        Assert.Equal("healthy (2/3 failed checks; last: HTTP 503 Service Unavailable)", check.Current.Describe());

        Assert.True(Probe(check, false));

        var s = check.Current;
        Assert.False(s.IsHealthy);
        Assert.Equal(3, s.ConsecutiveFailures);
        Assert.Equal(Start.AddSeconds(3), s.LastChangeAt);
        Assert.Equal(Start.AddSeconds(3), s.LastCheckedAt);
        Assert.Equal("unhealthy (3/3 failed checks; last: HTTP 503 Service Unavailable)", s.Describe());
    }

    [Fact]
    public void One_success_resets_the_failure_count()
    {
        var check = NewCheck(threshold: 3);

        Probe(check, false);
        Probe(check, false);
        Probe(check, true);
        Probe(check, false);
        Probe(check, false);

        Assert.True(check.Current.IsHealthy);
        Assert.Equal(2, check.Current.ConsecutiveFailures);
        Assert.Null(check.Current.LastChangeAt);
    }

    [Fact]
    public void Recovers_only_after_threshold_consecutive_successes()
    {
        var check = NewCheck(threshold: 3);
        for (var i = 0; i < 3; i++) Probe(check, false);
        var wentDownAt = check.Current.LastChangeAt;

        Assert.False(Probe(check, true));
        Assert.False(Probe(check, true));
        Assert.False(check.Current.IsHealthy);
        Assert.Equal(0, check.Current.ConsecutiveFailures);
        Assert.Equal(2, check.Current.ConsecutiveSuccesses);
        Assert.Equal(wentDownAt, check.Current.LastChangeAt);
        Assert.Equal("unhealthy (recovering: 2/3 passed checks; last: HTTP 200 OK)", check.Current.Describe());

        Assert.True(Probe(check, true));

        Assert.True(check.Current.IsHealthy);
        Assert.Equal(Start.AddSeconds(6), check.Current.LastChangeAt);
    }

    [Fact]
    public void One_failure_resets_a_recovery()
    {
        var check = NewCheck(threshold: 2);
        Probe(check, false);
        Probe(check, false);

        Probe(check, true);
        Probe(check, false);
        Probe(check, true);

        Assert.False(check.Current.IsHealthy);
        Assert.Equal(1, check.Current.ConsecutiveSuccesses);
    }

    [Fact]
    public void Keeps_counting_failures_beyond_the_threshold()
    {
        var check = NewCheck(threshold: 2);
        for (var i = 0; i < 5; i++) Probe(check, false, "connection refused (127.0.0.2:8080)");

        Assert.Equal(5, check.Current.ConsecutiveFailures);
        Assert.Equal(Start.AddSeconds(2), check.Current.LastChangeAt);
        Assert.Equal("unhealthy (5 failed checks in a row, threshold 2; last: connection refused (127.0.0.2:8080))", check.Current.Describe());
    }

    [Fact]
    public void Threshold_one_flips_on_every_change()
    {
        var check = NewCheck(threshold: 1);

        Assert.True(Probe(check, false));
        Assert.False(Probe(check, false));
        Assert.True(Probe(check, true));
        Assert.True(check.Current.IsHealthy);
    }

    [Fact]
    public void Records_the_last_observation()
    {
        var check = NewCheck();

        Probe(check, true, "HTTP 200 OK in 3 ms");
        Probe(check, true, "HTTP 204 No Content in 2 ms");

        var s = check.Current;
        Assert.Equal(2, s.Observations);
        Assert.Equal(2, s.ConsecutiveSuccesses);
        Assert.Equal("HTTP 204 No Content in 2 ms", s.LastReason);
        Assert.Equal(Start.AddSeconds(2), s.LastCheckedAt);
        Assert.Equal("healthy (2 passed checks in a row; last: HTTP 204 No Content in 2 ms)", s.Describe());
    }

    [Fact]
    public void Snapshots_do_not_change_afterwards()
    {
        var check = NewCheck(threshold: 1);
        var before = check.Current;

        Probe(check, false);

        Assert.True(before.IsHealthy);
        Assert.False(check.Current.IsHealthy);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    public void Rejects_thresholds_route53_does_not_allow(int threshold)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HealthCheckStatus("x", threshold, _time));
    }
}
