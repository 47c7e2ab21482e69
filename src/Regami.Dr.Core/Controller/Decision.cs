using Regami.Dr.Core.Alerting;

namespace Regami.Dr.Core.Controller;

/// <summary>What the controller does this tick. Decisions are data; effects happen elsewhere.</summary>
public abstract record ControllerAction
{
    public sealed record Wait : ControllerAction;
    public sealed record Alert(Severity Severity, string Key, string Title) : ControllerAction;
    public sealed record Failover(string From, string To) : ControllerAction;
}

/// <summary>A guard's verdict: refusals are data, not log lines.</summary>
public sealed record GuardResult(string Guard, bool Passed, string Reason)
{
    public static GuardResult Pass(string guard, string reason) => new(guard, true, reason);
    public static GuardResult Refuse(string guard, string reason) => new(guard, false, reason);
}

/// <summary>The action and the situation that caused it, as a sentence an operator reads.</summary>
/// <param name="Resolves">Alert keys whose condition no longer holds.</param>
public sealed record Decision(ControllerAction Action, string Situation, IReadOnlyList<GuardResult> Guards, IReadOnlyList<string> Resolves)
{
    public bool IsFailover => Action is ControllerAction.Failover;

    /// <summary>
    /// What makes two decisions "the same situation" for the audit trail: the action, its alert
    /// key and which guards refused — not the counters in the sentence, which change every tick.
    /// </summary>
    public string Signature => Action switch
    {
        ControllerAction.Alert a => $"alert:{a.Severity}:{a.Key}",
        ControllerAction.Failover f => $"failover:{f.From}->{f.To}",
        _ => "wait",
    } + "|" + string.Join(",", Guards.Where(g => !g.Passed).Select(g => g.Guard)) + "|" + Situation.Split(' ', 3).Take(2).Aggregate("", (a, b) => a + b);
}
