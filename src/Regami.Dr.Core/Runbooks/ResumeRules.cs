using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Core.Runbooks;

/// <summary>Whether an unfinished run may be resumed, and why (or why not): the reason is shown to the operator and journaled.</summary>
public sealed record ResumeVerdict(bool Resume, string Reason);

/// <summary>When the runbook journal's unfinished runs are resumed, bound from <c>runbooks:</c>.</summary>
public sealed record RunbookPolicy
{
    /// <summary>An unfinished run that stopped longer ago than this is not resumed without being named (`runbook resume ID`).</summary>
    public TimeSpan MaxResumeAge { get; init; } = TimeSpan.FromHours(1);

    public IEnumerable<string> Validate()
    {
        if (MaxResumeAge <= TimeSpan.Zero) yield return "maxResumeAge must be greater than 0";
    }
}

/// <summary>
/// The resume rule as a pure function. A run found unfinished is resumed on its own only while
/// the world it stopped in is still the world: not older than <see cref="RunbookPolicy.MaxResumeAge"/>,
/// and no other run has happened since it stopped (another failover, switchover or failback may
/// have changed the roles its remaining steps assume). A run the operator names explicitly is
/// resumed whatever its age — its guard steps run again anyway.
/// </summary>
public static class ResumeRules
{
    public static ResumeVerdict Judge(RunRecord run, DateTimeOffset now, RunbookPolicy policy, IReadOnlyList<RunRecord> recentRuns, bool named)
    {
        var stoppedAt = LastActivity(run);
        var age = now - stoppedAt;
        var ago = age.TotalMinutes >= 2 ? $"{age.TotalMinutes:0} min" : $"{age.TotalSeconds:0} s";
        if (named) return new(true, $"run {run.Id} was named; it stopped {ago} ago; its guard steps run again");
        var later = recentRuns.Where(r => r.Id != run.Id && r.StartedAt > stoppedAt).OrderBy(r => r.StartedAt).FirstOrDefault();
        if (later is not null)
            return new(false, $"run {run.Id} ({run.Kind}) stopped {ago} ago and run {later.Id} ({later.Kind}, {later.Outcome.ToString().ToLowerInvariant()}) ran after it: the roles its remaining steps assume may have changed");
        if (age > policy.MaxResumeAge)
            return new(false, $"run {run.Id} ({run.Kind}) stopped {ago} ago, longer than runbooks.maxResumeAge ({policy.MaxResumeAge.TotalMinutes:0} min)");
        return new(true, $"run {run.Id} stopped {ago} ago (within runbooks.maxResumeAge); its guard steps run again");
    }

    /// <summary>When the run last did something: its last step's end or start, else its finish or start.</summary>
    public static DateTimeOffset LastActivity(RunRecord run) =>
        new[] { run.StartedAt, run.FinishedAt ?? run.StartedAt }
            .Concat(run.Steps.Select(s => s.FinishedAt ?? s.StartedAt))
            .Max();
}
