using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Core.Tests.Notifications;

public class EscalationPolicyTests
{
    [Fact]
    public void The_plan_is_valid_and_says_what_the_written_plan_says()
    {
        var plan = EscalationPolicy.Plan;

        Assert.Empty(plan.Validate());
        Assert.Equal([ChannelKind.Console, ChannelKind.File, ChannelKind.Chat, ChannelKind.Email, ChannelKind.Sns], plan.Sev1.Channels);
        Assert.True(plan.Sev1.RepeatUntilAcknowledged);
        Assert.Null(plan.Sev1.Contacts);
        Assert.Equal([ChannelKind.Chat, ChannelKind.Email, ChannelKind.File], plan.Sev2.Channels);
        Assert.False(plan.Sev2.RepeatUntilAcknowledged);
        Assert.Equal([ChannelKind.Console, ChannelKind.File], plan.Sev3.Channels);
        Assert.Equal(TimeSpan.FromMinutes(5), plan.RepeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), EscalationPolicy.Lab.RepeatInterval);
        Assert.Same(plan.Sev2, plan.RouteFor(Severity.Sev2));
    }

    [Fact]
    public void Validate_names_every_problem_with_its_field()
    {
        var policy = new EscalationPolicy(
            Sev1: new SeverityRoute([], RepeatUntilAcknowledged: true),
            Sev2: new SeverityRoute([ChannelKind.Chat, ChannelKind.Chat]),
            Sev3: new SeverityRoute([ChannelKind.File], Contacts: [""]))
        { RepeatInterval = TimeSpan.FromSeconds(-1) };

        var errors = policy.Validate();

        Assert.Contains("repeatInterval must be greater than 0 (found -1 s)", errors);
        Assert.Contains("sev1.repeatUntilAcknowledged needs at least one channel to repeat on", errors);
        Assert.Contains("sev1.channels must name at least one channel: a complete outage must reach someone", errors);
        Assert.Contains("sev2.channels lists Chat 2 times", errors);
        Assert.Contains("sev3.contacts contains an empty name", errors);
    }

    [Fact]
    public void Validate_with_contacts_checks_names_and_addresses()
    {
        Contact[] contacts =
        [
            new("alice", "alice@regami.com", "ops"),
            new("alice", "not-an-address", null),
            new("", null, " "),
        ];

        var errors = EscalationPolicy.Plan.Validate(contacts);

        Assert.Equal(
        [
            "contacts[1].name 'alice' is used by an earlier contact; names must be unique",
            "contacts[1].email 'not-an-address' is not an e-mail address (expected local@domain)",
            "contacts[2].name must not be empty",
            "contacts[2].chatWebhookName must not be blank (leave it out for no chat)",
        ], errors);
    }
}
