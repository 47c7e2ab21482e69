namespace Regami.Dr.Core.Traffic;

/// <summary>
/// The status of one endpoint health check, driven by consecutive probe results the way Route 53
/// drives it: the status changes only after <c>FailureThreshold</c> consecutive observations of the
/// other kind, in both directions (healthy → unhealthy after N failures in a row, unhealthy →
/// healthy after N successes in a row). One result of the other kind resets the count.
/// </summary>
/// <remarks>
/// <para>
/// A new check starts <b>healthy</b>. The Route 53 Developer Guide ("How Amazon Route 53 determines
/// whether a health check is healthy") says Route 53 considers a new health check healthy until
/// there is enough data to determine its actual status; the API reference for
/// <c>InsufficientDataHealthStatus</c> likewise says a new health check with no last known status
/// is healthy. Starting healthy also means a freshly started DNS server answers the primary at
/// once instead of failing over during its first seconds.
/// </para>
/// <para>Thread-safe: one prober records results while DNS queries read <see cref="Current"/>.</para>
/// </remarks>
public sealed class HealthCheckStatus
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    private HealthCheckSnapshot _current;

    public HealthCheckStatus(string id, int failureThreshold, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentOutOfRangeException.ThrowIfLessThan(failureThreshold, HealthCheckOptions.MinFailureThreshold);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(failureThreshold, HealthCheckOptions.MaxFailureThreshold);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _current = new HealthCheckSnapshot(
            Id: id,
            IsHealthy: true,
            FailureThreshold: failureThreshold,
            ConsecutiveFailures: 0,
            ConsecutiveSuccesses: 0,
            Observations: 0,
            CreatedAt: timeProvider.GetUtcNow(),
            LastCheckedAt: null,
            LastReason: null,
            LastChangeAt: null);
    }

    public string Id => _current.Id;

    /// <summary>An immutable copy of the status as of the last recorded observation.</summary>
    public HealthCheckSnapshot Current
    {
        get { lock (_gate) return _current; }
    }

    /// <summary>Records a passed probe. Returns true when this observation changed the status.</summary>
    public bool RecordSuccess(string reason) => Record(succeeded: true, reason);

    /// <summary>Records a failed probe. Returns true when this observation changed the status.</summary>
    public bool RecordFailure(string reason) => Record(succeeded: false, reason);

    /// <summary>
    /// Makes the check healthy now, with both counts reset, as if it had just been created (Route 53
    /// starts a new check healthy): used when a runbook has just verified the endpoint itself, so the
    /// answer need not wait for <c>FailureThreshold</c> fresh passes. Failures after this count from 0.
    /// Returns true when the status changed.
    /// </summary>
    public bool MarkHealthy(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            var s = _current;
            _current = s with
            {
                IsHealthy = true,
                ConsecutiveFailures = 0,
                ConsecutiveSuccesses = 0,
                LastReason = reason,
                LastChangeAt = s.IsHealthy ? s.LastChangeAt : now,
            };
            return !s.IsHealthy;
        }
    }

    /// <summary>Records one probe result at the provider's current time. Returns true when the status changed.</summary>
    public bool Record(bool succeeded, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            var s = _current;
            var failures = succeeded ? 0 : s.ConsecutiveFailures + 1;
            var successes = succeeded ? s.ConsecutiveSuccesses + 1 : 0;
            var healthy = s.IsHealthy switch
            {
                true when failures >= s.FailureThreshold => false,
                false when successes >= s.FailureThreshold => true,
                var unchanged => unchanged,
            };
            var changed = healthy != s.IsHealthy;
            _current = s with
            {
                IsHealthy = healthy,
                ConsecutiveFailures = failures,
                ConsecutiveSuccesses = successes,
                Observations = s.Observations + 1,
                LastCheckedAt = now,
                LastReason = reason,
                LastChangeAt = changed ? now : s.LastChangeAt,
            };
            return changed;
        }
    }
}

/// <summary>One health check's status at a moment.</summary>
/// <param name="Id">The health check's id (what a failover record refers to).</param>
/// <param name="IsHealthy">The status Route 53 would use for routing.</param>
/// <param name="FailureThreshold">Consecutive results needed to change the status.</param>
/// <param name="ConsecutiveFailures">Failed probes in a row up to now (0 after a success).</param>
/// <param name="ConsecutiveSuccesses">Passed probes in a row up to now (0 after a failure).</param>
/// <param name="Observations">Probe results recorded since the check was created.</param>
/// <param name="CreatedAt">When the check was created (it has been healthy since, unless changed).</param>
/// <param name="LastCheckedAt">When the last probe result was recorded; null before the first.</param>
/// <param name="LastReason">What the last probe saw ("HTTP 503 ServiceUnavailable", "timed out after 1000 ms").</param>
/// <param name="LastChangeAt">When the status last changed; null if it never changed since creation.</param>
public sealed record HealthCheckSnapshot(
    string Id,
    bool IsHealthy,
    int FailureThreshold,
    int ConsecutiveFailures,
    int ConsecutiveSuccesses,
    long Observations,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastCheckedAt,
    string? LastReason,
    DateTimeOffset? LastChangeAt)
{
    /// <summary>
    /// The status with the counts that explain it, e.g. "unhealthy (3/3 failed checks; last: HTTP 503)"
    /// or "healthy (1/3 failed checks; last: connection refused)".
    /// </summary>
    public string Describe()
    {
        if (Observations == 0)
            return "healthy (no check completed yet; a new health check starts healthy)";
        var last = LastReason is { Length: > 0 } r ? $"; last: {r}" : "";
        if (IsHealthy && ConsecutiveFailures == 0 && ConsecutiveSuccesses == 0)
            return $"healthy ({LastReason})"; // just marked healthy (MarkHealthy), no probe since
        if (IsHealthy)
            return ConsecutiveFailures > 0
                ? $"healthy ({ConsecutiveFailures}/{FailureThreshold} failed checks{last})"
                : $"healthy ({Plural(ConsecutiveSuccesses, "passed check")} in a row{last})";
        if (ConsecutiveSuccesses > 0)
            return $"unhealthy (recovering: {ConsecutiveSuccesses}/{FailureThreshold} passed checks{last})";
        return ConsecutiveFailures == FailureThreshold
            ? $"unhealthy ({ConsecutiveFailures}/{FailureThreshold} failed checks{last})"
            : $"unhealthy ({ConsecutiveFailures} failed checks in a row, threshold {FailureThreshold}{last})";
    }

    private static string Plural(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
