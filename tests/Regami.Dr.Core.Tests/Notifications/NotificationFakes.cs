using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Regami.Dr.Core.Notifications;

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
