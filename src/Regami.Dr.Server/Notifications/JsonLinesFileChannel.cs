using System.Collections.Concurrent;
using System.Text.Json;
using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Server.Notifications;

/// <summary>
/// Appends one JSON object per delivery, one per line, to a file (the notification record).
/// Creates the directory. Each line is written with a single write call while holding a lock per
/// file path, so lines from concurrent deliveries in this process never interleave and a reader
/// never sees half a line except after a crash mid-write.
/// </summary>
/// <remarks>
/// Across processes it is only "atomic-ish": .NET opens <see cref="FileMode.Append"/> without
/// <c>O_APPEND</c> (it seeks to the end, checked with strace), so two processes appending to the
/// same file at the same instant could overwrite each other's line. The file belongs to the one
/// controller that writes it; give other writers their own file.
/// </remarks>
public sealed class JsonLinesFileChannel : INotificationChannel
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new(StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly SemaphoreSlim _lock;

    public JsonLinesFileChannel(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _lock = Locks.GetOrAdd(Path, _ => new SemaphoreSlim(1, 1));
    }

    /// <summary>The full path of the file.</summary>
    public string Path { get; }

    public ChannelKind Kind => ChannelKind.File;

    public string Name => "file";

    public async Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var line = JsonSerializer.SerializeToUtf8Bytes(Line.From(delivery), Json);
        var bytes = new byte[line.Length + 1];
        line.CopyTo(bytes, 0);
        bytes[^1] = (byte)'\n';

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } dir)
                Directory.CreateDirectory(dir);
            // bufferSize 0: no FileStream buffer, so the line reaches the file in one write call.
            await using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, useAsync: true);
            await file.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The shape of one line (camelCase JSON).</summary>
    internal sealed record Line(
        DateTimeOffset At,
        string AlertId,
        string AlertKey,
        int Severity,
        string Event,
        string Channel,
        string? Contact,
        string Subject,
        string Text)
    {
        public static Line From(Delivery d) => new(
            d.At, d.AlertId, d.AlertKey, (int)d.Severity,
            Event: d.IsResolution ? "resolved" : d.IsEscalation ? "escalated" : d.IsRepeat ? "repeated" : "raised",
            Channel: d.Channel.ToString().ToLowerInvariant(), d.Contact, d.Subject, d.Text);
    }
}
