using Regami.Dr.Aws.Cli;
using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Aws.Ports;

/// <summary>The SNS channel's port: <c>sns publish</c> to a topic; returns the message id SNS assigned.</summary>
public sealed class SnsPublisher(IAwsApi api) : ISnsPublisher
{
    public async Task<string> PublishAsync(string topicArn, string subject, string message, CancellationToken cancellationToken)
    {
        var response = await api.CallAsync(AwsCommands.Publish(topicArn, subject, message), cancellationToken);
        return response.Body?["MessageId"]?.GetValue<string>() ?? throw new InvalidOperationException($"sns publish to {topicArn} returned no MessageId");
    }
}
