namespace Regami.Dr.Core.Notifications;

/// <summary>The kinds of channel a notification can travel on.</summary>
public enum ChannelKind
{
    /// <summary>The controller's console (standard output): a record, not a page.</summary>
    Console,

    /// <summary>An append-only JSON-lines file: the notification record.</summary>
    File,

    /// <summary>A Slack-compatible incoming webhook (one per chat room).</summary>
    Chat,

    /// <summary>E-mail over SMTP, one message per contact.</summary>
    Email,

    /// <summary>An SNS topic (pager, SMS and whatever else subscribes to it).</summary>
    Sns,
}
