using System.Globalization;
using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Server.Notifications;

/// <summary>Writes each delivery to a text writer (the controller's standard output): the subject on one line, the text indented below.</summary>
public sealed class ConsoleChannel(TextWriter writer) : INotificationChannel
{
    private readonly TextWriter _writer = writer ?? throw new ArgumentNullException(nameof(writer));
    private readonly object _gate = new();

    public ChannelKind Kind => ChannelKind.Console;

    public string Name => "console";

    public Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        cancellationToken.ThrowIfCancellationRequested();
        var lines = delivery.Text.Split('\n').Select(l => "    " + l.TrimEnd('\r'));
        var block = $"{delivery.At.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)} {delivery.Subject}"
            + Environment.NewLine + string.Join(Environment.NewLine, lines);
        // One write per delivery under a lock, so concurrent deliveries never interleave.
        lock (_gate)
        {
            _writer.WriteLine(block);
            _writer.Flush();
        }
        return Task.CompletedTask;
    }
}
