namespace Regami.Dr.Core.Doctor;

/// <summary>What one rule concluded. Only <see cref="Pass"/> proves the plan is honoured on that point.</summary>
public enum RuleStatus
{
    /// <summary>Checked, and the plan is honoured.</summary>
    Pass,
    /// <summary>Checked; not a breach of the plan, but worth a look (e.g. a contact nobody can reach).</summary>
    Warn,
    /// <summary>Checked, and the plan is not honoured.</summary>
    Fail,
    /// <summary>Could not be checked (the provider did not answer): never read as a pass.</summary>
    Unknown,
    /// <summary>Does not apply to this environment (said why in the evidence).</summary>
    Skip,
}

/// <summary>One rule's verdict: what was seen (evidence) and, when it is not a pass, what to do (fix).</summary>
public sealed record DoctorFinding(string Id, string Title, RuleStatus Status, string Evidence, string? Fix = null);

/// <summary>Every rule's finding for one environment, and what the command's exit code says about them.</summary>
public sealed record DoctorReport(string Environment, string Provider, DateTimeOffset CheckedAt, IReadOnlyList<DoctorFinding> Findings)
{
    public int Count(RuleStatus status) => Findings.Count(f => f.Status == status);

    /// <summary>
    /// Healthy when no rule failed and none is unknown: a rule that could not be checked is not
    /// evidence that the plan is honoured, so a script reading the exit code must not take it as such.
    /// </summary>
    public bool Healthy => Findings.All(f => f.Status is RuleStatus.Pass or RuleStatus.Warn or RuleStatus.Skip);
}
