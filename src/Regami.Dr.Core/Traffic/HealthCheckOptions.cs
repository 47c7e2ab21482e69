namespace Regami.Dr.Core.Traffic;

/// <summary>
/// How an endpoint health check probes, Route 53 style: one request every
/// <see cref="RequestInterval"/>, each allowed <see cref="Timeout"/>, and the status flips only
/// after <see cref="FailureThreshold"/> consecutive results of the other kind.
/// </summary>
/// <remarks>
/// Route 53 offers intervals of 10 s or 30 s and thresholds 1..10; the lab defaults to 1 s so a
/// drill detects an outage in about <c>RequestInterval × FailureThreshold</c> = 3 s. The plan's
/// production values (3 × 60 s alarm) belong to the AWS provider's configuration.
/// </remarks>
public sealed record HealthCheckOptions
{
    /// <summary>Route 53 accepts failure thresholds from 1 to 10.</summary>
    public const int MinFailureThreshold = 1;

    /// <summary>Route 53 accepts failure thresholds from 1 to 10.</summary>
    public const int MaxFailureThreshold = 10;

    /// <summary>Time between two probes of the same endpoint (lab default 1 s).</summary>
    public TimeSpan RequestInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive failures that make a healthy endpoint unhealthy, and consecutive successes
    /// that make an unhealthy one healthy again (default 3).</summary>
    public int FailureThreshold { get; init; } = 3;

    /// <summary>How long one probe may take, connection and response together (default 1 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Path and query the probe requests; 2xx and 3xx count as healthy, as in Route 53.</summary>
    public string Path { get; init; } = "/health?check=db";

    /// <summary>
    /// The longest time from an endpoint breaking to its status flipping (the detection part of RTO):
    /// the fault lands just after a successful probe, then <see cref="FailureThreshold"/> probes fail,
    /// the last one by running into its <see cref="Timeout"/>.
    /// </summary>
    public TimeSpan WorstCaseTimeToDetect => RequestInterval * FailureThreshold + Timeout;

    /// <summary>Every problem with these options, one sentence each; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (RequestInterval <= TimeSpan.Zero)
            errors.Add($"requestInterval must be greater than 0 (found {RequestInterval.TotalSeconds} s)");
        if (FailureThreshold is < MinFailureThreshold or > MaxFailureThreshold)
            errors.Add($"failureThreshold must be between {MinFailureThreshold} and {MaxFailureThreshold} (found {FailureThreshold})");
        if (Timeout <= TimeSpan.Zero)
            errors.Add($"timeout must be greater than 0 (found {Timeout.TotalSeconds} s)");
        // A probe that may outlive the interval would overlap the next one, and the consecutive
        // count would no longer be a count of intervals.
        else if (RequestInterval > TimeSpan.Zero && Timeout > RequestInterval)
            errors.Add($"timeout ({Timeout.TotalSeconds} s) must not exceed requestInterval ({RequestInterval.TotalSeconds} s): a probe must finish before the next one starts");
        if (string.IsNullOrWhiteSpace(Path) || !Path.StartsWith('/'))
            errors.Add($"path must start with '/' (found '{Path}')");
        return errors;
    }
}
