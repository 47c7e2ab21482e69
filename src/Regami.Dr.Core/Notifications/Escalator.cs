using System.Globalization;
using System.Text;
using Regami.Dr.Core.Alerting;

namespace Regami.Dr.Core.Notifications;

/// <summary>
/// The stateful, pure decision part of escalation: feed it alerts and times, it answers with the
/// deliveries to make. It performs no I/O and reads no clock; whoever owns the channels (the
/// controller's notification dispatcher) carries the deliveries out.
/// </summary>
/// <remarks>
/// <para>What it decides, situation by situation:</para>
/// <list type="bullet">
/// <item>a key that is not open: notify the route of its severity;</item>
/// <item>a key that is open at the same or a more severe level: nothing (deduplicated; a lower
/// severity does not de-escalate, the alert stays at its highest level until resolved);</item>
/// <item>a key that is open at a less severe level: escalate — notify the new severity's route,
/// and forget any acknowledgement, since it was given for a lesser problem;</item>
/// <item>a tick: repeat every open, unacknowledged alert whose route repeats and whose last
/// notification is at least <see cref="EscalationPolicy.RepeatInterval"/> old;</item>
/// <item>a resolution: tell exactly the recipients that were told about the alert, then forget it.</item>
/// </list>
/// <para>Thread-safe: the monitor loop raises and ticks while the API acknowledges.</para>
/// </remarks>
public sealed class Escalator
{
    private readonly object _gate = new();
    private readonly Dictionary<string, State> _open = new(StringComparer.Ordinal);

