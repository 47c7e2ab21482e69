using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Prometheus;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Server.Notifications;

/// <summary>Where one delivery on one channel stands.</summary>
public enum DeliveryStatus
{
    /// <summary>Accepted into its channel's queue; <see cref="DeliveryOutcome.Completion"/> gives the final outcome.</summary>
    Queued,

    /// <summary>The channel took it.</summary>
    Delivered,

    /// <summary>Every attempt failed (or the remote side refused it for good): given up, logged.</summary>
    Failed,

    /// <summary>No channel of its kind is configured (e.g. e-mail in a lab without SMTP).</summary>
    Undelivered,

    /// <summary>Never carried out: pushed out of a full queue, refused by a stopped dispatcher, or abandoned when a stop's drain time ran out.</summary>
    Dropped,

    /// <summary>A repeat whose alert was acknowledged or resolved while it waited in the queue.</summary>
    Skipped,
}

/// <summary>What happened to one delivery on one channel.</summary>
/// <param name="Delivery">The escalator's decision.</param>
/// <param name="ChannelName">The channel that carried it, or <c>null</c> when no channel of its kind is configured.</param>
/// <param name="Succeeded">Delivered.</param>
/// <param name="Error">Why not, in one line without secrets.</param>
public sealed record DeliveryOutcome(Delivery Delivery, string? ChannelName, bool Succeeded, string? Error)
{
    private readonly DeliveryStatus? _status;

    /// <summary>Where it stands; without an explicit value, Delivered, Undelivered (no channel) or Failed.</summary>
    public DeliveryStatus Status
    {
        get => _status ?? (Succeeded ? DeliveryStatus.Delivered : ChannelName is null ? DeliveryStatus.Undelivered : DeliveryStatus.Failed);
        init => _status = value;
    }

    /// <summary>Attempts made on the channel (0 when none was made).</summary>
    public int Attempts { get; init; }

    internal Task<DeliveryOutcome>? Pending { get; init; }

    /// <summary>
    /// The final outcome: for a <see cref="DeliveryStatus.Queued"/> delivery, completes when the
    /// background worker has delivered it, given up on it, dropped or skipped it; otherwise this
    /// outcome itself. Never faults. Nobody has to await it: the controller does not.
    /// </summary>
    public Task<DeliveryOutcome> Completion => Pending ?? Task.FromResult(this);
}

/// <summary>
/// The one place that performs notification effects: asks the <see cref="Escalator"/> what to send
/// and hands each delivery to a background worker that sends it on the configured channels, so a
/// dead mail server or a hung webhook never delays the caller (the controller's tick, a failover
/// between two runbook steps).
/// </summary>
/// <remarks>
/// <para><b>Deciding</b> stays on the caller's thread: <see cref="RaiseAsync"/>, <see cref="ResolveAsync(string, DateTimeOffset, CancellationToken)"/>
/// and <see cref="TickAsync"/> ask the escalator (dedupe, escalation, repeats, who was told),
/// put the deliveries in the queues and return: completed tasks, whose outcomes say
/// <see cref="DeliveryStatus.Queued"/> (or <see cref="DeliveryStatus.Undelivered"/> when no
/// channel of the kind exists). The escalator's bookkeeping is therefore exactly what it was
/// when delivery was inline: a recipient counts as told when the delivery is decided, repeats are
/// spaced from the decision, an acknowledgement takes effect at once.</para>
/// <para><b>Delivering</b>: one bounded queue (<see cref="System.Threading.Channels"/>) per channel,
/// each drained by its own worker, so deliveries keep their order on a channel and a hung
/// channel holds up only itself. Each attempt may take <see cref="DeliveryTimeout"/> (a channel
/// that ignores cancellation is abandoned at that time); a failed attempt is retried
/// <see cref="NotificationQueueOptions.MaxRetries"/> times with exponential backoff (Polly), except
/// a permanent refusal (HTTP 4xx other than 408/429, SMTP 5yz); then it is given up, logged with a
/// warning, counted (<see cref="FailedDeliveries"/>) and surfaced (<see cref="LastError"/>). A
/// queued repeat whose alert was acknowledged or resolved meanwhile is skipped.</para>
/// <para><b>A full queue</b> never blocks: the incoming delivery goes in and the least important
/// waiting one is dropped — the oldest below Sev1, else the oldest Sev1 repeat, else the oldest
/// (the incoming one itself when it ranks lowest) — logged with a warning and counted
/// (<see cref="DroppedDeliveries"/>).</para>
/// <para><b>Stopping</b> (<see cref="StopAsync"/>, <see cref="DisposeAsync"/>): no new deliveries,
/// then up to <see cref="NotificationQueueOptions.DrainTimeout"/> to finish what is queued; what is
/// left is abandoned, counted as dropped, and said in one warning.</para>
/// <para>Never throws to the caller — the monitor loop must not stop because a mail server is
/// down — except an <see cref="OperationCanceledException"/> when the caller's token is already
/// cancelled (then nothing is decided or queued).</para>
/// </remarks>
public sealed class NotificationDispatcher : IAsyncDisposable
{
    /// <summary>Default time one delivery attempt may take.</summary>
    public static readonly TimeSpan DefaultDeliveryTimeout = TimeSpan.FromSeconds(30);

