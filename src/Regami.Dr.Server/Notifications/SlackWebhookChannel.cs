using System.Net.Http.Json;
using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Server.Notifications;

/// <summary>
/// Posts each delivery to a Slack-compatible incoming webhook as <c>{"text": "…"}</c>. A non-2xx
/// answer throws a <see cref="NotificationDeliveryException"/> with the status and the start of
/// the response body. The webhook URL is a secret (its path is the token): it never appears in
/// messages or <see cref="ToString"/>.
/// </summary>
public sealed class SlackWebhookChannel : INotificationChannel
{
    private readonly HttpClient _http;
    private readonly Uri _webhook;

    /// <param name="http">The client to post with (its timeout applies on top of the dispatcher's).</param>
    /// <param name="webhook">The incoming-webhook URL (secret).</param>
    /// <param name="name">The webhook's name, as contacts refer to it (<see cref="Contact.ChatWebhookName"/>).</param>
    public SlackWebhookChannel(HttpClient http, Uri webhook, string name = "chat")
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        ArgumentNullException.ThrowIfNull(webhook);
        if (!webhook.IsAbsoluteUri || (webhook.Scheme != Uri.UriSchemeHttps && webhook.Scheme != Uri.UriSchemeHttp))
            throw new ArgumentException($"the webhook of chat channel '{name}' must be an absolute http(s) URL", nameof(webhook));
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _webhook = webhook;
        Name = name;
    }

    public ChannelKind Kind => ChannelKind.Chat;

    public string Name { get; }

    public async Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var payload = new { text = TextFor(delivery) };
        HttpResponseMessage response;
        try
        {
            response = await _http.PostAsJsonAsync(_webhook, payload, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            // HttpRequestException names host and port at most; say which webhook without its secret path.
            throw new NotificationDeliveryException(Kind, Name, $"chat webhook '{Name}' ({Secrets.MaskUrl(_webhook)}) could not be reached: {ex.Message}", ex);
        }
        using (response)
        {
            if (response.IsSuccessStatusCode)
                return;
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var excerpt = Secrets.Excerpt(body);
            throw new NotificationDeliveryException(Kind, Name,
                $"chat webhook '{Name}' ({Secrets.MaskUrl(_webhook)}) answered {(int)response.StatusCode} {response.ReasonPhrase}: {excerpt}")
            {
                StatusCode = (int)response.StatusCode,
                ResponseExcerpt = excerpt,
            };
        }
    }

    /// <summary>
    /// The message text in Slack's mrkdwn: the subject in bold, then the text. <c>&amp;</c>,
    /// <c>&lt;</c> and <c>&gt;</c> are escaped as Slack requires, so alert text cannot form links or mentions.
    /// </summary>
    public static string TextFor(Delivery delivery) => $"*{Escape(delivery.Subject)}*\n{Escape(delivery.Text)}";

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    public override string ToString() => $"SlackWebhookChannel {{ Name = {Name}, Webhook = {Secrets.MaskUrl(_webhook)} }}";
}
