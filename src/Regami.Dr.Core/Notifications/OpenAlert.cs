using Regami.Dr.Core.Alerting;

namespace Regami.Dr.Core.Notifications;

/// <summary>An alert that has been raised and not yet resolved, as the escalator sees it.</summary>
/// <param name="Id">Short stable id for <c>regami-dr alerts ack ID</c> (<see cref="AlertId"/>).</param>
/// <param name="Key">The deduplication key.</param>
/// <param name="Severity">The highest severity raised for this key while open.</param>
/// <param name="Title">The title of the latest notified raise.</param>
/// <param name="Body">The body of the latest notified raise.</param>
/// <param name="RaisedAt">When the key was first raised.</param>
/// <param name="LastNotifiedAt">When people were last told (first raise, escalation or repeat).</param>
/// <param name="Repeats">How many repeats were sent since the last first raise or escalation.</param>
/// <param name="AcknowledgedBy">Who acknowledged, if anyone.</param>
/// <param name="AcknowledgedAt">When it was acknowledged.</param>
/// <param name="NextRepeatAt">When the next repeat is due, or <c>null</c> if it will not repeat (acknowledged, or its route does not repeat).</param>
public sealed record OpenAlert(
    string Id,
    string Key,
    Severity Severity,
    string Title,
    string Body,
    DateTimeOffset RaisedAt,
    DateTimeOffset LastNotifiedAt,
    int Repeats,
    string? AcknowledgedBy,
    DateTimeOffset? AcknowledgedAt,
    DateTimeOffset? NextRepeatAt)
{
    public bool IsAcknowledged => AcknowledgedBy is not null;
}
