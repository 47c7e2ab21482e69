using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Server.Notifications;

/// <summary>
/// Sends each delivery as a plain-text e-mail with MailKit, one SMTP session per delivery (alerts
/// are rare; a held connection would only go stale). The delivery's address is the recipient;
/// deliveries without one go to <c>defaultRecipients</c>. Failures throw a
/// <see cref="NotificationDeliveryException"/> carrying the server's reply; the password is never
/// part of a message.
/// </summary>
public sealed class SmtpEmailChannel : INotificationChannel
{
    private readonly SmtpOptions _options;
    private readonly IReadOnlyList<MailboxAddress> _defaultRecipients;
    private readonly MailboxAddress _from;

    public SmtpEmailChannel(SmtpOptions options, IReadOnlyList<string>? defaultRecipients = null, string name = "email")
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate().ToList();
        var recipients = new List<MailboxAddress>();
        foreach (var (address, i) in (defaultRecipients ?? []).Select((a, i) => (a, i)))
        {
            if (Mailboxes.TryParse(address, out var mailbox)) recipients.Add(mailbox);
            else errors.Add($"defaultRecipients[{i}] '{address}' is not an e-mail address");
        }
        if (errors.Count > 0)
            throw new ArgumentException("invalid SMTP options: " + string.Join("; ", errors), nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _options = options;
        Mailboxes.TryParse(options.From, out _from);
        _defaultRecipients = recipients;
        Name = name;
    }

    public ChannelKind Kind => ChannelKind.Email;

    public string Name { get; }

    public async Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var message = MessageFor(delivery);
        var server = $"{_options.Host}:{_options.Port}";
        using var client = new SmtpClient { Timeout = (int)Math.Min(int.MaxValue, _options.Timeout.TotalMilliseconds) };
        try
        {
            await client.ConnectAsync(_options.Host, _options.Port, SocketOptionsFor(_options.UseTls), cancellationToken).ConfigureAwait(false);
            if (_options.Username is { } user)
                await client.AuthenticateAsync(user, _options.Password ?? "", cancellationToken).ConfigureAwait(false);
            await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
            await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpCommandException ex)
        {
            throw new NotificationDeliveryException(Kind, Name,
                $"SMTP server {server} refused ({ex.ErrorCode}) with {(int)ex.StatusCode} {ex.Message}", ex)
            { StatusCode = (int)ex.StatusCode, ResponseExcerpt = ex.Message };
        }
        catch (AuthenticationException ex)
        {
            throw new NotificationDeliveryException(Kind, Name, $"SMTP server {server} rejected the credentials of user '{_options.Username}': {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not NotificationDeliveryException)
        {
            throw new NotificationDeliveryException(Kind, Name, $"e-mail via {server} failed: {ex.Message}", ex);
        }
    }

    private MimeMessage MessageFor(Delivery delivery)
    {
        var message = new MimeMessage();
        message.From.Add(_from);
        if (delivery.Address is { } address)
        {
            if (!Mailboxes.TryParse(address, out var mailbox))
                throw new NotificationDeliveryException(Kind, Name, $"'{address}' is not an e-mail address");
            message.To.Add(mailbox);
        }
        else if (_defaultRecipients.Count > 0)
            message.To.AddRange(_defaultRecipients);
        else
            throw new NotificationDeliveryException(Kind, Name,
                "e-mail delivery has no recipient: no contact has an e-mail address and the channel has no default recipients");
        message.Subject = delivery.Subject;
        if (delivery.At != default)
            message.Date = delivery.At;
        message.Priority = delivery.Severity == Severity.Sev1 && !delivery.IsResolution ? MessagePriority.Urgent : MessagePriority.Normal;
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Headers.Add("X-Regami-Alert-Id", delivery.AlertId);
        message.Body = new TextPart("plain") { Text = delivery.Text };
        return message;
    }

    private static SecureSocketOptions SocketOptionsFor(SmtpTlsMode mode) => mode switch
    {
        SmtpTlsMode.None => SecureSocketOptions.None,
        SmtpTlsMode.StartTls => SecureSocketOptions.StartTls,
        SmtpTlsMode.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    public override string ToString() => $"SmtpEmailChannel {{ Name = {Name}, Server = {_options} }}";
}
