namespace Regami.Dr.Core.Notifications;

/// <summary>A person (or rota) to notify.</summary>
/// <param name="Name">Unique name, used in policies and deliveries.</param>
/// <param name="Email">Where e-mail deliveries go; none means the contact gets no e-mail.</param>
/// <param name="ChatWebhookName">The name of the chat webhook (room) that reaches this contact; none means no chat delivery on their account.</param>
/// <param name="Role">What the contact is in the plan's escalation (incident commander, database lead, DevOps lead, cloud provider support); informational.</param>
public sealed record Contact(string Name, string? Email, string? ChatWebhookName, string? Role = null)
{
    /// <summary>For binding from regami-dr.yaml (`contacts:` entries with name, role, email, chatWebhookName).</summary>
    public Contact() : this("", null, null) { }
}
