using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Core.Tests.Notifications;

public class EscalatorTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private static readonly Contact[] Team =
    [
        new("alice", "alice@regami.com", "ops"),
        new("bob", "bob@regami.com", "ops"),
        new("carol", "carol@regami.com", "oncall"),
        new("dave", null, null),
    ];

    private const string PrimaryDown = "alarm:primary-unhealthy-eu-west-3";

    private Escalator NewEscalator(EscalationPolicy? policy = null, IReadOnlyList<Contact>? contacts = null) =>
        new(policy ?? EscalationPolicy.Plan, contacts ?? Team);

    private Alert At(Severity severity, string key = PrimaryDown, string title = "Primary region eu-west-3 unhealthy") =>
        new(key, severity, title, "Health check failed 3/3 times from 2/2 vantage points.", _time.GetUtcNow());

    /// <summary>Where the deliveries go, as "Kind:contact:address" strings in delivery order.</summary>
    private static string[] Targets(IEnumerable<Delivery> deliveries) =>
        deliveries.Select(d => $"{d.Channel}:{d.Contact}:{d.Address}").ToArray();

    private static readonly string[] EveryChannelAndContact =
    [
        "Console::", "File::",
        "Chat::ops", "Chat::oncall",
        "Email:alice:alice@regami.com", "Email:bob:bob@regami.com", "Email:carol:carol@regami.com",
        "Sns::",
    ];

    [Fact]
    public void Sev1_reaches_every_channel_and_every_contact()
    {
        var deliveries = NewEscalator().Raise(At(Severity.Sev1));

        Assert.Equal(EveryChannelAndContact, Targets(deliveries));
        Assert.All(deliveries, d =>
        {
            Assert.Equal(PrimaryDown, d.AlertKey);
            Assert.Equal(Severity.Sev1, d.Severity);
            Assert.Equal("[SEV1] Primary region eu-west-3 unhealthy", d.Subject);
            Assert.StartsWith("Health check failed 3/3 times from 2/2 vantage points.", d.Text);
            Assert.Contains($"regami-dr alerts ack {AlertId.For(PrimaryDown)}", d.Text);
            Assert.False(d.IsRepeat);
            Assert.False(d.IsResolution);
            Assert.Equal(Start, d.At);
        });
    }

    [Fact]
    public void Sev2_goes_to_chat_and_email_and_is_recorded_in_the_file()
    {
        var deliveries = NewEscalator().Raise(At(Severity.Sev2, "alarm:replica-lag-eu-central-1", "Replica lag above 300 s"));

        Assert.Equal(
            ["Chat::ops", "Chat::oncall", "Email:alice:alice@regami.com", "Email:bob:bob@regami.com", "Email:carol:carol@regami.com", "File::"],
            Targets(deliveries));
        Assert.All(deliveries, d => Assert.Equal("[SEV2] Replica lag above 300 s", d.Subject));
        Assert.DoesNotContain("alerts ack", deliveries[0].Text); // Sev2 does not repeat, so nothing to acknowledge
    }

    [Fact]
    public void Sev3_is_only_recorded()
    {
        var deliveries = NewEscalator().Raise(At(Severity.Sev3, "alarm:lag-rising", "Replica lag rising"));

        Assert.Equal(["Console::", "File::"], Targets(deliveries));
    }

    [Fact]
    public void A_repeat_of_an_open_alert_is_deduplicated_and_a_lower_severity_does_not_deescalate()
    {
        var escalator = NewEscalator();
        Assert.NotEmpty(escalator.Raise(At(Severity.Sev2)));

        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Empty(escalator.Raise(At(Severity.Sev2)));
        Assert.Empty(escalator.Raise(At(Severity.Sev3)));

        var open = Assert.Single(escalator.Open);
        Assert.Equal(Severity.Sev2, open.Severity);
        Assert.Equal(Start, open.RaisedAt);
        Assert.Equal(Start, open.LastNotifiedAt);
    }

    [Fact]
    public void Different_keys_are_different_alerts()
    {
        var escalator = NewEscalator();

        Assert.NotEmpty(escalator.Raise(At(Severity.Sev2, "alarm:a")));
        Assert.NotEmpty(escalator.Raise(At(Severity.Sev2, "alarm:b")));
        Assert.Equal(2, escalator.Open.Count);
    }

    [Fact]
    public void A_severity_upgrade_renotifies_on_the_new_route()
    {
        var escalator = NewEscalator();
        escalator.Raise(At(Severity.Sev2, title: "Primary region eu-west-3 degraded"));
        _time.Advance(TimeSpan.FromMinutes(2));

        var deliveries = escalator.Raise(At(Severity.Sev1, title: "Primary region eu-west-3 down"));

        Assert.Equal(EveryChannelAndContact, Targets(deliveries));
        Assert.All(deliveries, d =>
        {
            Assert.True(d.IsEscalation);
            Assert.False(d.IsRepeat);
            Assert.Equal("[SEV1] Primary region eu-west-3 down (escalated from SEV2)", d.Subject);
            Assert.Contains("Escalated from SEV2 to SEV1.", d.Text);
        });
        var open = Assert.Single(escalator.Open);
        Assert.Equal(Severity.Sev1, open.Severity);
        Assert.Equal(Start, open.RaisedAt);
        Assert.Equal(Start.AddMinutes(2), open.LastNotifiedAt);

        Assert.Empty(escalator.Raise(At(Severity.Sev1)));
    }

    [Fact]
    public void Sev1_repeats_every_interval_until_acknowledged_then_stops()
    {
        var escalator = NewEscalator();
        escalator.Raise(At(Severity.Sev1));

        _time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.Empty(escalator.Tick(_time.GetUtcNow()));

        _time.Advance(TimeSpan.FromSeconds(1));
        var first = escalator.Tick(_time.GetUtcNow());
        Assert.Equal(EveryChannelAndContact, Targets(first));
        Assert.All(first, d =>
        {
            Assert.True(d.IsRepeat);
            Assert.Equal("[SEV1] Primary region eu-west-3 unhealthy (repeat 1, unacknowledged)", d.Subject);
            Assert.Equal(Start.AddMinutes(5), d.At);
        });
        Assert.Empty(escalator.Tick(_time.GetUtcNow()));

        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Empty(escalator.Tick(_time.GetUtcNow()));
        _time.Advance(TimeSpan.FromMinutes(1));
        var second = escalator.Tick(_time.GetUtcNow());
        Assert.Equal(EveryChannelAndContact.Length, second.Count);
        Assert.All(second, d => Assert.Contains("(repeat 2, unacknowledged)", d.Subject));
        Assert.Equal(Start.AddMinutes(15), Assert.Single(escalator.Open).NextRepeatAt);

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(escalator.Acknowledge(PrimaryDown, "alice", _time.GetUtcNow()));

        for (var i = 0; i < 6; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(5));
            Assert.Empty(escalator.Tick(_time.GetUtcNow()));
        }
        var open = Assert.Single(escalator.Open);
        Assert.Equal("alice", open.AcknowledgedBy);
        Assert.Equal(Start.AddMinutes(11), open.AcknowledgedAt);
        Assert.Null(open.NextRepeatAt);
        Assert.Equal(2, open.Repeats);
    }

    [Fact]
    public void A_late_tick_sends_one_repeat_and_restarts_the_interval()
    {
        var escalator = NewEscalator();
        escalator.Raise(At(Severity.Sev1));

        _time.Advance(TimeSpan.FromMinutes(17)); // the loop was stalled
        Assert.Equal(EveryChannelAndContact.Length, escalator.Tick(_time.GetUtcNow()).Count);
        Assert.Empty(escalator.Tick(_time.GetUtcNow()));
        Assert.Equal(Start.AddMinutes(22), escalator.Open[0].NextRepeatAt);
    }

    [Fact]
    public void The_lab_policy_repeats_every_30_seconds()
    {
        var escalator = NewEscalator(EscalationPolicy.Lab);
        escalator.Raise(At(Severity.Sev1));

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(escalator.Tick(_time.GetUtcNow()));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotEmpty(escalator.Tick(_time.GetUtcNow()));
    }

    [Fact]
    public void Sev2_and_sev3_never_repeat()
    {
        var escalator = NewEscalator();
        escalator.Raise(At(Severity.Sev2, "alarm:a"));
        escalator.Raise(At(Severity.Sev3, "alarm:b"));

        _time.Advance(TimeSpan.FromHours(2));

        Assert.Empty(escalator.Tick(_time.GetUtcNow()));
        Assert.All(escalator.Open, o => Assert.Null(o.NextRepeatAt));
    }

    [Fact]
    public void An_escalation_clears_an_acknowledgement_given_for_the_lesser_problem()
    {
        var escalator = NewEscalator();
        escalator.Raise(At(Severity.Sev2));
        Assert.True(escalator.Acknowledge(PrimaryDown, "bob", _time.GetUtcNow()));

        _time.Advance(TimeSpan.FromMinutes(1));
        escalator.Raise(At(Severity.Sev1));
        Assert.False(escalator.Open[0].IsAcknowledged);

        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.NotEmpty(escalator.Tick(_time.GetUtcNow()));
    }

    [Fact]
    public void Resolve_tells_exactly_the_recipients_that_were_told()
    {
        var escalator = NewEscalator();
        escalator.Raise(At(Severity.Sev3, "alarm:lag", "Replica lag rising"));
        _time.Advance(TimeSpan.FromMinutes(3));

        var resolution = escalator.Resolve("alarm:lag", _time.GetUtcNow(), "lag back under 1 s");

        Assert.Equal(["Console::", "File::"], Targets(resolution));
        Assert.All(resolution, d =>
        {
            Assert.True(d.IsResolution);
            Assert.False(d.IsRepeat);
            Assert.Equal("[RESOLVED] Replica lag rising", d.Subject);
            Assert.StartsWith("Resolved at 2026-11-24 09:03:00Z, 3 min 0 s after it was raised: lag back under 1 s", d.Text);
        });
        Assert.Empty(escalator.Open);
        Assert.Empty(escalator.Resolve("alarm:lag", _time.GetUtcNow()));
    }

    [Fact]
    public void Resolve_after_an_escalation_tells_everyone_told_at_either_level()
    {
        var contacts = new[] { new Contact("alice", "alice@regami.com", "ops"), new Contact("oncall", "oncall@regami.com", "pager") };
        var policy = EscalationPolicy.Plan with
        {
            Sev1 = new SeverityRoute([ChannelKind.Sns, ChannelKind.Email], Contacts: ["oncall"], RepeatUntilAcknowledged: true),
            Sev2 = new SeverityRoute([ChannelKind.Chat, ChannelKind.Email], Contacts: ["alice"]),
        };
        var escalator = NewEscalator(policy, contacts);
        Assert.Equal(["Chat::ops", "Email:alice:alice@regami.com"], Targets(escalator.Raise(At(Severity.Sev2))));
        Assert.Equal(["Sns::", "Email:oncall:oncall@regami.com"], Targets(escalator.Raise(At(Severity.Sev1))));

        var resolution = escalator.Resolve(PrimaryDown, _time.GetUtcNow());

        Assert.Equal(["Chat::ops", "Email:alice:alice@regami.com", "Sns::", "Email:oncall:oncall@regami.com"], Targets(resolution));
        Assert.All(resolution, d => Assert.Equal(Severity.Sev1, d.Severity));
    }

    [Fact]
    public void A_resolved_alert_raised_again_is_a_new_alert()
    {
        var escalator = NewEscalator();
        escalator.Raise(At(Severity.Sev2));
        escalator.Resolve(PrimaryDown, _time.GetUtcNow());

        _time.Advance(TimeSpan.FromMinutes(10));
        var again = escalator.Raise(At(Severity.Sev2));

        Assert.Equal(6, again.Count);
        Assert.Equal(Start.AddMinutes(10), escalator.Open[0].RaisedAt);
    }

    [Fact]
    public void An_alert_marked_resolved_resolves_its_key_with_the_body_as_note()
    {
        var escalator = NewEscalator();
        escalator.Raise(At(Severity.Sev1));
        _time.Advance(TimeSpan.FromSeconds(90));

        var resolution = escalator.Raise(new Alert(PrimaryDown, Severity.Sev1, "Primary healthy again", "3/3 checks passed", _time.GetUtcNow(), Resolved: true));

        Assert.Equal(EveryChannelAndContact, Targets(resolution));
        Assert.All(resolution, d => Assert.StartsWith("Resolved at 2026-11-24 09:01:30Z, 1 min 30 s after it was raised: 3/3 checks passed", d.Text));
        Assert.Empty(escalator.Open);
    }

    [Fact]
    public void Acknowledge_by_short_id_which_is_8_hex_of_the_sha256_of_the_key()
    {
        var escalator = NewEscalator();
        escalator.Raise(At(Severity.Sev1, "failover:run-42"));
        escalator.Raise(At(Severity.Sev1, "alarm:other"));
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("failover:run-42")))[..8];

        var open = escalator.Open.Single(o => o.Key == "failover:run-42");
        Assert.Equal(expected, open.Id);
        Assert.Equal(expected, AlertId.For("failover:run-42"));
        Assert.Equal(expected, new Alert("failover:run-42", Severity.Sev1, "t", "b", Start).Id);

        Assert.False(escalator.Acknowledge("0000000g", "alice", Start));
        Assert.True(escalator.Acknowledge(expected.ToUpperInvariant(), "alice", Start.AddMinutes(1)));
        Assert.True(escalator.Acknowledge(expected, "bob", Start.AddMinutes(2)));   // already acknowledged: the first one stays

        var acked = escalator.Open.Single(o => o.Key == "failover:run-42");
        Assert.Equal("alice", acked.AcknowledgedBy);
        Assert.Equal(Start.AddMinutes(1), acked.AcknowledgedAt);
        Assert.False(escalator.Open.Single(o => o.Key == "alarm:other").IsAcknowledged);

        _time.Advance(TimeSpan.FromMinutes(5));
        var repeats = escalator.Tick(_time.GetUtcNow());
        Assert.All(repeats, d => Assert.Equal("alarm:other", d.AlertKey));
        Assert.NotEmpty(repeats);
    }

    [Fact]
    public void Acknowledging_an_unknown_or_resolved_alert_returns_false()
    {
        var escalator = NewEscalator();
        Assert.False(escalator.Acknowledge(PrimaryDown, "alice", Start));

        escalator.Raise(At(Severity.Sev1));
        escalator.Resolve(PrimaryDown, Start);
        Assert.False(escalator.Acknowledge(AlertId.For(PrimaryDown), "alice", Start));
    }

    [Fact]
    public void Without_contacts_email_and_chat_get_one_undirected_delivery_each()
    {
        var deliveries = NewEscalator(contacts: []).Raise(At(Severity.Sev1));

        Assert.Equal(["Console::", "File::", "Chat::", "Email::", "Sns::"], Targets(deliveries));
    }

    [Fact]
    public void Open_lists_the_most_severe_first_then_the_oldest()
    {
        var escalator = NewEscalator();
        escalator.Raise(At(Severity.Sev3, "alarm:c"));
        _time.Advance(TimeSpan.FromSeconds(1));
        escalator.Raise(At(Severity.Sev1, "alarm:b"));
        _time.Advance(TimeSpan.FromSeconds(1));
        escalator.Raise(At(Severity.Sev1, "alarm:a"));

        Assert.Equal(["alarm:b", "alarm:a", "alarm:c"], escalator.Open.Select(o => o.Key));
        Assert.Equal(Start.AddSeconds(1).AddMinutes(5), escalator.Open[0].NextRepeatAt);
    }

    [Fact]
    public void An_alert_without_a_key_is_refused()
    {
        var escalator = NewEscalator();

        Assert.Throws<ArgumentException>(() => escalator.Raise(At(Severity.Sev1, key: " ")));
        Assert.Throws<ArgumentOutOfRangeException>(() => escalator.Raise(At((Severity)7)));
    }

    [Fact]
    public void The_constructor_refuses_an_invalid_policy_naming_the_fields()
    {
        var policy = EscalationPolicy.Plan with
        {
            RepeatInterval = TimeSpan.Zero,
            Sev2 = new SeverityRoute([ChannelKind.Chat], Contacts: ["zoe"]),
        };

        var ex = Assert.Throws<ArgumentException>(() => new Escalator(policy, Team));

        Assert.Contains("repeatInterval must be greater than 0", ex.Message);
        Assert.Contains("sev2.contacts names 'zoe', which is not a configured contact", ex.Message);
    }
}