    public Escalator(EscalationPolicy policy, IReadOnlyList<Contact> contacts)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(contacts);
        var errors = policy.Validate(contacts);
        if (errors.Count > 0)
            throw new ArgumentException("invalid escalation policy: " + string.Join("; ", errors), nameof(policy));
        Policy = policy;
        Contacts = contacts.ToArray();
    }

    public EscalationPolicy Policy { get; }

    public IReadOnlyList<Contact> Contacts { get; }

    /// <summary>The open alerts, most severe first, then oldest first.</summary>
    public IReadOnlyList<OpenAlert> Open
    {
        get
        {
            lock (_gate)
                return _open.Values
                    .OrderBy(s => s.Severity).ThenBy(s => s.RaisedAt).ThenBy(s => s.Key, StringComparer.Ordinal)
                    .Select(Snapshot)
                    .ToArray();
        }
    }

    /// <summary>
    /// Raises <paramref name="alert"/>: the deliveries for a new key or a severity escalation,
    /// nothing for a repeat of an open key. An alert with <see cref="Alert.Resolved"/> set resolves
    /// its key instead, with its body as the note.
    /// </summary>
    public IReadOnlyList<Delivery> Raise(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentException.ThrowIfNullOrWhiteSpace(alert.Key, nameof(alert) + ".Key");
        if (!Enum.IsDefined(alert.Severity))
            throw new ArgumentOutOfRangeException(nameof(alert), alert.Severity, "alert severity must be Sev1, Sev2 or Sev3");
        if (alert.Resolved)
            return Resolve(alert.Key, alert.At, string.IsNullOrWhiteSpace(alert.Body) ? null : alert.Body);

        lock (_gate)
        {
            if (!_open.TryGetValue(alert.Key, out var state))
            {
                state = new State(alert.Key, alert.Severity, alert.Title, alert.Body, alert.At);
                _open.Add(alert.Key, state);
                return Notify(state, alert.At, isRepeat: false, escalatedFrom: null);
            }
            if (alert.Severity >= state.Severity)
                return []; // the same condition, already told at this level or louder

            var previous = state.Severity;
            state.Severity = alert.Severity;
            state.Title = alert.Title;
            state.Body = alert.Body;
            state.AcknowledgedBy = null;
            state.AcknowledgedAt = null;
            state.Repeats = 0;
            return Notify(state, alert.At, isRepeat: false, escalatedFrom: previous);
        }
    }

    /// <summary>
    /// Resolves the open alert <paramref name="key"/>: a "resolved" delivery to every recipient
    /// that was told about it (first raise, escalations, repeats), and the key is closed. An unknown
    /// or already resolved key yields nothing.
    /// </summary>
    public IReadOnlyList<Delivery> Resolve(string key, DateTimeOffset at, string? note = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (!_open.Remove(key, out var state))
                return [];
            var subject = $"[RESOLVED] {state.Title}";
            var text = ResolutionText(state, at, note);
            return state.Told
                .Select(r => new Delivery(state.Key, r.Channel, r.Contact, subject, text, IsRepeat: false, IsResolution: true)
                {
                    Severity = state.Severity,
                    Address = r.Address,
                    At = at,
                })
                .ToArray();
        }
    }

    /// <summary>
    /// The repeats due at <paramref name="now"/>: for each open, unacknowledged alert whose route
    /// repeats and that was last notified at least <see cref="EscalationPolicy.RepeatInterval"/> ago.
    /// The interval restarts at <paramref name="now"/>, so a late tick does not cause a burst.
    /// </summary>
    public IReadOnlyList<Delivery> Tick(DateTimeOffset now)
    {
        lock (_gate)
        {
            var due = _open.Values
                .Where(s => s.AcknowledgedBy is null
                    && Policy.RouteFor(s.Severity).RepeatUntilAcknowledged
                    && now - s.LastNotifiedAt >= Policy.RepeatInterval)
                .OrderBy(s => s.Severity).ThenBy(s => s.RaisedAt).ThenBy(s => s.Key, StringComparer.Ordinal)
                .ToArray();
            var deliveries = new List<Delivery>();
            foreach (var state in due)
            {
                state.Repeats++;
                deliveries.AddRange(Notify(state, now, isRepeat: true, escalatedFrom: null));
            }
            return deliveries;
        }
    }

    /// <summary>
    /// Acknowledges the open alert whose id (<see cref="AlertId"/>, case-insensitive) or key is
    /// <paramref name="alertIdOrKey"/>, which stops its repeats. Returns false when no open alert
    /// matches (or an id matches several keys). Acknowledging twice keeps the first acknowledgement.
    /// </summary>
    public bool Acknowledge(string alertIdOrKey, string by, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(alertIdOrKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(by);
        lock (_gate)
        {
            if (!_open.TryGetValue(alertIdOrKey, out var state))
            {
                var byId = _open.Values.Where(s => string.Equals(s.Id, alertIdOrKey.Trim(), StringComparison.OrdinalIgnoreCase)).Take(2).ToArray();
                if (byId.Length != 1)
                    return false;
                state = byId[0];
            }
            if (state.AcknowledgedBy is null)
            {
                state.AcknowledgedBy = by;
                state.AcknowledgedAt = at;
            }
            return true;
        }
    }

    // --- deciding who hears -------------------------------------------------------------------

    private IReadOnlyList<Delivery> Notify(State state, DateTimeOffset at, bool isRepeat, Severity? escalatedFrom)
    {
        var route = Policy.RouteFor(state.Severity);
        var subject = Subject(state, isRepeat, escalatedFrom);
        var text = AlertText(state, route, escalatedFrom);
        state.LastNotifiedAt = at;
        var deliveries = new List<Delivery>();
        foreach (var recipient in RecipientsOf(route))
        {
            if (state.ToldSet.Add(recipient))
                state.Told.Add(recipient);
            deliveries.Add(new Delivery(state.Key, recipient.Channel, recipient.Contact, subject, text, isRepeat, IsResolution: false)
            {
                Severity = state.Severity,
                Address = recipient.Address,
                At = at,
                IsEscalation = escalatedFrom is not null,
            });
        }
        return deliveries;
    }

    /// <summary>
    /// The recipients of a route, channel by channel. Console, file and SNS are broadcasts. E-mail
    /// goes to each routed contact that has an address; chat to each distinct webhook the routed
    /// contacts name. When no routed contact gives an address for a per-contact channel, one
    /// undirected delivery goes to the channel's default target, so an alert is never silently
    /// dropped for want of contacts.
    /// </summary>
    private IEnumerable<Recipient> RecipientsOf(SeverityRoute route)
    {
        var contacts = route.Contacts is null
            ? Contacts
            : Contacts.Where(c => route.Contacts.Contains(c.Name, StringComparer.Ordinal)).ToArray();
        foreach (var channel in route.Channels)
        {
            switch (channel)
            {
                case ChannelKind.Email:
                    var emails = contacts.Where(c => c.Email is not null).Select(c => new Recipient(channel, c.Name, c.Email)).ToArray();
                    foreach (var r in emails.Length > 0 ? emails : [new Recipient(channel, null, null)])
                        yield return r;
                    break;
                case ChannelKind.Chat:
                    var rooms = contacts.Select(c => c.ChatWebhookName).OfType<string>().Distinct(StringComparer.Ordinal)
                        .Select(name => new Recipient(channel, null, name)).ToArray();
                    foreach (var r in rooms.Length > 0 ? rooms : [new Recipient(channel, null, null)])
                        yield return r;
                    break;
                default:
                    yield return new Recipient(channel, null, null);
                    break;
            }
        }
    }

    // --- wording ------------------------------------------------------------------------------

    private static string Tag(Severity s) => $"SEV{(int)s}";

    private static string Subject(State state, bool isRepeat, Severity? escalatedFrom)
    {
        var subject = $"[{Tag(state.Severity)}] {state.Title}";
        if (escalatedFrom is { } from)
            return $"{subject} (escalated from {Tag(from)})";
        return isRepeat ? $"{subject} (repeat {state.Repeats}, unacknowledged)" : subject;
    }

    private static string AlertText(State state, SeverityRoute route, Severity? escalatedFrom)
    {
        var text = new StringBuilder();
        if (!string.IsNullOrWhiteSpace(state.Body))
            text.Append(state.Body.TrimEnd()).Append("\n\n");
        if (escalatedFrom is { } from)
            text.Append(CultureInfo.InvariantCulture, $"Escalated from {Tag(from)} to {Tag(state.Severity)}.\n");
        text.Append(CultureInfo.InvariantCulture, $"Alert {state.Id} ({state.Key}), {Tag(state.Severity)}, raised {Time(state.RaisedAt)}.");
        if (route.RepeatUntilAcknowledged)
            text.Append(CultureInfo.InvariantCulture, $"\nRepeats until acknowledged: regami-dr alerts ack {state.Id}");
        return text.ToString();
    }

    private static string ResolutionText(State state, DateTimeOffset at, string? note)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Resolved at {Time(at)}, {Duration(at - state.RaisedAt)} after it was raised");
        text.Append(string.IsNullOrWhiteSpace(note) ? "." : $": {note.Trim()}");
        text.Append(CultureInfo.InvariantCulture, $"\nAlert {state.Id} ({state.Key}), {Tag(state.Severity)}: {state.Title}");
        if (state.AcknowledgedBy is { } by && state.AcknowledgedAt is { } ackAt)
            text.Append(CultureInfo.InvariantCulture, $"\nAcknowledged by {by} at {Time(ackAt)}.");
        return text.ToString();
    }

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Duration(TimeSpan d)
    {
        if (d < TimeSpan.Zero) d = TimeSpan.Zero;
        if (d < TimeSpan.FromMinutes(1)) return $"{(int)d.TotalSeconds} s";
        if (d < TimeSpan.FromHours(1)) return $"{(int)d.TotalMinutes} min {d.Seconds} s";
        return $"{(int)d.TotalHours} h {d.Minutes} min";
    }

    private OpenAlert Snapshot(State s) => new(
        s.Id, s.Key, s.Severity, s.Title, s.Body, s.RaisedAt, s.LastNotifiedAt, s.Repeats, s.AcknowledgedBy, s.AcknowledgedAt,
        NextRepeatAt: s.AcknowledgedBy is null && Policy.RouteFor(s.Severity).RepeatUntilAcknowledged
            ? s.LastNotifiedAt + Policy.RepeatInterval
            : null);

    /// <summary>One place on one channel: the unit of "was told".</summary>
    private readonly record struct Recipient(ChannelKind Channel, string? Contact, string? Address);

    private sealed class State(string key, Severity severity, string title, string body, DateTimeOffset raisedAt)
    {
        public string Key { get; } = key;
        public string Id { get; } = AlertId.For(key);
        public Severity Severity { get; set; } = severity;
        public string Title { get; set; } = title;
        public string Body { get; set; } = body;
        public DateTimeOffset RaisedAt { get; } = raisedAt;
        public DateTimeOffset LastNotifiedAt { get; set; } = raisedAt;
        public int Repeats { get; set; }
        public string? AcknowledgedBy { get; set; }
        public DateTimeOffset? AcknowledgedAt { get; set; }

        /// <summary>Everyone told so far, in the order first told; the resolution goes to exactly these.</summary>
        public List<Recipient> Told { get; } = [];
        public HashSet<Recipient> ToldSet { get; } = [];
    }
}
