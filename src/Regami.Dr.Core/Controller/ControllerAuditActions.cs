namespace Regami.Dr.Core.Controller;

/// <summary>
/// The audit words the controller writes for its decisions. The drill reads its detection and
/// decision marks from the audit trail by these words, so they are defined once, here.
/// </summary>
public static class ControllerAuditActions
{
    /// <summary>The action of every change of situation the controller records (with all its inputs).</summary>
    public const string Decision = "controller.decision";

    /// <summary>The outcome of a decision to fail over (the others are <c>alert-sevN</c> and <c>info</c>).</summary>
    public const string FailoverOutcome = "failover";

    /// <summary>The standby compute pre-warm (<see cref="PrewarmDecision"/>): outcome <c>started</c>, <c>scaled-back</c> or <c>adopted</c>.</summary>
    public const string Prewarm = "controller.prewarm";
}
