using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Server.Notifications;

/// <summary>
/// A channel could not deliver. The message names the channel and carries the remote side's own
/// answer (HTTP status and body excerpt, SMTP reply) but never a secret: webhook URLs appear as
/// scheme and host only.
/// </summary>
public sealed class NotificationDeliveryException : Exception
{
    public NotificationDeliveryException(ChannelKind channel, string channelName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Channel = channel;
        ChannelName = channelName;
    }

    public ChannelKind Channel { get; }

    public string ChannelName { get; }

    /// <summary>The HTTP status code (chat) or SMTP reply code (e-mail) the remote side answered, if any.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The start of the remote side's response body, if any.</summary>
    public string? ResponseExcerpt { get; init; }
}
