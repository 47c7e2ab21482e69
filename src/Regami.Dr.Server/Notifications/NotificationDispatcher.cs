using Microsoft.Extensions.Logging;
using Prometheus;
using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Server.Notifications;

/// <summary>What happened to one delivery on one channel.</summary>
/// <param name="Delivery">The escalator's decision.</param>
/// <param name="ChannelName">The channel that carried it, or <c>null</c> when no channel of its kind is configured.</param>
/// <param name="Succeeded">Delivered.</param>
/// <param name="Error">Why not, in one line without secrets.</param>
public sealed record DeliveryOutcome(Delivery Delivery, string? ChannelName, bool Succeeded, string? Error);

/// <summary>
/// The one place that performs notification effects: asks the <see cref="Escalator"/> what to send
/// and sends it on the configured channels. Each delivery goes to every channel of its kind (chat
/// deliveries with an address only to the webhook of that name), all in parallel, each under
/// <see cref="DeliveryTimeout"/>. A failing channel is logged, counted and surfaced
/// (<see cref="FailedDeliveries"/>, <see cref="LastError"/>) and never stops the others.
/// </summary>
/// <remarks>
/// Never throws to the caller — the monitor loop must not stop because a mail server is down —
/// with one exception: when the caller's own token is cancelled, the
/// <see cref="OperationCanceledException"/> propagates, as cancellation does everywhere.
/// </remarks>
public sealed class NotificationDispatcher
{
    /// <summary>Default time one delivery may take.</summary>
    public static readonly TimeSpan DefaultDeliveryTimeout = TimeSpan.FromSeconds(30);

    private static readonly Counter DeliveriesMetric = Metrics.CreateCounter(
        "regami_dr_notification_deliveries_total",
        "Notification deliveries by channel kind and outcome (delivered, failed, undelivered = no channel of that kind configured).",
        new CounterConfiguration { LabelNames = ["channel", "outcome"] });

    private readonly Escalator _escalator;
    private readonly IReadOnlyList<INotificationChannel> _channels;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly object _errorGate = new();
    private long _succeeded;
    private long _failed;
    private long _undelivered;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;

    public NotificationDispatcher(Escalator escalator, IReadOnlyList<INotificationChannel> channels, ILogger logger, TimeProvider time, TimeSpan? deliveryTimeout = null)
    {
        _escalator = escalator ?? throw new ArgumentNullException(nameof(escalator));
        ArgumentNullException.ThrowIfNull(channels);
        if (channels.Any(c => c is null))
            throw new ArgumentException("channels must not contain null", nameof(channels));
        _channels = channels.ToArray();
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        DeliveryTimeout = deliveryTimeout ?? DefaultDeliveryTimeout;
        if (DeliveryTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(deliveryTimeout), DeliveryTimeout, "deliveryTimeout must be greater than 0");
    }

    public Escalator Escalator => _escalator;

    public IReadOnlyList<INotificationChannel> Channels => _channels;

    public TimeSpan DeliveryTimeout { get; }

    public long SucceededDeliveries => Interlocked.Read(ref _succeeded);

    /// <summary>Deliveries a channel tried and failed (threw or timed out).</summary>
    public long FailedDeliveries => Interlocked.Read(ref _failed);

    /// <summary>Deliveries for which no channel of their kind is configured (e.g. e-mail in a lab without SMTP).</summary>
    public long UndeliveredDeliveries => Interlocked.Read(ref _undelivered);

    /// <summary>The latest failure, one line without secrets, e.g. <c>Chat 'ops': chat webhook 'ops' (https://hooks.slack.com/***) answered 500 …</c>.</summary>
    public string? LastError { get { lock (_errorGate) return _lastError; } }

    public DateTimeOffset? LastErrorAt { get { lock (_errorGate) return _lastErrorAt; } }

    public IReadOnlyList<OpenAlert> Open => _escalator.Open;

    /// <summary>Raises an alert and sends whatever the escalator decides (nothing for a duplicate).</summary>
    public Task<IReadOnlyList<DeliveryOutcome>> RaiseAsync(Alert alert, CancellationToken cancellationToken = default) =>
        DispatchAsync(() => _escalator.Raise(alert), $"raise {alert?.Key}", cancellationToken);

