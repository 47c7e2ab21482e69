using Regami.Dr.Core.Alerting;

namespace Regami.Dr.Core.Notifications;

/// <summary>Who hears about alerts of one severity, and how.</summary>
/// <param name="Channels">The channel kinds to deliver on, in delivery order.</param>
/// <param name="Contacts">The contacts (by name) to reach on per-contact channels (e-mail, chat); <c>null</c> means every contact.</param>
/// <param name="RepeatUntilAcknowledged">Re-send every <see cref="EscalationPolicy.RepeatInterval"/> until someone acknowledges.</param>
public sealed record SeverityRoute(IReadOnlyList<ChannelKind> Channels, IReadOnlyList<string>? Contacts = null, bool RepeatUntilAcknowledged = false);

/// <summary>
/// The escalation part of the DR plan as data: a route per severity and the repeat interval for
/// alerts that must be acknowledged. <see cref="Plan"/> is the written plan; <see cref="Lab"/> the
/// same with a short interval for drills.
/// </summary>
public sealed record EscalationPolicy(SeverityRoute Sev1, SeverityRoute Sev2, SeverityRoute Sev3)
{
    /// <summary>The plan's repeat interval for unacknowledged Sev1 alerts.</summary>
    public static readonly TimeSpan PlanRepeatInterval = TimeSpan.FromMinutes(5);

    /// <summary>The lab's repeat interval, so a drill sees repeats.</summary>
    public static readonly TimeSpan LabRepeatInterval = TimeSpan.FromSeconds(30);

    /// <summary>How long an alert whose route repeats may stay unacknowledged before it is sent again (default 5 min).</summary>
    public TimeSpan RepeatInterval { get; init; } = PlanRepeatInterval;

    /// <summary>
    /// The written plan: Sev1 (outage) pages every contact on every channel until acknowledged;
    /// Sev2 (degraded) goes to chat and e-mail, and is written to the file so a degraded period
    /// leaves a record; Sev3 (potential) is recorded on the console and in the file.
    /// </summary>
    public static EscalationPolicy Plan { get; } = new(
        Sev1: new SeverityRoute([ChannelKind.Console, ChannelKind.File, ChannelKind.Chat, ChannelKind.Email, ChannelKind.Sns], RepeatUntilAcknowledged: true),
        Sev2: new SeverityRoute([ChannelKind.Chat, ChannelKind.Email, ChannelKind.File]),
        Sev3: new SeverityRoute([ChannelKind.Console, ChannelKind.File]));

    /// <summary><see cref="Plan"/> with a 30 s repeat interval.</summary>
    public static EscalationPolicy Lab { get; } = Plan with { RepeatInterval = LabRepeatInterval };

    public SeverityRoute RouteFor(Severity severity) => severity switch
    {
        Severity.Sev1 => Sev1,
        Severity.Sev2 => Sev2,
        Severity.Sev3 => Sev3,
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, "severity must be Sev1, Sev2 or Sev3"),
    };

    /// <summary>Every problem with the policy alone, one sentence each; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (RepeatInterval <= TimeSpan.Zero)
            errors.Add($"repeatInterval must be greater than 0 (found {RepeatInterval.TotalSeconds} s)");
        foreach (var (field, route) in Routes())
        {
            if (route is null)
            {
                errors.Add($"{field} must be set");
                continue;
            }
            if (route.Channels is null)
            {
                errors.Add($"{field}.channels must be set");
                continue;
            }
            foreach (var kind in route.Channels)
                if (!Enum.IsDefined(kind))
                    errors.Add($"{field}.channels contains an unknown channel kind ({(int)kind})");
            foreach (var duplicate in route.Channels.GroupBy(k => k).Where(g => g.Count() > 1))
                errors.Add($"{field}.channels lists {duplicate.Key} {duplicate.Count()} times");
            if (route.RepeatUntilAcknowledged && route.Channels.Count == 0)
                errors.Add($"{field}.repeatUntilAcknowledged needs at least one channel to repeat on");
            if (route.Contacts is { } names)
                foreach (var name in names)
                    if (string.IsNullOrWhiteSpace(name))
                        errors.Add($"{field}.contacts contains an empty name");
        }
        // Sev1 is the outage: a policy that tells nobody about it is a misconfiguration, not a choice.
        if (Sev1?.Channels is { Count: 0 })
            errors.Add("sev1.channels must name at least one channel: a complete outage must reach someone");
        return errors;
    }

    /// <summary>
    /// Every problem with the policy and the contacts it routes to: contact names unique and
    /// non-empty, e-mail addresses plausible, every contact a route names exists.
    /// </summary>
    public IReadOnlyList<string> Validate(IReadOnlyList<Contact> contacts)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var errors = Validate().ToList();
        var known = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < contacts.Count; i++)
        {
            var c = contacts[i];
            var field = $"contacts[{i}]";
            if (c is null)
            {
                errors.Add($"{field} must be set");
                continue;
            }
            if (string.IsNullOrWhiteSpace(c.Name))
                errors.Add($"{field}.name must not be empty");
            else if (!known.Add(c.Name))
                errors.Add($"{field}.name '{c.Name}' is used by an earlier contact; names must be unique");
            if (c.Email is { } email && !LooksLikeEmailAddress(email))
                errors.Add($"{field}.email '{email}' is not an e-mail address (expected local@domain)");
            if (c.ChatWebhookName is { } hook && string.IsNullOrWhiteSpace(hook))
                errors.Add($"{field}.chatWebhookName must not be blank (leave it out for no chat)");
        }
        foreach (var (field, route) in Routes())
            if (route?.Contacts is { } names)
                foreach (var name in names.Where(n => !string.IsNullOrWhiteSpace(n) && !known.Contains(n)))
                    errors.Add($"{field}.contacts names '{name}', which is not a configured contact");
        return errors;
    }

    private IEnumerable<(string Field, SeverityRoute? Route)> Routes() =>
        [("sev1", Sev1), ("sev2", Sev2), ("sev3", Sev3)];

    internal static bool LooksLikeEmailAddress(string address)
    {
        var at = address.LastIndexOf('@');
        return at > 0 && at < address.Length - 1 && !address.Any(char.IsWhiteSpace)
            && address.IndexOfAny(['<', '>', ',', ';']) < 0;
    }
}
