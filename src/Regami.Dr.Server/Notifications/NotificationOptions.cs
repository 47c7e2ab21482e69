using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Server.Notifications;

/// <summary>
/// The notification part of the configuration: which channels exist, who the contacts are and how
/// often unacknowledged Sev1 alerts repeat. Plain data with the plan's defaults, validated once at
/// start-up (<see cref="Validate"/>). The chat webhook URLs and the SMTP password are secrets:
/// <see cref="ToString"/> masks them and validation messages never echo them.
/// </summary>
public sealed record NotificationOptions
{
    /// <summary>Write notifications to the controller's standard output (default on).</summary>
    public bool Console { get; init; } = true;

    /// <summary>Append notifications as JSON lines to this file; none for no file.</summary>
    public string? FilePath { get; init; }

    /// <summary>Slack-compatible incoming webhooks by name (the name contacts use in <see cref="Contact.ChatWebhookName"/>). The URLs are secrets.</summary>
    public IReadOnlyDictionary<string, string> ChatWebhooks { get; init; } = new Dictionary<string, string>();

    /// <summary>The SMTP server for e-mail; none for no e-mail.</summary>
    public SmtpOptions? Smtp { get; init; }

    /// <summary>Where e-mail goes when no routed contact has an address.</summary>
    public IReadOnlyList<string> DefaultEmailRecipients { get; init; } = [];

    /// <summary>The SNS topic to publish to (AWS); none for no SNS.</summary>
    public string? SnsTopicArn { get; init; }

    public IReadOnlyList<Contact> Contacts { get; init; } = [];

    /// <summary>How long a Sev1 alert may stay unacknowledged before it is sent again (plan 5 min, lab 30 s).</summary>
    public TimeSpan RepeatInterval { get; init; } = EscalationPolicy.PlanRepeatInterval;

    /// <summary>How long one delivery on one channel may take (default 30 s).</summary>
    public TimeSpan DeliveryTimeout { get; init; } = NotificationDispatcher.DefaultDeliveryTimeout;

    /// <summary>The lab's defaults: console only, 30 s repeats.</summary>
    public static NotificationOptions Lab { get; } = new() { RepeatInterval = EscalationPolicy.LabRepeatInterval };

    /// <summary>The plan's escalation policy with this repeat interval.</summary>
    public EscalationPolicy ToPolicy() => EscalationPolicy.Plan with { RepeatInterval = RepeatInterval };

    /// <summary>Every problem, one sentence each, naming the field; empty when the options are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (FilePath is not null && string.IsNullOrWhiteSpace(FilePath))
            errors.Add("filePath must not be blank (leave it out for no file)");
        else if (FilePath is not null && FilePath.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            errors.Add($"filePath '{FilePath}' contains characters that are not allowed in a path");

        foreach (var (name, url) in ChatWebhooks ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrWhiteSpace(name))
                errors.Add("chatWebhooks has an entry with an empty name");
            // Never echo the URL: it is the secret.
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
                errors.Add($"chatWebhooks.{name} must be an absolute http(s) URL");
        }

        if (Smtp is not null)
            errors.AddRange(Smtp.Validate("smtp"));
        for (var i = 0; i < (DefaultEmailRecipients ?? []).Count; i++)
            if (!Mailboxes.TryParse(DefaultEmailRecipients![i], out _))
                errors.Add($"defaultEmailRecipients[{i}] '{DefaultEmailRecipients[i]}' is not an e-mail address");
        if (DefaultEmailRecipients is { Count: > 0 } && Smtp is null)
            errors.Add("defaultEmailRecipients is set but smtp is not configured");

        if (SnsTopicArn is not null && !SnsChannel.IsTopicArn(SnsTopicArn))
            errors.Add($"snsTopicArn '{SnsTopicArn}' is not an SNS topic ARN (expected arn:aws:sns:REGION:ACCOUNT:NAME)");

        if (DeliveryTimeout <= TimeSpan.Zero)
            errors.Add($"deliveryTimeout must be greater than 0 (found {DeliveryTimeout.TotalSeconds} s)");

        var contacts = Contacts ?? [];
        errors.AddRange(ToPolicy().Validate(contacts));
        for (var i = 0; i < contacts.Count; i++)
            if (contacts[i]?.ChatWebhookName is { } hook && !string.IsNullOrWhiteSpace(hook) && !(ChatWebhooks?.ContainsKey(hook) ?? false))
                errors.Add($"contacts[{i}].chatWebhookName '{hook}' names no entry of chatWebhooks");
        return errors;
    }

    public override string ToString()
    {
        var hooks = string.Join(", ", (ChatWebhooks ?? new Dictionary<string, string>()).OrderBy(w => w.Key, StringComparer.Ordinal)
            .Select(w => $"{w.Key} = {Secrets.MaskUrl(w.Value)}"));
        var contacts = string.Join(", ", (Contacts ?? []).Select(c => c?.Name));
        return $"NotificationOptions {{ Console = {Console}, FilePath = {FilePath ?? "(none)"}, ChatWebhooks = [{hooks}], " +
            $"Smtp = {Smtp?.ToString() ?? "(none)"}, DefaultEmailRecipients = [{string.Join(", ", DefaultEmailRecipients ?? [])}], " +
            $"SnsTopicArn = {SnsTopicArn ?? "(none)"}, Contacts = [{contacts}], RepeatInterval = {RepeatInterval}, DeliveryTimeout = {DeliveryTimeout} }}";
    }
}
