namespace Regami.Dr.Server.Notifications;

/// <summary>
/// How the <see cref="NotificationDispatcher"/>'s delivery queue behaves: the bound of each
/// channel's queue, the retries with exponential backoff, and how long a shutdown may spend
/// draining. Not part of regami-dr.yaml: these are engineering limits, not the plan's numbers
/// (the per-attempt limit is <see cref="NotificationOptions.DeliveryTimeout"/>, which is).
/// </summary>
public sealed record NotificationQueueOptions
{
    /// <summary>
    /// Deliveries one channel may hold waiting (default 256). A healthy channel empties its queue
    /// in milliseconds; a queue fills only behind a channel that hangs or keeps failing, whose
    /// worst case is (1 + <see cref="MaxRetries"/>) × DeliveryTimeout + backoff ≈ 2 min 14 s per
    /// delivery: 256 is hours of alerts, and a few hundred small records of memory.
    /// </summary>
    public int Capacity { get; init; } = 256;

    /// <summary>Retries after a failed attempt (default 3: four attempts in all). A permanent refusal (HTTP 4xx, SMTP 5yz) is not retried.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The first retry's delay; each next one doubles it (default 2 s: 2 s, 4 s, 8 s). No jitter: one controller sends.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a stop waits for the queues to empty before it abandons what is left (default
    /// 1.5 s). It fits in the 2 s the command line gives a process between SIGTERM/Ctrl+C and its
    /// forced exit (System.CommandLine's ProcessTerminationTimeout): a longer drain would be cut
    /// short without its summary line.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(1.5);

    public static NotificationQueueOptions Default { get; } = new();

    /// <summary>Every problem, one sentence each, naming the field; empty when the options are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Capacity < 1) errors.Add($"capacity must be at least 1 (found {Capacity})");
        if (MaxRetries is < 0 or > 10) errors.Add($"maxRetries must be between 0 and 10 (found {MaxRetries})");
        if (RetryDelay < TimeSpan.Zero || RetryDelay > TimeSpan.FromMinutes(5)) errors.Add($"retryDelay must be between 0 and 5m (found {RetryDelay})");
        if (DrainTimeout < TimeSpan.Zero) errors.Add($"drainTimeout must not be negative (found {DrainTimeout})");
        return errors;
    }
}
