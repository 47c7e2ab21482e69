namespace Regami.Dr.Core.Runbooks;

/// <summary>The audit actions the runbook engine writes, for whoever reads the trail by action.</summary>
public static class RunbookAuditActions
{
    /// <summary>The action of a step's audit events, e.g. <c>step.promote-standby</c>.</summary>
    public static string Step(string stepName) => "step." + stepName;

    /// <summary>The action of a run's start/resume/finish events, e.g. <c>runbook.failover</c>.</summary>
    public static string Run(string kind) => "runbook." + kind;
}