    /// <summary>Resolves an alert and tells everyone who was told about it.</summary>
    public Task<IReadOnlyList<DeliveryOutcome>> ResolveAsync(string key, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        ResolveAsync(key, at, note: null, cancellationToken);

    public Task<IReadOnlyList<DeliveryOutcome>> ResolveAsync(string key, DateTimeOffset at, string? note, CancellationToken cancellationToken = default) =>
        DispatchAsync(() => _escalator.Resolve(key, at, note), $"resolve {key}", cancellationToken);

    /// <summary>Sends the repeats due now (unacknowledged Sev1 alerts). Call it from the monitor loop's tick.</summary>
    public Task<IReadOnlyList<DeliveryOutcome>> TickAsync(CancellationToken cancellationToken = default) =>
        DispatchAsync(() => _escalator.Tick(_time.GetUtcNow()), "tick", cancellationToken);

    /// <summary>Acknowledges an open alert by id or key, now; stops its repeats. False when no open alert matches.</summary>
    public bool Acknowledge(string alertIdOrKey, string by)
    {
        if (string.IsNullOrWhiteSpace(alertIdOrKey) || string.IsNullOrWhiteSpace(by))
            return false;
        var acknowledged = _escalator.Acknowledge(alertIdOrKey, by, _time.GetUtcNow());
        if (acknowledged)
            _logger.LogInformation("Alert {AlertIdOrKey} acknowledged by {AcknowledgedBy}; its repeats stop", alertIdOrKey, by);
        else
            _logger.LogInformation("Acknowledgement of {AlertIdOrKey} by {AcknowledgedBy} matched no open alert", alertIdOrKey, by);
        return acknowledged;
    }

    private async Task<IReadOnlyList<DeliveryOutcome>> DispatchAsync(Func<IReadOnlyList<Delivery>> decide, string what, CancellationToken cancellationToken)
    {
        IReadOnlyList<Delivery> deliveries;
        try
        {
            deliveries = decide();
        }
        catch (Exception ex)
        {
            // An invalid alert is a bug in the caller, but the caller is the monitor loop: say it loudly, do not stop it.
            RecordError($"{what}: {ex.Message}");
            _logger.LogError(ex, "Notification {Operation} could not be decided: {Error}", what, ex.Message);
            return [];
        }
        if (deliveries.Count == 0)
            return [];

        var attempts = new List<Task<DeliveryOutcome>>();
        foreach (var delivery in deliveries)
        {
            var targets = _channels.Where(c => Carries(c, delivery)).ToArray();
            if (targets.Length == 0)
            {
                Interlocked.Increment(ref _undelivered);
                DeliveriesMetric.WithLabels(Label(delivery.Channel), "undelivered").Inc();
                _logger.LogDebug("No {Channel} channel configured{Address}; delivery of alert {AlertId} skipped",
                    delivery.Channel, delivery.Address is null ? "" : $" for '{delivery.Address}'", delivery.AlertId);
                attempts.Add(Task.FromResult(new DeliveryOutcome(delivery, null, false,
                    $"no {delivery.Channel} channel configured{(delivery.Address is null || delivery.Channel != ChannelKind.Chat ? "" : $" named '{delivery.Address}'")}")));
                continue;
            }
            attempts.AddRange(targets.Select(channel => DeliverAsync(channel, delivery, cancellationToken)));
        }
        var outcomes = await Task.WhenAll(attempts).ConfigureAwait(false);

        if (!outcomes.Any(o => o.Succeeded))
        {
            var first = deliveries[0];
            _logger.LogWarning("Alert {AlertId} ({AlertKey}, {Severity}) reached nobody: {Attempted} deliveries, none delivered",
                first.AlertId, first.AlertKey, first.Severity, outcomes.Length);
        }
        return outcomes;
    }

    /// <summary>Chat deliveries addressed to a webhook go only to the chat channel of that name; every other delivery goes to every channel of its kind.</summary>
    private static bool Carries(INotificationChannel channel, Delivery delivery) =>
        channel.Kind == delivery.Channel
        && (delivery.Channel != ChannelKind.Chat || delivery.Address is null || string.Equals(channel.Name, delivery.Address, StringComparison.Ordinal));

    private async Task<DeliveryOutcome> DeliverAsync(INotificationChannel channel, Delivery delivery, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(DeliveryTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var name = SafeName(channel);
        try
        {
            await channel.DeliverAsync(delivery, linked.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _succeeded);
            DeliveriesMetric.WithLabels(Label(channel.Kind), "delivered").Inc();
            _logger.LogDebug("Delivered {Event} of alert {AlertId} on {Channel} '{ChannelName}' for contact {Contact}",
                EventOf(delivery), delivery.AlertId, channel.Kind, name, delivery.Contact ?? "(all)");
            return new DeliveryOutcome(delivery, name, true, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var reason = ex is OperationCanceledException && timeout.IsCancellationRequested
                ? $"timed out after {DeliveryTimeout.TotalSeconds:0.#} s"
                : ex.Message;
            Interlocked.Increment(ref _failed);
            DeliveriesMetric.WithLabels(Label(channel.Kind), "failed").Inc();
            RecordError($"{channel.Kind} '{name}': {reason}");
            // The exception is logged for its type and stack; channels keep secrets out of their messages.
            _logger.LogWarning(ex, "Notification delivery failed on {Channel} '{ChannelName}' for alert {AlertId} ({AlertKey}, {Severity}, {Event}, contact {Contact}): {Error}",
                channel.Kind, name, delivery.AlertId, delivery.AlertKey, delivery.Severity, EventOf(delivery),
                delivery.Contact ?? "(all)", reason);
            return new DeliveryOutcome(delivery, name, false, reason);
        }
    }

    private void RecordError(string error)
    {
        lock (_errorGate)
        {
            _lastError = error;
            _lastErrorAt = _time.GetUtcNow();
        }
    }

    private static string SafeName(INotificationChannel channel)
    {
        try { return channel.Name; }
        catch { return channel.Kind.ToString().ToLowerInvariant(); }
    }

    private static string Label(ChannelKind kind) => kind.ToString().ToLowerInvariant();

    private static string EventOf(Delivery d) =>
        d.IsResolution ? "resolution" : d.IsEscalation ? "escalation" : d.IsRepeat ? "repeat" : "alert";

    /// <summary>
    /// Builds the dispatcher the options describe: validates them (throws <see cref="ArgumentException"/>
    /// listing every problem), creates the channels and an <see cref="Escalator"/> on the plan's policy
    /// with the configured repeat interval.
    /// </summary>
    /// <param name="http">Used by the chat webhooks; required when any is configured.</param>
    /// <param name="console">Where the console channel writes (default <see cref="System.Console.Out"/>).</param>
    /// <param name="snsPublisher">Required when <see cref="NotificationOptions.SnsTopicArn"/> is set.</param>
    public static NotificationDispatcher Create(NotificationOptions options, ILogger logger, TimeProvider time,
        HttpClient? http = null, TextWriter? console = null, ISnsPublisher? snsPublisher = null,
        IReadOnlyDictionary<Regami.Dr.Core.Alerting.Severity, string>? snsTopics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate().ToList();
        if (options.ChatWebhooks.Count > 0 && http is null)
            errors.Add("chatWebhooks are configured but no HttpClient was given to post with");
        if (options.SnsTopicArn is not null && snsPublisher is null)
            errors.Add("snsTopicArn is set but no SNS publisher was given (the AWS provider supplies it)");
        if (errors.Count > 0)
            throw new ArgumentException("invalid notification options: " + string.Join("; ", errors), nameof(options));

        var channels = new List<INotificationChannel>();
        if (options.Console)
            channels.Add(new ConsoleChannel(console ?? System.Console.Out));
        if (options.FilePath is { } path)
            channels.Add(new JsonLinesFileChannel(path));
        foreach (var (name, url) in options.ChatWebhooks.OrderBy(w => w.Key, StringComparer.Ordinal))
            channels.Add(new SlackWebhookChannel(http!, new Uri(url), name));
        if (options.Smtp is { } smtp)
            channels.Add(new SmtpEmailChannel(smtp, options.DefaultEmailRecipients));
        if (options.SnsTopicArn is not null || snsTopics is { Count: > 0 } && snsPublisher is not null)
            channels.Add(new SnsChannel(snsPublisher!, options.SnsTopicArn, snsTopics));

        return new NotificationDispatcher(new Escalator(options.ToPolicy(), options.Contacts), channels, logger, time, options.DeliveryTimeout);
    }
}
