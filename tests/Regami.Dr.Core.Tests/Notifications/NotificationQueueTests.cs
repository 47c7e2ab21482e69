using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Notifications;
using Regami.Dr.Server.Controller;
using Regami.Dr.Server.Notifications;

namespace Regami.Dr.Core.Tests.Notifications;

/// <summary>
/// The dispatcher's delivery queue: deciding stays on the caller's thread and returns at once,
/// delivering happens on one background worker per channel, with retries, a bound, and a drain.
/// Fake channels; fake time where the test walks through timeouts and backoffs, the system clock
/// where it measures that nothing waits.
/// </summary>
public sealed class NotificationQueueTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Far above anything these tests wait for: "returns promptly" means orders of magnitude less than a hung delivery.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(2);

    private readonly ListLogger _logger = new();

    private static Alert Sev(Severity severity, string key, DateTimeOffset? at = null) =>
        new(key, severity, $"{severity} {key}", "what was observed", at ?? Start);

    private NotificationDispatcher Dispatcher(TimeProvider time, NotificationQueueOptions? queue = null, TimeSpan? deliveryTimeout = null,
        params INotificationChannel[] channels) =>
        new(new Escalator(EscalationPolicy.Plan, []), channels, _logger, time, deliveryTimeout, queue);

    /// <summary>Moves fake time on, a step at a time, until <paramref name="done"/> (the worker registers its timers between steps).</summary>
    private static async Task AdvanceUntil(FakeTimeProvider time, Func<bool> done, TimeSpan step)
    {
        for (var i = 0; i < 2000 && !done(); i++)
        {
            time.Advance(step);
            await Task.Delay(5);
        }
        Assert.True(done(), "the condition was not reached");
    }

    private static DeliveryOutcome On(IEnumerable<DeliveryOutcome> outcomes, ChannelKind kind) =>
        Assert.Single(outcomes, o => o.Delivery.Channel == kind && o.ChannelName is not null);

    // --- nothing waits for a channel --------------------------------------------------------------

    [Fact]
    public async Task A_hung_channel_does_not_delay_raise_resolve_or_tick_and_the_other_channels_deliver()
    {
        // The system clock and the real 30 s per attempt: the calls must return long before any of it.
        var hungSns = new HungChannel(ChannelKind.Sns);                               // ignores cancellation
        var hungMail = new HungChannel(ChannelKind.Email, honoursCancellation: true); // a dead SMTP server
        var console = new RecordingChannel(ChannelKind.Console);
        await using var dispatcher = Dispatcher(TimeProvider.System, new NotificationQueueOptions { DrainTimeout = TimeSpan.FromMilliseconds(100) },
            TimeSpan.FromSeconds(30), hungSns, hungMail, console);

        var clock = Stopwatch.StartNew();
        var raise = dispatcher.RaiseAsync(Sev(Severity.Sev1, "alarm:primary-unhealthy", DateTimeOffset.UtcNow));
        var tick = dispatcher.TickAsync();
        Assert.True(raise.IsCompletedSuccessfully, "RaiseAsync waited for a channel");
        Assert.True(tick.IsCompletedSuccessfully, "TickAsync waited for a channel");
        var outcomes = await raise;
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, Prompt);

        Assert.Equal(DeliveryStatus.Queued, On(outcomes, ChannelKind.Sns).Status);
        Assert.Equal(DeliveryStatus.Queued, On(outcomes, ChannelKind.Email).Status);
        // The console delivers while the other two hang: its own queue, its own worker.
        var delivered = await On(outcomes, ChannelKind.Console).Completion.WaitAsync(Prompt);
        Assert.Equal(DeliveryStatus.Delivered, delivered.Status);
        await hungSns.Started.Task.WaitAsync(Prompt);
        await hungMail.Started.Task.WaitAsync(Prompt);
        Assert.False(On(outcomes, ChannelKind.Sns).Completion.IsCompleted);

        clock.Restart();
        var resolve = dispatcher.ResolveAsync("alarm:primary-unhealthy", DateTimeOffset.UtcNow, "cleared");
        Assert.True(resolve.IsCompletedSuccessfully, "ResolveAsync waited for a channel");
        Assert.Equal(3, (await resolve).Count(o => o.Status == DeliveryStatus.Queued));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, Prompt);
        Assert.Equal(["alarm:primary-unhealthy", "alarm:primary-unhealthy"], (await WaitForCount(console, 2)).Select(d => d.AlertKey));
    }

    [Fact]
    public async Task The_controllers_alert_sink_returns_at_once_when_every_channel_hangs()
    {
        // What ControllerLoop awaits on a failover's critical path and in every tick.
        var time = new FakeTimeProvider(Start);
        await using var dispatcher = Dispatcher(time, new NotificationQueueOptions { DrainTimeout = TimeSpan.Zero }, null,
            new HungChannel(ChannelKind.Console), new HungChannel(ChannelKind.File), new HungChannel(ChannelKind.Chat), new HungChannel(ChannelKind.Email), new HungChannel(ChannelKind.Sns));
        IAlertSink sink = new DispatcherAlertSink(dispatcher, time);

        Assert.True(sink.RaiseAsync(Severity.Sev1, "failover:eu-west-3->eu-central-1", "failing over", "primary down", default).IsCompletedSuccessfully);
        Assert.True(sink.RaiseAsync(Severity.Sev2, "alarm:lag", "lag", "412 s", default).IsCompletedSuccessfully);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.True(sink.TickAsync(default).IsCompletedSuccessfully);
        Assert.True(sink.ResolveAsync("alarm:lag", "cleared", default).IsCompletedSuccessfully);

        // The escalator's bookkeeping is done on the caller's thread, not when the channels answer.
        var open = Assert.Single(dispatcher.Open);
        Assert.Equal(("failover:eu-west-3->eu-central-1", 1), (open.Key, open.Repeats));
        Assert.Equal(Start.AddMinutes(5), open.LastNotifiedAt);
    }

    [Fact]
    public async Task A_caller_whose_token_is_already_cancelled_gets_the_cancellation_and_nothing_is_decided()
    {
        var channel = new RecordingChannel();
        await using var dispatcher = Dispatcher(new FakeTimeProvider(Start), null, null, channel);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dispatcher.RaiseAsync(Sev(Severity.Sev1, "k"), cts.Token));

        Assert.Empty(dispatcher.Open);
        Assert.Equal(0, dispatcher.PendingDeliveries);
    }

    // --- retries ------------------------------------------------------------------------------------

    [Fact]
    public async Task A_failing_channel_is_retried_with_exponential_backoff_then_given_up_with_a_warning_and_the_others_still_deliver()
    {
        var time = new FakeTimeProvider(Start);
        var file = new FailingChannel(ChannelKind.File, () => new NotificationDeliveryException(ChannelKind.File, "file", "disk full"));
        var console = new RecordingChannel(ChannelKind.Console);
        await using var dispatcher = Dispatcher(time, null, null, file, console);

        var outcomes = await dispatcher.RaiseAsync(Sev(Severity.Sev1, "alarm:primary-unhealthy"));

        Assert.Equal(DeliveryStatus.Delivered, (await On(outcomes, ChannelKind.Console).Completion.WaitAsync(Prompt)).Status);
        var fileOutcome = On(outcomes, ChannelKind.File).Completion;
        await AdvanceUntil(time, () => fileOutcome.IsCompleted, TimeSpan.FromSeconds(1));

        var final = await fileOutcome;
        Assert.Equal((DeliveryStatus.Failed, 4, "disk full"), (final.Status, final.Attempts, final.Error));
        Assert.Equal(4, file.Attempts);
        Assert.Equal(3, dispatcher.RetriedAttempts);
        Assert.Equal(1, dispatcher.FailedDeliveries);
        Assert.Equal(1, dispatcher.SucceededDeliveries);
        Assert.Equal("File 'file': disk full", dispatcher.LastError);
        // Backoff: 2 s, then 4 s, then 8 s.
        var retries = _logger.Entries.Where(e => e.Values.ContainsKey("RetryDelay")).ToArray();
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8)], retries.Select(e => (TimeSpan)e.Values["RetryDelay"]!));
        Assert.All(retries, e => Assert.Equal(LogLevel.Information, e.Level));
        var warning = Assert.Single(_logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal((ChannelKind.File, 4, "disk full"), ((ChannelKind)warning.Values["Channel"]!, (int)warning.Values["Attempts"]!, (string)warning.Values["Error"]!));
        Assert.Contains("gave up after 4 attempt(s)", warning.Message);
        Assert.Single(console.Delivered);
    }

    [Fact]
    public async Task A_hung_attempt_is_abandoned_at_the_delivery_timeout_and_counts_as_a_failed_attempt()
    {
        var time = new FakeTimeProvider(Start);
        var hung = new HungChannel(ChannelKind.Sns); // ignores its token: only the dispatcher's own timeout frees the worker
        var console = new RecordingChannel(ChannelKind.Console);
        await using var dispatcher = Dispatcher(time, new NotificationQueueOptions { MaxRetries = 1, DrainTimeout = TimeSpan.Zero },
            TimeSpan.FromSeconds(30), hung, console);

        var outcomes = await dispatcher.RaiseAsync(Sev(Severity.Sev1, "alarm:primary-unhealthy"));
        var sns = On(outcomes, ChannelKind.Sns).Completion;
        await hung.Started.Task.WaitAsync(Prompt);
        await AdvanceUntil(time, () => sns.IsCompleted, TimeSpan.FromSeconds(1));

        Assert.Equal((DeliveryStatus.Failed, 2, "timed out after 30 s"), ((await sns).Status, (await sns).Attempts, (await sns).Error));
        Assert.Equal(2, hung.Attempts);
        Assert.InRange(time.GetUtcNow() - Start, TimeSpan.FromSeconds(62), TimeSpan.FromSeconds(90)); // 30 s, 2 s backoff, 30 s
        Assert.Equal("Sns 'sns': timed out after 30 s", dispatcher.LastError);
        Assert.Single(console.Delivered);
    }

    [Fact]
    public async Task A_transient_failure_is_retried_and_delivered_a_permanent_refusal_is_not_retried()
    {
        var time = new FakeTimeProvider(Start);
        // SMTP 451 (try again later) is transient; a webhook's 403 (bad token) will not get better.
        var mail = new FailingChannel(ChannelKind.Email, () => new NotificationDeliveryException(ChannelKind.Email, "email", "451 4.3.0 try again later") { StatusCode = 451 }, failures: 1);
        var chat = new FailingChannel(ChannelKind.Chat, () => new NotificationDeliveryException(ChannelKind.Chat, "chat", "chat webhook answered 403 Forbidden") { StatusCode = 403 });
        await using var dispatcher = Dispatcher(time, new NotificationQueueOptions { RetryDelay = TimeSpan.Zero }, null, mail, chat);

        var outcomes = await dispatcher.RaiseAsync(Sev(Severity.Sev2, "alarm:replica-lag"));

        var mailed = await On(outcomes, ChannelKind.Email).Completion.WaitAsync(Prompt);
        var chatted = await On(outcomes, ChannelKind.Chat).Completion.WaitAsync(Prompt);
        Assert.Equal((DeliveryStatus.Delivered, 2), (mailed.Status, mailed.Attempts));
        Assert.Equal((DeliveryStatus.Failed, 1), (chatted.Status, chatted.Attempts));
        Assert.Equal((2, 1), (mail.Attempts, chat.Attempts));
        Assert.Equal(1, dispatcher.RetriedAttempts);
    }

    // --- the bound -----------------------------------------------------------------------------------

    [Fact]
    public async Task A_full_queue_never_blocks_it_drops_the_oldest_delivery_below_sev1_first_and_says_so()
    {
        var file = new RecordingChannel(ChannelKind.File) { Gate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var dispatcher = Dispatcher(new FakeTimeProvider(Start), new NotificationQueueOptions { Capacity = 2 }, TimeSpan.FromHours(1), file);

        var a = await dispatcher.RaiseAsync(Sev(Severity.Sev1, "a"));
        await file.FirstStarted.Task.WaitAsync(Prompt); // a is being attempted: the queue holds what comes next
        var calls = new[]
        {
            dispatcher.RaiseAsync(Sev(Severity.Sev2, "b")),
            dispatcher.RaiseAsync(Sev(Severity.Sev1, "c")), // queue: b, c (full)
            dispatcher.RaiseAsync(Sev(Severity.Sev3, "d")), // b goes (oldest below Sev1): c, d
            dispatcher.RaiseAsync(Sev(Severity.Sev1, "e")), // d goes: c, e
            dispatcher.RaiseAsync(Sev(Severity.Sev1, "f")), // all Sev1: the oldest, c, goes: e, f
        };
        Assert.All(calls, c => Assert.True(c.IsCompletedSuccessfully, "a full queue made the caller wait"));

        var dropped = new List<string>();
        foreach (var call in calls)
        {
            var outcome = On(await call, ChannelKind.File);
            if (outcome.Completion.IsCompleted && (await outcome.Completion).Status == DeliveryStatus.Dropped) dropped.Add(outcome.Delivery.AlertKey);
        }
        Assert.Equal(["b", "c", "d"], dropped);
        Assert.Equal(3, dispatcher.DroppedDeliveries);
        Assert.Equal("dropped: the File 'file' queue is full (2 waiting)", (await On(await calls[0], ChannelKind.File).Completion).Error);
        // One warning per drop, in the order they were pushed out.
        Assert.Equal(["b", "d", "c"], _logger.Entries
            .Where(e => e.Level == LogLevel.Warning && e.Message.StartsWith("Notification dropped", StringComparison.Ordinal))
            .Select(e => (string)e.Values["AlertKey"]!));

        file.Gate.SetResult();
        await dispatcher.FlushAsync().WaitAsync(Prompt);
        Assert.Equal(["a", "e", "f"], file.Delivered.Select(d => d.AlertKey));
        Assert.Equal(DeliveryStatus.Delivered, (await On(a, ChannelKind.File).Completion).Status);
    }

    [Fact]
    public async Task A_full_queue_drops_a_sev1_repeat_before_a_first_sev1()
    {
        var time = new FakeTimeProvider(Start);
        var file = new RecordingChannel(ChannelKind.File) { Gate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var dispatcher = Dispatcher(time, new NotificationQueueOptions { Capacity = 1 }, TimeSpan.FromHours(1), file);

        await dispatcher.RaiseAsync(Sev(Severity.Sev1, "a"));
        await file.FirstStarted.Task.WaitAsync(Prompt);
        time.Advance(TimeSpan.FromMinutes(5));
        var repeat = On(await dispatcher.TickAsync(), ChannelKind.File);      // queue: a's repeat
        Assert.True(repeat.Delivery.IsRepeat);
        await dispatcher.RaiseAsync(Sev(Severity.Sev1, "b", time.GetUtcNow())); // full: the repeat goes, b stays

        Assert.Equal(DeliveryStatus.Dropped, (await repeat.Completion).Status);
        file.Gate.SetResult();
        await dispatcher.FlushAsync().WaitAsync(Prompt);
        Assert.Equal(["a", "b"], file.Delivered.Select(d => d.AlertKey));
    }

    [Fact]
    public async Task A_flood_stays_bounded_and_every_call_returns_at_once()
    {
        var file = new RecordingChannel(ChannelKind.File) { Gate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var dispatcher = Dispatcher(TimeProvider.System, new NotificationQueueOptions { Capacity = 8, DrainTimeout = TimeSpan.Zero },
            TimeSpan.FromMinutes(10), file);
        await dispatcher.RaiseAsync(Sev(Severity.Sev3, "first"));
        await file.FirstStarted.Task.WaitAsync(Prompt);

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 1000; i++)
            Assert.True(dispatcher.RaiseAsync(Sev(Severity.Sev3, $"flood-{i}")).IsCompletedSuccessfully);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, Prompt * 2);

        Assert.Equal(9, dispatcher.PendingDeliveries); // 8 waiting, 1 being attempted
        Assert.Equal(1000 - 8, dispatcher.DroppedDeliveries);
        file.Gate.SetResult();
        await dispatcher.FlushAsync().WaitAsync(Prompt);
        // The newest eight survived, in order.
        Assert.Equal(["first", .. Enumerable.Range(1000 - 8, 8).Select(i => $"flood-{i}")], file.Delivered.Select(d => d.AlertKey));
    }

    // --- order and the escalator's bookkeeping --------------------------------------------------

    [Fact]
    public async Task Deliveries_keep_their_order_on_each_channel()
    {
        var file = new RecordingChannel(ChannelKind.File);
        var console = new RecordingChannel(ChannelKind.Console);
        await using var dispatcher = Dispatcher(new FakeTimeProvider(Start), null, null, file, console);

        for (var i = 0; i < 50; i++)
        {
            await dispatcher.RaiseAsync(Sev(Severity.Sev3, $"k{i}"));
            if (i % 2 == 0) await dispatcher.ResolveAsync($"k{i}", Start, "cleared");
        }
        await dispatcher.FlushAsync().WaitAsync(Prompt);

        var expected = Enumerable.Range(0, 50).SelectMany(i => i % 2 == 0 ? new[] { $"k{i}", $"k{i} resolved" } : [$"k{i}"]).ToArray();
        Assert.Equal(expected, file.Delivered.Select(d => d.IsResolution ? $"{d.AlertKey} resolved" : d.AlertKey));
        Assert.Equal(expected, console.Delivered.Select(d => d.IsResolution ? $"{d.AlertKey} resolved" : d.AlertKey));
    }

    [Fact]
    public async Task A_repeat_acknowledged_while_it_waited_is_not_sent_and_the_escalator_stays_consistent()
    {
        var time = new FakeTimeProvider(Start);
        var file = new RecordingChannel(ChannelKind.File) { Gate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var dispatcher = Dispatcher(time, null, TimeSpan.FromHours(1), file);

        await dispatcher.RaiseAsync(Sev(Severity.Sev1, "alarm:primary-unhealthy"));
        await file.FirstStarted.Task.WaitAsync(Prompt);
        time.Advance(TimeSpan.FromMinutes(5));
        var repeat = On(await dispatcher.TickAsync(), ChannelKind.File);
        Assert.True(dispatcher.Acknowledge("alarm:primary-unhealthy", "alice")); // takes effect at once, queue or not

        file.Gate.SetResult();
        await dispatcher.FlushAsync().WaitAsync(Prompt);

        Assert.Equal(DeliveryStatus.Skipped, (await repeat.Completion).Status);
        Assert.Equal(1, dispatcher.SkippedDeliveries);
        Assert.Equal([false], file.Delivered.Select(d => d.IsRepeat));
        var open = Assert.Single(dispatcher.Open);
        Assert.Equal(("alice", 1, (DateTimeOffset?)null), (open.AcknowledgedBy, open.Repeats, open.NextRepeatAt));

        // The resolution still goes to whoever was told.
        var resolved = On(await dispatcher.ResolveAsync("alarm:primary-unhealthy", time.GetUtcNow(), "cleared"), ChannelKind.File);
        Assert.Equal(DeliveryStatus.Delivered, (await resolved.Completion.WaitAsync(Prompt)).Status);
    }

    // --- stopping ------------------------------------------------------------------------------------

    [Fact]
    public async Task Stopping_drains_what_is_queued()
    {
        var file = new RecordingChannel(ChannelKind.File) { Gate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        var dispatcher = Dispatcher(TimeProvider.System, new NotificationQueueOptions { DrainTimeout = TimeSpan.FromSeconds(30) }, null, file);
        for (var i = 0; i < 5; i++) await dispatcher.RaiseAsync(Sev(Severity.Sev3, $"k{i}"));

        var stop = dispatcher.StopAsync();
        Assert.False(stop.IsCompleted); // it waits for the queue…
        file.Gate.SetResult();
        await stop.WaitAsync(TimeSpan.FromSeconds(10)); // …not for the drain time

        Assert.Equal(5, file.Delivered.Count);
        Assert.Equal((0, 5), (dispatcher.DroppedDeliveries, dispatcher.SucceededDeliveries));
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Information && e.Message.StartsWith("Notification queues drained", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stopping_with_a_hung_channel_ends_within_the_drain_time_abandons_the_rest_and_says_so()
    {
        var drain = TimeSpan.FromMilliseconds(300);
        var hung = new HungChannel(ChannelKind.File); // ignores cancellation
        var console = new RecordingChannel(ChannelKind.Console);
        var dispatcher = Dispatcher(TimeProvider.System, new NotificationQueueOptions { DrainTimeout = drain }, TimeSpan.FromSeconds(30), hung, console);
        var files = new List<DeliveryOutcome>();
        for (var i = 0; i < 3; i++) files.Add(On(await dispatcher.RaiseAsync(Sev(Severity.Sev3, $"k{i}")), ChannelKind.File));
        await hung.Started.Task.WaitAsync(Prompt);
        await WaitForCount(console, 3);

        var clock = Stopwatch.StartNew();
        await dispatcher.DisposeAsync();
        Assert.InRange(clock.Elapsed, drain - TimeSpan.FromMilliseconds(50), drain + Prompt);

        Assert.All(files, f => Assert.Equal(DeliveryStatus.Dropped, f.Completion.Result.Status));
        Assert.StartsWith("abandoned: the notification queue stopped", files[0].Completion.Result.Error);
        Assert.Equal(3, dispatcher.DroppedDeliveries);
        var summary = Assert.Single(_logger.Entries, e => e.Message.StartsWith("Notification queues stopped", StringComparison.Ordinal));
        Assert.Equal((LogLevel.Warning, 3), (summary.Level, (int)summary.Values["Abandoned"]!));

        // After the stop: decided, refused, never thrown; stopping again is a no-op.
        var late = await dispatcher.RaiseAsync(Sev(Severity.Sev3, "late"));
        Assert.Equal("dropped: the notification queue is stopped", On(late, ChannelKind.Console).Completion.Result.Error);
        await dispatcher.StopAsync().WaitAsync(Prompt);
    }

    private static async Task<IReadOnlyList<Delivery>> WaitForCount(RecordingChannel channel, int count)
    {
        var clock = Stopwatch.StartNew();
        while (channel.Delivered.Count < count && clock.Elapsed < Prompt) await Task.Delay(5);
        Assert.Equal(count, channel.Delivered.Count);
        return channel.Delivered;
    }
}
