namespace Regami.Dr.Core.Drills;

/// <summary>What the drill workload learnt about one write it sent through the public name.</summary>
public enum WriteOutcome
{
    /// <summary>HTTP 201 with the committed row: the service promised the write is durable.</summary>
    Acknowledged,

    /// <summary>
    /// A definite refusal: an HTTP answer other than 201 (e.g. 503 read-only), or no request sent at all
    /// (the name did not resolve, the connection was refused). Normally not committed; when the row shows up
    /// anyway (a 502/503 after COMMIT was sent) the set check counts it as recovered.
    /// </summary>
    Refused,

    /// <summary>Timeout or connection reset after the request left: it may or may not have been committed.</summary>
    Unknown,
}

/// <summary>One sequence-numbered write of the drill workload and its outcome.</summary>
/// <param name="Seq">The unique sequence number written (the <c>records.seq</c> of the row).</param>
/// <param name="SentAt">When the request was started (name resolution included).</param>
/// <param name="Outcome">Acknowledged, refused or unknown.</param>
/// <param name="AnsweredAt">When the answer (or the error, or the timeout) arrived.</param>
/// <param name="StatusCode">HTTP status of the answer; null when there was none.</param>
/// <param name="Region">Region that committed the write (from the 201 body).</param>
/// <param name="CommittedAt">PostgreSQL's commit timestamp of the row (from the 201 body).</param>
/// <param name="Address">The address the public name resolved to for this write.</param>
/// <param name="Error">Why the write was not acknowledged, in one line; null when it was.</param>
public sealed record WriteAttempt(
    long Seq,
    DateTimeOffset SentAt,
    WriteOutcome Outcome,
    DateTimeOffset? AnsweredAt,
    int? StatusCode,
    string? Region,
    DateTimeOffset? CommittedAt,
    string? Address,
    string? Error = null)
{
    public bool IsAcknowledged => Outcome == WriteOutcome.Acknowledged;
}
