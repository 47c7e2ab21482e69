using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Regami.Dr.Core.Notifications;
using Regami.Dr.Server.Notifications;

namespace Regami.Dr.Core.Tests.Notifications;

// Fakes shared by the unit tests and the component tests (linked into Regami.Dr.Component.Tests).

/// <summary>An <see cref="ILogger"/> that keeps every entry with its structured values and its exception.</summary>
internal sealed class ListLogger : ILogger
{
    public sealed record Entry(LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Values, Exception? Exception);

    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => _entries.ToArray();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value)
            : new Dictionary<string, object?>();
        _entries.Enqueue(new Entry(logLevel, formatter(state, exception), values, exception));
    }

    /// <summary>Everything that was logged, as text, exceptions included: for "no secret leaked" checks.</summary>
    public string AllText() => string.Join("\n", Entries.Select(e =>
        $"{e.Message} {string.Join(' ', e.Values.Values)} {e.Exception}"));
}

/// <summary>An <see cref="ISnsPublisher"/> that records what it was asked to publish.</summary>
internal sealed class RecordingSnsPublisher : ISnsPublisher
{
    private readonly ConcurrentQueue<(string TopicArn, string Subject, string Message)> _published = new();

    public IReadOnlyList<(string TopicArn, string Subject, string Message)> Published => _published.ToArray();

    public Task<string> PublishAsync(string topicArn, string subject, string message, CancellationToken cancellationToken)
    {
        _published.Enqueue((topicArn, subject, message));
        return Task.FromResult($"msg-{_published.Count}");
    }
}

/// <summary>
/// A channel that records what it delivered, in order. <see cref="Gate"/> (open by default) holds
/// every delivery until it is opened, as a slow channel would; <see cref="Started"/> counts the
/// deliveries that reached the channel.
/// </summary>
internal sealed class RecordingChannel(ChannelKind kind = ChannelKind.File, string? name = null) : INotificationChannel
{
    private readonly ConcurrentQueue<Delivery> _delivered = new();
    private int _started;

    public ChannelKind Kind => kind;

    public string Name => name ?? kind.ToString().ToLowerInvariant();

    public IReadOnlyList<Delivery> Delivered => _delivered.ToArray();

    public int Started => Volatile.Read(ref _started);

    /// <summary>Completed: deliveries go through; replace it with a pending one to hold them.</summary>
    public TaskCompletionSource Gate { get; set; } = Open();

    /// <summary>Completed when the first delivery reaches the channel.</summary>
    public TaskCompletionSource FirstStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    public async Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _started);
        FirstStarted.TrySetResult();
        await Gate.Task.WaitAsync(cancellationToken);
        _delivered.Enqueue(delivery);
    }
}

/// <summary>
/// A channel whose delivery never completes — and, unless <paramref name="honoursCancellation"/>,
/// ignores its cancellation token too, like a socket stuck in a kernel call.
/// </summary>
internal sealed class HungChannel(ChannelKind kind = ChannelKind.Sns, bool honoursCancellation = false) : INotificationChannel
{
    private int _attempts;

    public ChannelKind Kind => kind;

    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Completed when the first attempt reaches the channel.</summary>
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _attempts);
        Started.TrySetResult();
        return honoursCancellation ? Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken) : new TaskCompletionSource().Task;
    }
}

/// <summary>A channel that throws <paramref name="failure"/> on its first <paramref name="failures"/> attempts (every attempt by default), then delivers.</summary>
internal sealed class FailingChannel(ChannelKind kind, Func<Exception> failure, int failures = int.MaxValue) : INotificationChannel
{
    private int _attempts;
    private readonly ConcurrentQueue<Delivery> _delivered = new();

    public ChannelKind Kind => kind;

    public int Attempts => Volatile.Read(ref _attempts);

    public IReadOnlyList<Delivery> Delivered => _delivered.ToArray();

    public Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _attempts) <= failures) throw failure();
        _delivered.Enqueue(delivery);
        return Task.CompletedTask;
    }
}