    private static readonly Counter DeliveriesMetric = Metrics.CreateCounter(
        "regami_dr_notification_deliveries_total",
        "Notification deliveries by channel kind and outcome (delivered, failed = given up after its retries, undelivered = no channel of that kind configured, dropped = queue full or shutdown, skipped = repeat of an alert acknowledged meanwhile).",
        new CounterConfiguration { LabelNames = ["channel", "outcome"] });

    private static readonly Counter RetriesMetric = Metrics.CreateCounter(
        "regami_dr_notification_delivery_retries_total",
        "Delivery attempts that failed and were retried, by channel kind.",
        new CounterConfiguration { LabelNames = ["channel"] });

    private static readonly Gauge QueueDepthMetric = Metrics.CreateGauge(
        "regami_dr_notification_queue_depth",
        "Deliveries waiting in a channel's queue (not counting the one being attempted).",
        new GaugeConfiguration { LabelNames = ["channel", "name"] });

    private readonly Escalator _escalator;
    private readonly IReadOnlyList<INotificationChannel> _channels;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly NotificationQueueOptions _queue;
    private readonly Lane[] _lanes;
    private readonly Task[] _workers;
    private readonly ResiliencePipeline _retry;
    private readonly CancellationTokenSource _abort = new();
    private readonly ConcurrentDictionary<QueuedDelivery, byte> _pending = new();
    private readonly object _errorGate = new();
    private readonly object _stopGate = new();
    private Task? _stopped;
    private volatile bool _stopping;
    private long _sequence;
    private long _succeeded;
    private long _failed;
    private long _undelivered;
    private long _dropped;
    private long _skipped;
    private long _retries;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;

    public NotificationDispatcher(Escalator escalator, IReadOnlyList<INotificationChannel> channels, ILogger logger, TimeProvider time,
        TimeSpan? deliveryTimeout = null, NotificationQueueOptions? queue = null)
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
        _queue = queue ?? NotificationQueueOptions.Default;
        if (_queue.Validate() is { Count: > 0 } problems)
            throw new ArgumentException("invalid notification queue options: " + string.Join("; ", problems), nameof(queue));

