namespace Regami.Dr.Core.Notifications;

/// <summary>
/// Port: publishes one message to an SNS topic. The AWS provider implements it; Core and the
/// controller only see this interface.
/// </summary>
public interface ISnsPublisher
{
    /// <summary>Publishes <paramref name="message"/> with <paramref name="subject"/> (≤ 100 characters, one line) and
    /// returns the message id SNS assigned. Throws with the provider's own error code on failure.</summary>
    Task<string> PublishAsync(string topicArn, string subject, string message, CancellationToken cancellationToken);
}
