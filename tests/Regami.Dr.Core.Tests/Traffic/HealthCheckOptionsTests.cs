using Regami.Dr.Core.Traffic;

namespace Regami.Dr.Core.Tests.Traffic;

public class HealthCheckOptionsTests
{
    [Fact]
    public void Defaults_are_the_lab_values_and_valid()
    {
        var options = new HealthCheckOptions();

        Assert.Equal(TimeSpan.FromSeconds(1), options.RequestInterval);
        Assert.Equal(3, options.FailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Timeout);
        Assert.Equal("/health?check=db", options.Path);
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Worst_case_detection_is_threshold_intervals_plus_one_timeout()
    {
        Assert.Equal(TimeSpan.FromSeconds(4), new HealthCheckOptions().WorstCaseTimeToDetect);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Interval_must_be_positive(int ms)
    {
        var errors = new HealthCheckOptions { RequestInterval = TimeSpan.FromMilliseconds(ms), Timeout = TimeSpan.FromMilliseconds(1) }.Validate();

        Assert.Contains(errors, e => e.StartsWith("requestInterval must be greater than 0"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    [InlineData(-3)]
    public void Threshold_must_be_between_1_and_10(int threshold)
    {
        var errors = new HealthCheckOptions { FailureThreshold = threshold }.Validate();

        Assert.Equal($"failureThreshold must be between 1 and 10 (found {threshold})", Assert.Single(errors));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    public void Threshold_bounds_are_accepted(int threshold)
    {
        Assert.Empty(new HealthCheckOptions { FailureThreshold = threshold }.Validate());
    }

    [Fact]
    public void Timeout_must_be_positive()
    {
        var errors = new HealthCheckOptions { Timeout = TimeSpan.Zero }.Validate();

        Assert.Contains(errors, e => e.StartsWith("timeout must be greater than 0"));
    }

    [Fact]
    public void Timeout_may_not_exceed_the_interval()
    {
        var options = new HealthCheckOptions { RequestInterval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromMilliseconds(150) };

        var error = Assert.Single(options.Validate());
        Assert.Contains("must not exceed requestInterval", error);
        Assert.Empty((options with { Timeout = TimeSpan.FromMilliseconds(100) }).Validate());
    }

    [Fact]
    public void Path_must_be_absolute()
    {
        Assert.Contains(new HealthCheckOptions { Path = "health" }.Validate(), e => e.StartsWith("path must start with '/'"));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var errors = new HealthCheckOptions { RequestInterval = TimeSpan.Zero, FailureThreshold = 0, Timeout = TimeSpan.Zero, Path = "" }.Validate();

        Assert.Equal(4, errors.Count);
    }
}
