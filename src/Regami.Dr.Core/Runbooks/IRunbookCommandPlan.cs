namespace Regami.Dr.Core.Runbooks;

/// <summary>
/// What a provider would run for one runbook step, as commands an SRE can read and compare with
/// the written plan (AWS: the exact AWS CLI invocations, generated from the configuration by the
/// same code that makes the calls). A dry run prints them under each step.
/// </summary>
public interface IRunbookCommandPlan
{
    /// <summary>The commands behind <paramref name="step"/> of a <paramref name="kind"/> runbook with these parameters; empty when the step calls nothing (a pure check).</summary>
    IReadOnlyList<string> CommandsFor(string kind, IReadOnlyDictionary<string, string> parameters, string step);
}
