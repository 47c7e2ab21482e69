using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Notifications;
using Regami.Dr.Core.Tests.Notifications;
using Regami.Dr.Server.Notifications;

namespace Regami.Dr.Component.Tests.Notifications;

/// <summary>
/// The dispatcher against real local endpoints: a Kestrel webhook receiver and a TCP SMTP sink
/// that MailKit talks to, both on 127.0.0.1 with ephemeral ports. Deliveries go out from the
/// dispatcher's background queue: the tests wait for them with <see cref="NotificationDispatcher.FlushAsync"/>
/// or an outcome's <see cref="DeliveryOutcome.Completion"/>.
/// </summary>
public sealed class NotificationDispatcherTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private const string Key = "alarm:primary-unhealthy-eu-west-3";

    private readonly FakeTimeProvider _time = new(Start);
    private readonly ListLogger _logger = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly StringWriter _console = new();
    private WebhookReceiver _webhook = null!;
    private SmtpSink _smtp = null!;
    private readonly List<NotificationDispatcher> _dispatchers = [];

    public async Task InitializeAsync()
    {
        _webhook = await WebhookReceiver.StartAsync();
        _smtp = new SmtpSink();
    }

    public async Task DisposeAsync()
    {
        // Stop the queues first: a hung request ends when its sender gives up.
        foreach (var d in _dispatchers) await d.DisposeAsync();
        await _webhook.DisposeAsync();
        await _smtp.DisposeAsync();
        _http.Dispose();
    }

    private NotificationOptions Options(int? smtpPort = null) => new()
    {
        ChatWebhooks = new Dictionary<string, string> { ["ops"] = _webhook.Url.ToString() },
        Smtp = new SmtpOptions { Host = "127.0.0.1", Port = smtpPort ?? _smtp.Port, From = "Regami DR <dr@regami.test>", UseTls = SmtpTlsMode.None, Timeout = TimeSpan.FromSeconds(5) },
        Contacts = [new Contact("alice", "alice@regami.test", "ops")],
    };

    /// <summary>Retries without backoff: the clock is fake here, and the backoff has its own tests.</summary>
    private NotificationDispatcher NewDispatcher(NotificationOptions? options = null, NotificationQueueOptions? queue = null, TimeProvider? time = null, HttpClient? http = null)
    {
        var dispatcher = NotificationDispatcher.Create(options ?? Options(), _logger, time ?? _time, http ?? _http, _console,
            queue: queue ?? new NotificationQueueOptions { RetryDelay = TimeSpan.Zero });
        _dispatchers.Add(dispatcher);
        return dispatcher;
    }

    private static async Task<DeliveryOutcome[]> Final(IReadOnlyList<DeliveryOutcome> outcomes) =>
        await Task.WhenAll(outcomes.Select(o => o.Completion)).WaitAsync(TimeSpan.FromSeconds(30));

    private Alert Sev1() => new(Key, Severity.Sev1, "Primary region eu-west-3 unhealthy",
        "Health check failed 3/3 times; failing over to eu-central-1.", _time.GetUtcNow());

    private static string ChatText(string body) => JsonDocument.Parse(body).RootElement.GetProperty("text").GetString()!;

    [Fact]
    public async Task A_sev1_alert_reaches_the_chat_webhook_and_the_mailbox_with_the_right_text()
    {
        var dispatcher = NewDispatcher();
        var id = AlertId.For(Key);

        var outcomes = await Final(await dispatcher.RaiseAsync(Sev1()));

        var body = Assert.Single(_webhook.Bodies);
        Assert.Equal(
            "*[SEV1] Primary region eu-west-3 unhealthy*\nHealth check failed 3/3 times; failing over to eu-central-1.\n\n" +
            $"Alert {id} ({Key}), SEV1, raised 2026-11-24 09:00:00Z.\nRepeats until acknowledged: regami-dr alerts ack {id}",
            ChatText(body));

        var mail = Assert.Single(_smtp.Mails);
        Assert.Equal("dr@regami.test", mail.MailFrom);
        Assert.Equal(["alice@regami.test"], mail.RcptTo);
        Assert.Equal("[SEV1] Primary region eu-west-3 unhealthy", mail.Message.Subject);
        Assert.Equal("alice@regami.test", mail.Message.To.Mailboxes.Single().Address);
        Assert.Equal(id, mail.Message.Headers["X-Regami-Alert-Id"]);
        Assert.Equal(MimeKit.MessagePriority.Urgent, mail.Message.Priority);
        Assert.StartsWith("Health check failed 3/3 times; failing over to eu-central-1.", mail.Message.TextBody!.ReplaceLineEndings("\n"));
        Assert.Contains($"regami-dr alerts ack {id}", mail.Message.TextBody);

        Assert.Contains("[SEV1] Primary region eu-west-3 unhealthy", _console.ToString());

        // Console, chat and e-mail delivered; file and SNS are part of Sev1 but not configured here.
        Assert.Equal(3, dispatcher.SucceededDeliveries);
        Assert.Equal(0, dispatcher.FailedDeliveries);
        Assert.Equal(2, dispatcher.UndeliveredDeliveries);
        Assert.Null(dispatcher.LastError);
        Assert.Equal(["no File channel configured", "no Sns channel configured"],
            outcomes.Where(o => !o.Succeeded).Select(o => o.Error).Order());
        Assert.All(outcomes.Where(o => o.Succeeded), o => Assert.Equal(1, o.Attempts));
    }

    [Fact]
    public async Task A_failing_webhook_is_retried_then_given_up_counted_and_logged_and_does_not_stop_the_email()
    {
        _webhook.StatusCode = 500;
        var dispatcher = NewDispatcher();

        var outcomes = await Final(await dispatcher.RaiseAsync(Sev1())); // does not throw

        Assert.Equal(4, _webhook.Bodies.Count); // a 500 is worth retrying: 1 + 3 retries
        Assert.Single(_smtp.Mails);
        Assert.Equal(1, dispatcher.FailedDeliveries);
        Assert.Equal(3, dispatcher.RetriedAttempts);
        Assert.Equal(2, dispatcher.SucceededDeliveries); // console and e-mail
        var failed = Assert.Single(outcomes, o => o.ChannelName == "ops");
        Assert.False(failed.Succeeded);
        Assert.Equal((DeliveryStatus.Failed, 4), (failed.Status, failed.Attempts));

        var error = dispatcher.LastError!;
        Assert.StartsWith("Chat 'ops': chat webhook 'ops' (http://127.0.0.1:", error);
        Assert.Contains("/***) answered 500 Internal Server Error: invalid_token: the receiver is configured to fail", error);
        Assert.Equal(Start, dispatcher.LastErrorAt);

        var warning = Assert.Single(_logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal(ChannelKind.Chat, warning.Values["Channel"]);
        Assert.Equal("ops", warning.Values["ChannelName"]);
        Assert.Equal(AlertId.For(Key), warning.Values["AlertId"]);
        Assert.Equal(Key, warning.Values["AlertKey"]);
        Assert.Equal(Severity.Sev1, warning.Values["Severity"]);
        Assert.Equal("alert", warning.Values["Event"]);
        Assert.Equal("(all)", warning.Values["Contact"]);
        Assert.Equal(4, warning.Values["Attempts"]);
        Assert.Contains("answered 500", (string)warning.Values["Error"]!);
        var ex = Assert.IsType<NotificationDeliveryException>(warning.Exception);
        Assert.Equal(500, ex.StatusCode);

        // The webhook URL's path is its secret: it is nowhere in the logs, the error or the outcome.
        Assert.DoesNotContain(WebhookReceiver.SecretToken, _logger.AllText());
        Assert.DoesNotContain(WebhookReceiver.SecretToken, error);
        Assert.DoesNotContain(WebhookReceiver.SecretToken, failed.Error);
    }

    [Fact]
    public async Task A_webhook_that_refuses_the_token_is_not_retried()
    {
        _webhook.StatusCode = 403;
        var dispatcher = NewDispatcher();

        var failed = Assert.Single(await Final(await dispatcher.RaiseAsync(Sev1())), o => o.ChannelName == "ops");

        Assert.Equal((DeliveryStatus.Failed, 1), (failed.Status, failed.Attempts));
        Assert.Single(_webhook.Bodies);
        Assert.Equal(0, dispatcher.RetriedAttempts);
    }

    [Fact]
    public async Task An_unreachable_mail_server_is_counted_and_does_not_stop_the_chat()
    {
        int closedPort;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var dispatcher = NewDispatcher(Options(smtpPort: closedPort));

        var mail = Assert.Single(await Final(await dispatcher.RaiseAsync(Sev1())), o => o.ChannelName == "email");

        Assert.Single(_webhook.Bodies);
        Assert.Equal((DeliveryStatus.Failed, 4), (mail.Status, mail.Attempts)); // connection refused is worth retrying
        Assert.Equal(1, dispatcher.FailedDeliveries);
        Assert.StartsWith($"Email 'email': e-mail via 127.0.0.1:{closedPort} failed:", dispatcher.LastError);
    }

    [Fact]
    public async Task Repeats_until_acknowledged_then_a_resolution_to_everyone_told()
    {
        var dispatcher = NewDispatcher();
        await dispatcher.RaiseAsync(Sev1());
        Assert.Empty(await dispatcher.RaiseAsync(Sev1())); // duplicate: nothing sent
        await dispatcher.FlushAsync();
        Assert.Single(_webhook.Bodies);

        _time.Advance(TimeSpan.FromMinutes(5));
        await dispatcher.TickAsync();
        await dispatcher.FlushAsync();
        Assert.Equal(2, _webhook.Bodies.Count);
        Assert.StartsWith("*[SEV1] Primary region eu-west-3 unhealthy (repeat 1, unacknowledged)*", ChatText(_webhook.Bodies[1]));
        Assert.Equal(2, _smtp.Mails.Count);

        Assert.True(dispatcher.Acknowledge(AlertId.For(Key), "alice"));
        Assert.False(dispatcher.Acknowledge("ffffffff", "alice"));
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Empty(await dispatcher.TickAsync());
        Assert.Equal(2, _webhook.Bodies.Count);

        await dispatcher.ResolveAsync(Key, _time.GetUtcNow(), "eu-central-1 serves traffic; failover run 42 succeeded");
        await dispatcher.FlushAsync();

        Assert.Equal(3, _webhook.Bodies.Count);
        Assert.Equal(
            "*[RESOLVED] Primary region eu-west-3 unhealthy*\n" +
            "Resolved at 2026-11-24 09:15:00Z, 15 min 0 s after it was raised: eu-central-1 serves traffic; failover run 42 succeeded\n" +
            $"Alert {AlertId.For(Key)} ({Key}), SEV1: Primary region eu-west-3 unhealthy\n" +
            "Acknowledged by alice at 2026-11-24 09:05:00Z.",
            ChatText(_webhook.Bodies[2]));
        var resolved = _smtp.Mails[2].Message;
        Assert.Equal("[RESOLVED] Primary region eu-west-3 unhealthy", resolved.Subject);
        Assert.Equal(MimeKit.MessagePriority.Normal, resolved.Priority);
        Assert.Empty(dispatcher.Open);
    }

    [Fact]
    public async Task A_sev2_alert_goes_to_chat_and_email_but_not_the_console()
    {
        var dispatcher = NewDispatcher();

        await dispatcher.RaiseAsync(new Alert("alarm:replica-lag-eu-central-1", Severity.Sev2, "Replica lag above 300 s", "lag 412 s", Start));
        await dispatcher.FlushAsync();

        Assert.Single(_webhook.Bodies);
        Assert.Single(_smtp.Mails);
        Assert.Equal("", _console.ToString());
    }

    [Fact]
    public async Task A_hung_webhook_does_not_delay_the_raise_and_the_email_still_goes_out()
    {
        // The system clock, the default 30 s per attempt, and no client-side timeout: only the dispatcher bounds the wait.
        _webhook.Hang = true;
        using var patient = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var dispatcher = NewDispatcher(queue: new NotificationQueueOptions { DrainTimeout = TimeSpan.FromMilliseconds(200) }, time: TimeProvider.System, http: patient);

        var clock = Stopwatch.StartNew();
        var raise = dispatcher.RaiseAsync(Sev1() with { At = DateTimeOffset.UtcNow });
        Assert.True(raise.IsCompletedSuccessfully, "RaiseAsync waited for the webhook");
        var outcomes = await raise;
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));

        var mail = await Assert.Single(outcomes, o => o.ChannelName == "email").Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(DeliveryStatus.Delivered, mail.Status);
        Assert.Single(_smtp.Mails);
        var chat = Assert.Single(outcomes, o => o.ChannelName == "ops").Completion;
        while (_webhook.Bodies.Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10);
        Assert.Single(_webhook.Bodies); // the webhook has the request and sits on it
        Assert.False(chat.IsCompleted);

        // Shutdown does not wait 30 s for it either.
        clock.Restart();
        await dispatcher.DisposeAsync();
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Equal(DeliveryStatus.Dropped, (await chat).Status);
        Assert.Equal(1, dispatcher.DroppedDeliveries);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_propagates_and_an_invalid_alert_never_throws()
    {
        var dispatcher = NewDispatcher();
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dispatcher.RaiseAsync(Sev1(), cts.Token));
        Assert.Empty(dispatcher.Open); // nothing decided, nothing queued

        var outcomes = await dispatcher.RaiseAsync(Sev1() with { Key = "" });
        Assert.Empty(outcomes);
        Assert.StartsWith("raise : ", dispatcher.LastError);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Error);
    }
}
