using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Server.Notifications;

/// <summary>Publishes each delivery to an SNS topic through the <see cref="ISnsPublisher"/> port (implemented by the AWS provider).</summary>
public sealed class SnsChannel : INotificationChannel
{
    /// <summary>SNS rejects subjects longer than 100 characters.</summary>
    public const int MaxSubjectLength = 100;

    private readonly ISnsPublisher _publisher;
    private readonly IReadOnlyDictionary<Regami.Dr.Core.Alerting.Severity, string> _bySeverity;

    /// <param name="topicArn">The topic for every severity without one of its own (null: only <paramref name="bySeverity"/>'s).</param>
    /// <param name="bySeverity">A topic per severity (the AWS provider's <c>aws.sns</c>: sev1, sev2, sev3).</param>
    public SnsChannel(ISnsPublisher publisher, string? topicArn, IReadOnlyDictionary<Regami.Dr.Core.Alerting.Severity, string>? bySeverity = null)
    {
        _publisher = publisher ?? throw new ArgumentNullException(nameof(publisher));
        _bySeverity = bySeverity ?? new Dictionary<Regami.Dr.Core.Alerting.Severity, string>();
        foreach (var arn in _bySeverity.Values.Append(topicArn).OfType<string>())
            if (!IsTopicArn(arn))
                throw new ArgumentException($"'{arn}' is not an SNS topic ARN (expected arn:aws:sns:REGION:ACCOUNT:NAME)", nameof(topicArn));
        if (topicArn is null && _bySeverity.Count == 0) throw new ArgumentException("no SNS topic given", nameof(topicArn));
        TopicArn = topicArn;
    }

    public string? TopicArn { get; }

    /// <summary>The topic a delivery of <paramref name="severity"/> goes to; null when none is configured for it.</summary>
    public string? TopicFor(Regami.Dr.Core.Alerting.Severity severity) => _bySeverity.GetValueOrDefault(severity) ?? TopicArn;

    public ChannelKind Kind => ChannelKind.Sns;

    public string Name => "sns";

    public Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        // A severity without a topic is not published on SNS (the other channels still carry it).
        if (TopicFor(delivery.Severity) is not { } topic) return Task.CompletedTask;
        return _publisher.PublishAsync(topic, SubjectFor(delivery.Subject), $"{delivery.Subject}\n\n{delivery.Text}", cancellationToken);
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
