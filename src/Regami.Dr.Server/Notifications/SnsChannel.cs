using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Server.Notifications;

/// <summary>Publishes each delivery to an SNS topic through the <see cref="ISnsPublisher"/> port (implemented by the AWS provider).</summary>
public sealed class SnsChannel : INotificationChannel
{
    /// <summary>SNS rejects subjects longer than 100 characters.</summary>
    public const int MaxSubjectLength = 100;

    private readonly ISnsPublisher _publisher;

    public SnsChannel(ISnsPublisher publisher, string topicArn)
    {
        _publisher = publisher ?? throw new ArgumentNullException(nameof(publisher));
        if (!IsTopicArn(topicArn))
            throw new ArgumentException($"'{topicArn}' is not an SNS topic ARN (expected arn:aws:sns:REGION:ACCOUNT:NAME)", nameof(topicArn));
        TopicArn = topicArn;
    }

    public string TopicArn { get; }

    public ChannelKind Kind => ChannelKind.Sns;

    public string Name => "sns";

    public Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return _publisher.PublishAsync(TopicArn, SubjectFor(delivery.Subject), $"{delivery.Subject}\n\n{delivery.Text}", cancellationToken);
    }

    /// <summary>An SNS subject: one line, at most 100 characters.</summary>
    public static string SubjectFor(string subject)
    {
        var oneLine = string.Join(' ', subject.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return oneLine.Length <= MaxSubjectLength ? oneLine : oneLine[..(MaxSubjectLength - 1)] + "…";
    }

    internal static bool IsTopicArn(string? arn)
    {
        if (string.IsNullOrWhiteSpace(arn)) return false;
        var parts = arn.Split(':');
        return parts.Length == 6 && parts[0] == "arn" && parts[1].StartsWith("aws", StringComparison.Ordinal)
            && parts[2] == "sns" && parts[3].Length > 0 && parts[4].Length == 12 && parts[4].All(char.IsAsciiDigit)
            && parts[5].Length is > 0 and <= 256;
    }
}
