using Regami.Dr.Core.Alerting;

namespace Regami.Dr.Core.Notifications;

/// <summary>
/// Something a person may need to hear about. Alerts with the same <see cref="Key"/> are the same
/// condition: while it is open, raising it again is a repeat and is not re-sent.
/// </summary>
/// <param name="Key">The deduplication key, e.g. <c>alarm:primary-unhealthy-eu-west-3</c> or <c>failover:&lt;runId&gt;</c>.</param>
/// <param name="Severity">How loudly to escalate.</param>
/// <param name="Title">One line, used as the subject.</param>
/// <param name="Body">The situation in sentences: what was observed and what was decided.</param>
/// <param name="At">When the condition was observed.</param>
/// <param name="Resolved">True when this reports that the condition has cleared (same as <see cref="Escalator.Resolve"/>).</param>
public sealed record Alert(string Key, Severity Severity, string Title, string Body, DateTimeOffset At, bool Resolved = false)
{
    /// <summary>The short stable id people type to acknowledge this alert (see <see cref="AlertId"/>).</summary>
    public string Id => AlertId.For(Key);
}
