using System.Text.Json;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Notifications;
using Regami.Dr.Server.Notifications;

namespace Regami.Dr.Core.Tests.Notifications;

public class ChannelTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "regami-dr-notify-" + Guid.NewGuid().ToString("N"));

    private static Delivery Sample(ChannelKind channel = ChannelKind.File, string text = "Health check failed 3/3 times.\nFailing over to eu-central-1.") =>
        new("alarm:primary-unhealthy-eu-west-3", channel, null, "[SEV1] Primary region eu-west-3 unhealthy", text, IsRepeat: false, IsResolution: false)
        {
            Severity = Severity.Sev1,
            At = At,
        };

    [Fact]
    public async Task The_file_channel_creates_its_directory_and_appends_one_json_object_per_line()
    {
        var path = Path.Combine(_dir, "nested", "notifications.jsonl");
        var channel = new JsonLinesFileChannel(path);

        await channel.DeliverAsync(Sample(), CancellationToken.None);
        await channel.DeliverAsync(Sample() with { IsResolution = true, Subject = "[RESOLVED] Primary region eu-west-3 unhealthy" }, CancellationToken.None);

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        var root = first.RootElement;
        Assert.Equal("2026-11-24T09:00:00+00:00", root.GetProperty("at").GetString());
        Assert.Equal(AlertId.For("alarm:primary-unhealthy-eu-west-3"), root.GetProperty("alertId").GetString());
        Assert.Equal("alarm:primary-unhealthy-eu-west-3", root.GetProperty("alertKey").GetString());
        Assert.Equal(1, root.GetProperty("severity").GetInt32());
        Assert.Equal("raised", root.GetProperty("event").GetString());
        Assert.Equal("file", root.GetProperty("channel").GetString());
        Assert.Equal("Health check failed 3/3 times.\nFailing over to eu-central-1.", root.GetProperty("text").GetString());
        using var second = JsonDocument.Parse(lines[1]);
        Assert.Equal("resolved", second.RootElement.GetProperty("event").GetString());
    }

    [Fact]
    public async Task Concurrent_file_deliveries_from_two_channels_on_one_file_never_interleave()
    {
        var path = Path.Combine(_dir, "notifications.jsonl");
        var a = new JsonLinesFileChannel(path);
        var b = new JsonLinesFileChannel(path);
        var bigText = new string('x', 20_000);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            (i % 2 == 0 ? a : b).DeliverAsync(Sample(text: $"{i}:{bigText}"), CancellationToken.None)));

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(40, lines.Length);
        var numbers = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!.Split(':')[0]).Select(int.Parse);
        Assert.Equal(Enumerable.Range(0, 40), numbers.Order());
    }

    [Fact]
    public async Task The_console_channel_writes_the_subject_then_the_text_indented()
    {
        var writer = new StringWriter { NewLine = "\n" };
        var channel = new ConsoleChannel(writer);

        await channel.DeliverAsync(Sample(ChannelKind.Console), CancellationToken.None);

        Assert.Equal(
            "2026-11-24 09:00:00Z [SEV1] Primary region eu-west-3 unhealthy" + Environment.NewLine +
            "    Health check failed 3/3 times." + Environment.NewLine +
            "    Failing over to eu-central-1.\n",
            writer.ToString());
    }

    [Fact]
    public async Task The_sns_channel_publishes_to_its_topic_with_a_one_line_subject_of_at_most_100_characters()
    {
        var publisher = new RecordingSnsPublisher();
        var channel = new SnsChannel(publisher, "arn:aws:sns:eu-west-3:123456789012:regami-dr-alerts");
        var longTitle = "[SEV1] " + new string('a', 150) + "\nsecond line";

        await channel.DeliverAsync(Sample(ChannelKind.Sns) with { Subject = longTitle }, CancellationToken.None);

        var (topic, subject, message) = Assert.Single(publisher.Published);
        Assert.Equal("arn:aws:sns:eu-west-3:123456789012:regami-dr-alerts", topic);
        Assert.Equal(100, subject.Length);
        Assert.DoesNotContain('\n', subject);
        Assert.EndsWith("Failing over to eu-central-1.", message);
    }

    [Fact]
    public void The_sns_channel_refuses_something_that_is_not_a_topic_arn()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SnsChannel(new RecordingSnsPublisher(), "arn:aws:sqs:eu-west-3:123456789012:q"));
        Assert.Contains("is not an SNS topic ARN", ex.Message);
    }

    [Fact]
    public void Slack_text_is_bold_subject_then_text_with_control_characters_escaped()
    {
        var text = SlackWebhookChannel.TextFor(Sample(ChannelKind.Chat, text: "lag <300 s & rising> <!channel>"));

        Assert.Equal("*[SEV1] Primary region eu-west-3 unhealthy*\nlag &lt;300 s &amp; rising&gt; &lt;!channel&gt;", text);
    }

    [Fact]
    public void Channels_describe_themselves_without_their_secrets()
    {
        using var http = new HttpClient();
        var chat = new SlackWebhookChannel(http, new Uri("https://hooks.slack.com/services/T1/B2/very-secret"), "ops");
        var mail = new SmtpEmailChannel(new SmtpOptions
        {
            Host = "smtp.regami.com", From = "dr@regami.com", Username = "dr", Password = "hunter2-password",
        });

        Assert.Equal("SlackWebhookChannel { Name = ops, Webhook = https://hooks.slack.com/*** }", chat.ToString());
        Assert.DoesNotContain("hunter2-password", mail.ToString());
        Assert.Contains("Password = ***", mail.ToString());
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }
}
