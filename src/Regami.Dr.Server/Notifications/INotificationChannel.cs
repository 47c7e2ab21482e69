using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Server.Notifications;

/// <summary>
/// Somewhere a <see cref="Delivery"/> can be sent. Implementations do one thing — send — and throw
/// when it did not happen (preferably a <see cref="NotificationDeliveryException"/> carrying the
/// remote side's own words); counting, logging and isolation belong to the
/// <see cref="NotificationDispatcher"/>. Messages and exceptions must never contain secrets
/// (webhook URLs, passwords).
/// </summary>
public interface INotificationChannel
{
    ChannelKind Kind { get; }

    /// <summary>
    /// A name for logs and metrics. For chat channels it is the webhook name that contacts refer to
    /// (<see cref="Contact.ChatWebhookName"/>) and that the dispatcher routes by.
    /// </summary>
    string Name => Kind.ToString().ToLowerInvariant();

    Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken);
}
