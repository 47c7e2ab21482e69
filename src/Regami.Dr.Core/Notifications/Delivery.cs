using Regami.Dr.Core.Alerting;

namespace Regami.Dr.Core.Notifications;

/// <summary>
/// One message to send on one channel: a decision of the <see cref="Escalator"/>, carried out by
/// whatever owns the channels. Deliveries are data; nothing is sent by creating one.
/// </summary>
/// <param name="AlertKey">The alert's deduplication key.</param>
/// <param name="Channel">The channel kind to deliver on.</param>
/// <param name="Contact">The contact this delivery is for (per-contact e-mail), or <c>null</c> for a broadcast channel.</param>
/// <param name="Subject">One line: severity tag and title.</param>
/// <param name="Text">The full message.</param>
/// <param name="IsRepeat">A re-send of an unacknowledged alert.</param>
/// <param name="IsResolution">The "resolved" message for an alert that cleared.</param>
public sealed record Delivery(string AlertKey, ChannelKind Channel, string? Contact, string Subject, string Text, bool IsRepeat, bool IsResolution)
{
    /// <summary>The alert's short id (<see cref="Notifications.AlertId"/>).</summary>
    public string AlertId { get; init; } = Notifications.AlertId.For(AlertKey);

    /// <summary>The alert's severity when this delivery was decided.</summary>
    public Severity Severity { get; init; } = Severity.Sev3;

    /// <summary>
    /// Where on the channel: the e-mail address for <see cref="ChannelKind.Email"/>, the webhook name
    /// for <see cref="ChannelKind.Chat"/>; <c>null</c> means the channel's default target (all chat
    /// webhooks, the e-mail channel's default recipients) and is always <c>null</c> for console, file and SNS.
    /// </summary>
    public string? Address { get; init; }

    /// <summary>When the escalator decided this delivery (the alert's time, the tick, the resolution).</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>True when this delivery re-notifies because the alert's severity went up.</summary>
    public bool IsEscalation { get; init; }
}