        _retry = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(_queue.MaxRetries > 0
                    && args.Outcome.Exception is { } e && !args.Context.CancellationToken.IsCancellationRequested && IsWorthRetrying(e)),
                MaxRetryAttempts = Math.Max(1, _queue.MaxRetries),
                Delay = _queue.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                OnRetry = args =>
                {
                    if (args.Context.Properties.TryGetValue(AttemptKey, out var attempt))
                        OnRetry(attempt, args.Outcome.Exception!, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

        _lanes = _channels.Select(c => new Lane(c, SafeName(c), _queue.Capacity)).ToArray();
        _workers = _lanes.Select(lane => Task.Run(() => RunLaneAsync(lane))).ToArray();
    }

    public Escalator Escalator => _escalator;

    public IReadOnlyList<INotificationChannel> Channels => _channels;

    /// <summary>How long one attempt on one channel may take.</summary>
    public TimeSpan DeliveryTimeout { get; }

    public NotificationQueueOptions Queue => _queue;

    public long SucceededDeliveries => Interlocked.Read(ref _succeeded);

    /// <summary>Deliveries a channel tried and that were given up (every attempt threw or timed out, or a permanent refusal).</summary>
    public long FailedDeliveries => Interlocked.Read(ref _failed);

    /// <summary>Deliveries for which no channel of their kind is configured (e.g. e-mail in a lab without SMTP).</summary>
    public long UndeliveredDeliveries => Interlocked.Read(ref _undelivered);

    /// <summary>Deliveries never carried out: pushed out of a full queue, refused after a stop, abandoned at the end of a stop's drain.</summary>
    public long DroppedDeliveries => Interlocked.Read(ref _dropped);

    /// <summary>Queued repeats not sent because their alert was acknowledged or resolved while they waited.</summary>
    public long SkippedDeliveries => Interlocked.Read(ref _skipped);

    /// <summary>Failed attempts that were tried again.</summary>
    public long RetriedAttempts => Interlocked.Read(ref _retries);

    /// <summary>Deliveries queued and not yet carried out (waiting or being attempted).</summary>
    public int PendingDeliveries => _pending.Count;

    /// <summary>The latest failure, one line without secrets, e.g. <c>Chat 'ops': chat webhook 'ops' (https://hooks.slack.com/***) answered 500 …</c>.</summary>
    public string? LastError { get { lock (_errorGate) return _lastError; } }

    public DateTimeOffset? LastErrorAt { get { lock (_errorGate) return _lastErrorAt; } }

    public IReadOnlyList<OpenAlert> Open => _escalator.Open;

    /// <summary>Raises an alert and queues whatever the escalator decides (nothing for a duplicate). Returns at once.</summary>
    public Task<IReadOnlyList<DeliveryOutcome>> RaiseAsync(Alert alert, CancellationToken cancellationToken = default) =>
        Dispatch(() => _escalator.Raise(alert), $"raise {alert?.Key}", cancellationToken);

    /// <summary>Resolves an alert and queues the "resolved" message to everyone who was told about it. Returns at once.</summary>
    public Task<IReadOnlyList<DeliveryOutcome>> ResolveAsync(string key, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        ResolveAsync(key, at, note: null, cancellationToken);

    public Task<IReadOnlyList<DeliveryOutcome>> ResolveAsync(string key, DateTimeOffset at, string? note, CancellationToken cancellationToken = default) =>
        Dispatch(() => _escalator.Resolve(key, at, note), $"resolve {key}", cancellationToken);

    /// <summary>Queues the repeats due now (unacknowledged Sev1 alerts). Call it from the monitor loop's tick. Returns at once.</summary>
    public Task<IReadOnlyList<DeliveryOutcome>> TickAsync(CancellationToken cancellationToken = default) =>
        Dispatch(() => _escalator.Tick(_time.GetUtcNow()), "tick", cancellationToken);

    /// <summary>Acknowledges an open alert by id or key, now; stops its repeats (queued ones included). False when no open alert matches.</summary>
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

    /// <summary>
    /// Waits until every delivery queued so far has been carried out (delivered, given up,
    /// dropped or skipped). For tests and one-shot senders; the controller never waits.
    /// </summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) =>
        Task.WhenAll(_pending.Keys.Select(p => (Task)p.Done.Task)).WaitAsync(cancellationToken);

    /// <summary>
    /// Stops taking deliveries and gives the queued ones up to <see cref="NotificationQueueOptions.DrainTimeout"/>
    /// to go out; abandons the rest (counted as dropped, one warning). Idempotent; never throws.
    /// </summary>
    public Task StopAsync()
    {
        lock (_stopGate)
            return _stopped ??= StopCoreAsync();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    // --- deciding and queueing (the caller's thread) ------------------------------------------

    private Task<IReadOnlyList<DeliveryOutcome>> Dispatch(Func<IReadOnlyList<Delivery>> decide, string what, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<IReadOnlyList<DeliveryOutcome>>(cancellationToken);
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
            return Task.FromResult<IReadOnlyList<DeliveryOutcome>>([]);
        }
        if (deliveries.Count == 0)
            return Task.FromResult<IReadOnlyList<DeliveryOutcome>>([]);

        var outcomes = new List<DeliveryOutcome>();
        foreach (var delivery in deliveries)
        {
            var lanes = _lanes.Where(l => Carries(l.Channel, delivery)).ToArray();
            if (lanes.Length == 0)
            {
                Interlocked.Increment(ref _undelivered);
                DeliveriesMetric.WithLabels(Label(delivery.Channel), "undelivered").Inc();
                _logger.LogDebug("No {Channel} channel configured{Address}; delivery of alert {AlertId} skipped",
                    delivery.Channel, delivery.Address is null ? "" : $" for '{delivery.Address}'", delivery.AlertId);
                outcomes.Add(new DeliveryOutcome(delivery, null, false,
                    $"no {delivery.Channel} channel configured{(delivery.Address is null || delivery.Channel != ChannelKind.Chat ? "" : $" named '{delivery.Address}'")}"));
                continue;
            }
            foreach (var lane in lanes)
                outcomes.Add(Enqueue(lane, delivery));
        }

        if (outcomes.All(o => o.Status is not DeliveryStatus.Queued))
            WarnReachedNobody(deliveries[0], outcomes.Count);
        else
            _ = WarnIfReachedNobodyAsync(deliveries[0], outcomes);
        return Task.FromResult<IReadOnlyList<DeliveryOutcome>>(outcomes);
    }

    /// <summary>Chat deliveries addressed to a webhook go only to the chat channel of that name; every other delivery goes to every channel of its kind.</summary>
    private static bool Carries(INotificationChannel channel, Delivery delivery) =>
        channel.Kind == delivery.Channel
        && (delivery.Channel != ChannelKind.Chat || delivery.Address is null || string.Equals(channel.Name, delivery.Address, StringComparison.Ordinal));

    private DeliveryOutcome Enqueue(Lane lane, Delivery delivery)
    {
        var item = new QueuedDelivery(delivery, lane, Interlocked.Increment(ref _sequence));
        var queued = new DeliveryOutcome(delivery, lane.Name, false, null) { Status = DeliveryStatus.Queued, Pending = item.Done.Task };
        _pending.TryAdd(item, 0);
        QueuedDelivery? victim;
        string? why = null;
        lock (lane.Gate)
        {
            if (_stopping)
            {
                victim = item;
                why = "the notification queue is stopped";
            }
            else if (lane.Queue.Writer.TryWrite(item))
            {
                victim = null;
            }
            else
            {
                // Full: put the new delivery in and push out the least important waiting one. The
                // worker reads under the same gate, so taking everything out and putting it back
                // keeps the order.
                var waiting = new List<QueuedDelivery>(lane.Capacity + 1);
                while (lane.Queue.Reader.TryRead(out var w)) waiting.Add(w);
                waiting.Add(item);
                victim = waiting.OrderBy(w => w.Rank).ThenBy(w => w.Sequence).First();
                foreach (var w in waiting)
                    if (!ReferenceEquals(w, victim)) lane.Queue.Writer.TryWrite(w);
                why = $"the {lane.Channel.Kind} '{lane.Name}' queue is full ({lane.Capacity} waiting)";
            }
            lane.PublishDepth();
        }
        if (victim is not null)
            Drop(victim, why!);
        return queued;
    }

    private void WarnReachedNobody(Delivery first, int attempted) =>
        _logger.LogWarning("Alert {AlertId} ({AlertKey}, {Severity}) reached nobody: {Attempted} deliveries, none delivered",
            first.AlertId, first.AlertKey, first.Severity, attempted);

    private async Task WarnIfReachedNobodyAsync(Delivery first, IReadOnlyList<DeliveryOutcome> outcomes)
    {
        var final = await Task.WhenAll(outcomes.Select(o => o.Completion)).ConfigureAwait(false);
        if (!final.Any(o => o.Succeeded) && !final.All(o => o.Status == DeliveryStatus.Skipped))
            WarnReachedNobody(first, final.Length);
    }

    // --- delivering (one worker per channel) ---------------------------------------------------

    private async Task RunLaneAsync(Lane lane)
    {
        var reader = lane.Queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
            {
                QueuedDelivery? item;
                lock (lane.Gate)
                {
                    if (!reader.TryRead(out item)) continue;
                    lane.PublishDepth();
                }
                DeliveryOutcome outcome;
                try
                {
                    outcome = await DeliverAsync(item).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // DeliverAsync handles everything; this is the last guard so a worker never dies.
                    outcome = new DeliveryOutcome(item.Delivery, lane.Name, false, ex.Message) { Status = DeliveryStatus.Failed };
                }
                Complete(item, outcome);
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // The stop's drain time ran out: StopAsync abandons what is left.
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "The notification worker of {Channel} '{ChannelName}' stopped: {Error}", lane.Channel.Kind, lane.Name, ex.Message);
        }
    }

    private async Task<DeliveryOutcome> DeliverAsync(QueuedDelivery item)
    {
        var delivery = item.Delivery;
        var lane = item.Lane;
        var channel = lane.Channel;
        if (delivery.IsRepeat && !StillRepeats(delivery.AlertKey))
            return new DeliveryOutcome(delivery, lane.Name, false, "not sent: the alert was acknowledged or resolved while the repeat waited")
            { Status = DeliveryStatus.Skipped };

        var context = ResilienceContextPool.Shared.Get(_abort.Token);
        var attempt = new AttemptState(item);
        context.Properties.Set(AttemptKey, attempt);
        try
        {
            await _retry.ExecuteAsync(async (ctx, state) =>
            {
                state.Attempts++;
                await AttemptAsync(channel, state.Item.Delivery, ctx.CancellationToken).ConfigureAwait(false);
            }, context, attempt).ConfigureAwait(false);

            Interlocked.Increment(ref _succeeded);
            DeliveriesMetric.WithLabels(Label(channel.Kind), "delivered").Inc();
            _logger.LogDebug("Delivered {Event} of alert {AlertId} on {Channel} '{ChannelName}' for contact {Contact} (attempt {Attempts})",
                EventOf(delivery), delivery.AlertId, channel.Kind, lane.Name, delivery.Contact ?? "(all)", attempt.Attempts);
            return new DeliveryOutcome(delivery, lane.Name, true, null) { Attempts = attempt.Attempts };
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            return Abandoned(item, attempt.Attempts);
        }
        catch (Exception ex)
        {
            var reason = Reason(ex);
            Interlocked.Increment(ref _failed);
            DeliveriesMetric.WithLabels(Label(channel.Kind), "failed").Inc();
            RecordError($"{channel.Kind} '{lane.Name}': {reason}");
            // The exception is logged for its type and stack; channels keep secrets out of their messages.
            _logger.LogWarning(ex, "Notification delivery failed on {Channel} '{ChannelName}' for alert {AlertId} ({AlertKey}, {Severity}, {Event}, contact {Contact}); gave up after {Attempts} attempt(s): {Error}",
                channel.Kind, lane.Name, delivery.AlertId, delivery.AlertKey, delivery.Severity, EventOf(delivery),
                delivery.Contact ?? "(all)", attempt.Attempts, reason);
            return new DeliveryOutcome(delivery, lane.Name, false, reason) { Status = DeliveryStatus.Failed, Attempts = attempt.Attempts };
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>One attempt, at most <see cref="DeliveryTimeout"/>; a channel that ignores its token is abandoned at that time.</summary>
    private async Task AttemptAsync(INotificationChannel channel, Delivery delivery, CancellationToken abort)
    {
        using var timeout = new CancellationTokenSource(DeliveryTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(abort, timeout.Token);
        try
        {
            var sending = channel.DeliverAsync(delivery, linked.Token);
            // Waiting on the token, not only on the channel: a channel that ignores cancellation is left behind at the timeout.
            if (!sending.IsCompleted)
                _ = sending.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            await sending.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !abort.IsCancellationRequested)
        {
            throw new DeliveryTimedOutException(DeliveryTimeout);
        }
    }

    /// <summary>
    /// Everything is worth another attempt except a permanent refusal: a chat webhook's HTTP 4xx
    /// (bad token, unknown channel; 408 and 429 are transient) or an SMTP 5yz reply.
    /// </summary>
    internal static bool IsWorthRetrying(Exception e) => e switch
    {
        NotificationDeliveryException { Channel: ChannelKind.Chat, StatusCode: >= 400 and < 500 and not 408 and not 429 } => false,
        NotificationDeliveryException { Channel: ChannelKind.Email, StatusCode: >= 500 and < 600 } => false,
        _ => true,
    };

    private void OnRetry(AttemptState attempt, Exception ex, TimeSpan delay)
    {
        var d = attempt.Item.Delivery;
        var lane = attempt.Item.Lane;
        Interlocked.Increment(ref _retries);
        RetriesMetric.WithLabels(Label(lane.Channel.Kind)).Inc();
        _logger.LogInformation("Notification delivery on {Channel} '{ChannelName}' for alert {AlertId} ({Event}) failed (attempt {Attempt} of {MaxAttempts}): {Error}; retrying in {RetryDelay}",
            lane.Channel.Kind, lane.Name, d.AlertId, EventOf(d), attempt.Attempts, _queue.MaxRetries + 1, Reason(ex), delay);
    }

    private bool StillRepeats(string alertKey) =>
        _escalator.Open.FirstOrDefault(a => a.Key == alertKey) is { IsAcknowledged: false };

    private string Reason(Exception ex) => ex switch
    {
        DeliveryTimedOutException => $"timed out after {DeliveryTimeout.TotalSeconds:0.#} s",
        _ => ex.Message,
    };

    private DeliveryOutcome Abandoned(QueuedDelivery item, int attempts) =>
        new(item.Delivery, item.Lane.Name, false, $"abandoned: the notification queue stopped before it went out (drain time {_queue.DrainTimeout.TotalSeconds:0.#} s)")
        { Status = DeliveryStatus.Dropped, Attempts = attempts };

    private void Drop(QueuedDelivery item, string why)
    {
        var d = item.Delivery;
        var outcome = new DeliveryOutcome(d, item.Lane.Name, false, $"dropped: {why}") { Status = DeliveryStatus.Dropped };
        if (!Complete(item, outcome)) return;
        _logger.LogWarning("Notification dropped on {Channel} '{ChannelName}' for alert {AlertId} ({AlertKey}, {Severity}, {Event}, contact {Contact}): {Reason}",
            item.Lane.Channel.Kind, item.Lane.Name, d.AlertId, d.AlertKey, d.Severity, EventOf(d), d.Contact ?? "(all)", why);
    }

    /// <summary>Records the final outcome once; false when the delivery already had one.</summary>
    private bool Complete(QueuedDelivery item, DeliveryOutcome outcome)
    {
        if (!item.Done.TrySetResult(outcome)) return false;
        _pending.TryRemove(item, out _);
        switch (outcome.Status)
        {
            case DeliveryStatus.Dropped:
                Interlocked.Increment(ref _dropped);
                DeliveriesMetric.WithLabels(Label(item.Lane.Channel.Kind), "dropped").Inc();
                break;
            case DeliveryStatus.Skipped:
                Interlocked.Increment(ref _skipped);
                DeliveriesMetric.WithLabels(Label(item.Lane.Channel.Kind), "skipped").Inc();
                _logger.LogDebug("Repeat of alert {AlertId} on {Channel} '{ChannelName}' not sent: acknowledged or resolved meanwhile",
                    item.Delivery.AlertId, item.Lane.Channel.Kind, item.Lane.Name);
                break;
        }
        return true;
    }

    // --- stopping ------------------------------------------------------------------------------

    private async Task StopCoreAsync()
    {
        // Enqueue checks the flag under the lane's gate: a delivery is either in before the queue closes, or refused.
        _stopping = true;
        foreach (var lane in _lanes)
            lock (lane.Gate)
                lane.Queue.Writer.TryComplete();
        var waiting = _pending.Count;
        var workers = Task.WhenAll(_workers);
        var drained = false;
        try
        {
            using var giveUp = new CancellationTokenSource();
            drained = workers.IsCompleted
                || _queue.DrainTimeout > TimeSpan.Zero
                && await Task.WhenAny(workers, Task.Delay(_queue.DrainTimeout, _time, giveUp.Token)).ConfigureAwait(false) == workers;
            await giveUp.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Waiting for the notification queues to drain failed: {Error}", ex.Message);
        }
        if (drained)
        {
            if (waiting > 0)
                _logger.LogInformation("Notification queues drained: {Waiting} waiting deliveries carried out before stopping", waiting);
            return;
        }

        // Out of time: stop the attempts and the backoffs, then give up whatever is left.
        var left = _pending.Keys.ToArray();
        await _abort.CancelAsync().ConfigureAwait(false);
        // The workers answer the abort at once, unless a channel blocks its thread: do not wait for that one.
        await Task.WhenAny(workers, Task.Delay(TimeSpan.FromMilliseconds(200))).ConfigureAwait(false);
        foreach (var lane in _lanes)
            lock (lane.Gate)
            {
                while (lane.Queue.Reader.TryRead(out _)) { }
                lane.PublishDepth();
            }
        // Everything not carried out yet (waiting, or stuck in a channel that blocks its thread) is given up.
        foreach (var item in _pending.Keys)
            Complete(item, Abandoned(item, 0));
        var abandoned = left.Count(i => i.Done.Task is { IsCompletedSuccessfully: true, Result.Status: DeliveryStatus.Dropped });
        _logger.LogWarning("Notification queues stopped after {DrainTimeout}: {Abandoned} deliveries abandoned (not sent); see the warnings above for the channels that were failing",
            _queue.DrainTimeout, abandoned);
    }

    // --- small things --------------------------------------------------------------------------

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

    private static readonly ResiliencePropertyKey<AttemptState> AttemptKey = new("regami.notification.attempt");

    /// <summary>One channel's queue and its worker's state.</summary>
    private sealed class Lane
    {
        public Lane(INotificationChannel channel, string name, int capacity)
        {
            Channel = channel;
            Name = name;
            Capacity = capacity;
            // Writers never wait: Enqueue handles a full queue itself (TryWrite, then push out one).
            Queue = System.Threading.Channels.Channel.CreateBounded<QueuedDelivery>(new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = false,
                SingleWriter = false,
            });
        }

        public INotificationChannel Channel { get; }
        public string Name { get; }
        public int Capacity { get; }
        public Channel<QueuedDelivery> Queue { get; }

        /// <summary>Guards reads and writes of <see cref="Queue"/> together, so a full queue can be reordered safely.</summary>
        public object Gate { get; } = new();

        public void PublishDepth() =>
            QueueDepthMetric.WithLabels(Label(Channel.Kind), Name).Set(Queue.Reader.Count);
    }

    private sealed class QueuedDelivery(Delivery delivery, Lane lane, long sequence)
    {
        public Delivery Delivery { get; } = delivery;
        public Lane Lane { get; } = lane;
        public long Sequence { get; } = sequence;
        public TaskCompletionSource<DeliveryOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Which waiting delivery a full queue pushes out first: below Sev1, then Sev1 repeats, then the rest.</summary>
        public int Rank => Delivery.Severity != Severity.Sev1 ? 0 : Delivery.IsRepeat ? 1 : 2;
    }

    private sealed class AttemptState(QueuedDelivery item)
    {
        public QueuedDelivery Item { get; } = item;
        public int Attempts { get; set; }
    }

    private sealed class DeliveryTimedOutException(TimeSpan timeout)
        : TimeoutException($"timed out after {timeout.TotalSeconds:0.#} s");

    /// <summary>
    /// Builds the dispatcher the options describe: validates them (throws <see cref="ArgumentException"/>
    /// listing every problem), creates the channels and an <see cref="Escalator"/> on the plan's policy
    /// with the configured repeat interval.
    /// </summary>
    /// <param name="http">Used by the chat webhooks; required when any is configured.</param>
    /// <param name="console">Where the console channel writes (default <see cref="System.Console.Out"/>).</param>
    /// <param name="snsPublisher">Required when <see cref="NotificationOptions.SnsTopicArn"/> is set.</param>
    /// <param name="queue">The delivery queue's bound, retries and drain time (default <see cref="NotificationQueueOptions.Default"/>).</param>
    public static NotificationDispatcher Create(NotificationOptions options, ILogger logger, TimeProvider time,
        HttpClient? http = null, TextWriter? console = null, ISnsPublisher? snsPublisher = null,
        IReadOnlyDictionary<Regami.Dr.Core.Alerting.Severity, string>? snsTopics = null, NotificationQueueOptions? queue = null)
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

        return new NotificationDispatcher(new Escalator(options.ToPolicy(), options.Contacts), channels, logger, time, options.DeliveryTimeout, queue);
    }
}
