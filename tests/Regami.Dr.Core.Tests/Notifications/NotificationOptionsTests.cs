using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Notifications;
using Regami.Dr.Server.Notifications;

namespace Regami.Dr.Core.Tests.Notifications;

public class NotificationOptionsTests
{
    private const string SecretWebhook = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX";

    private static NotificationOptions Valid() => new()
    {
        FilePath = "/var/lib/regami-dr/notifications.jsonl",
        ChatWebhooks = new Dictionary<string, string> { ["ops"] = SecretWebhook },
        Smtp = new SmtpOptions { Host = "smtp.regami.com", Port = 587, From = "Regami DR <dr@regami.com>", Username = "dr", Password = "s3cr3t-pa55" },
        SnsTopicArn = "arn:aws:sns:eu-west-3:123456789012:regami-dr-alerts",
        Contacts = [new("alice", "alice@regami.com", "ops"), new("bob", "bob@regami.com", null)],
    };

    [Fact]
    public void Defaults_and_a_full_configuration_are_valid()
    {
        Assert.Empty(new NotificationOptions().Validate());
        Assert.Empty(NotificationOptions.Lab.Validate());
        Assert.Empty(Valid().Validate());
        Assert.Equal(TimeSpan.FromMinutes(5), new NotificationOptions().ToPolicy().RepeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), NotificationOptions.Lab.ToPolicy().RepeatInterval);
    }

    [Fact]
    public void Validate_names_the_field_of_every_problem()
    {
        var options = Valid() with
        {
            FilePath = " ",
            ChatWebhooks = new Dictionary<string, string> { ["ops"] = "hooks.slack.com/services/no-scheme-secret" },
            Smtp = new SmtpOptions { Host = "", Port = 0, From = "nobody", UseTls = SmtpTlsMode.None, Username = "dr", Password = "pw" },
            SnsTopicArn = "topic",
            Contacts = [new("alice", "alice@regami.com", "pager")],
            RepeatInterval = TimeSpan.Zero,
        };

        var errors = options.Validate();

        Assert.Contains("filePath must not be blank (leave it out for no file)", errors);
        Assert.Contains("chatWebhooks.ops must be an absolute http(s) URL", errors);
        Assert.Contains("smtp.host must not be empty", errors);
        Assert.Contains("smtp.port must be between 1 and 65535 (found 0)", errors);
        Assert.Contains("smtp.from 'nobody' is not an e-mail address", errors);
        Assert.Contains(errors, e => e.StartsWith("smtp.useTls is None but a password is set", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("snsTopicArn 'topic' is not an SNS topic ARN", StringComparison.Ordinal));
        Assert.Contains("repeatInterval must be greater than 0 (found 0 s)", errors);
        Assert.Contains("contacts[0].chatWebhookName 'pager' names no entry of chatWebhooks", errors);
        Assert.DoesNotContain(errors, e => e.Contains("no-scheme-secret", StringComparison.Ordinal));
    }

    [Fact]
    public void ToString_masks_the_webhook_url_and_the_smtp_password()
    {
        var text = Valid().ToString();

        Assert.DoesNotContain("XXXXsecretXXXX", text);
        Assert.DoesNotContain("/services/", text);
        Assert.DoesNotContain("s3cr3t-pa55", text);
        Assert.Contains("ops = https://hooks.slack.com/***", text);
        Assert.Contains("Password = ***", text);
        Assert.Contains("Username = dr", text);
        Assert.Contains("Contacts = [alice, bob]", text);
    }

    [Fact]
    public void Create_refuses_invalid_options_up_front()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            NotificationDispatcher.Create(Valid(), new ListLogger(), new FakeTimeProvider(), http: null, console: TextWriter.Null, snsPublisher: null));

        Assert.Contains("chatWebhooks are configured but no HttpClient was given", ex.Message);
        Assert.Contains("snsTopicArn is set but no SNS publisher was given", ex.Message);
        Assert.DoesNotContain("XXXXsecretXXXX", ex.Message);
    }

    [Fact]
    public void Create_builds_one_channel_per_configured_destination()
    {
        using var http = new HttpClient();
        var dispatcher = NotificationDispatcher.Create(Valid(), new ListLogger(), new FakeTimeProvider(), http, TextWriter.Null, new RecordingSnsPublisher());

        Assert.Equal(
            [(ChannelKind.Console, "console"), (ChannelKind.File, "file"), (ChannelKind.Chat, "ops"), (ChannelKind.Email, "email"), (ChannelKind.Sns, "sns")],
            dispatcher.Channels.Select(c => (c.Kind, c.Name)));
        Assert.Equal(2, dispatcher.Escalator.Contacts.Count);
    }
}
