namespace Regami.Dr.Core.Runbooks;

/// <summary>Timeout and retries of one step; named, with units, validated when the runbook is built.</summary>
public sealed record StepOptions(TimeSpan Timeout, int MaxRetryAttempts = 0, TimeSpan? RetryDelay = null)
{
    public static readonly StepOptions Default = new(TimeSpan.FromSeconds(60));

    public IEnumerable<string> Validate(string step)
    {
        if (Timeout <= TimeSpan.Zero) yield return $"step {step}: timeout must be positive";
        if (MaxRetryAttempts is < 0 or > 20) yield return $"step {step}: retries must be 0..20";
    }
}

/// <summary>
/// One named step of a runbook. Idempotent by construction: <see cref="AlreadyDone"/> says
/// whether the world is already as the step would leave it (then it is skipped), so a resumed
/// or repeated run never does a thing twice.
/// </summary>
public sealed record RunbookStep
{
    /// <summary>Stable, kebab-case: the journal resumes by it.</summary>
    public required string Name { get; init; }

    /// <summary>What the step does, as a sentence for the plan and the dry run.</summary>
    public required string Description { get; init; }

    public string? Region { get; init; }

    public StepOptions Options { get; init; } = StepOptions.Default;

    /// <summary>
    /// A guard (target reachable, RPO, single writer…): it reads the world and refuses. A resumed
    /// run runs its guards again however they ended before — what they checked may no longer hold.
    /// </summary>
    public bool IsGuard { get; init; }

    /// <summary>Returns why the step is not needed, or null when it must run. Reads only.</summary>
    public Func<RunbookContext, CancellationToken, Task<string?>>? AlreadyDone { get; init; }

    /// <summary>Does the work; returns what it did as a sentence. Throws <see cref="GuardRefusedException"/> to refuse.</summary>
    public required Func<RunbookContext, CancellationToken, Task<string>> Execute { get; init; }

    /// <summary>Checks the effect; returns the problem, or null when the effect holds.</summary>
    public Func<RunbookContext, CancellationToken, Task<string?>>? Verify { get; init; }
}

/// <summary>A guard refused to let the runbook go on: nothing unsafe was done; exit code 3.</summary>
public sealed class GuardRefusedException(string guard, string reason) : Exception(reason)
{
    public string Guard { get; } = guard;
}

/// <summary>Another runbook holds the lease.</summary>
public sealed class RunbookBusyException(string holder) : Exception($"another runbook is in progress: {holder}")
{
    public string Holder { get; } = holder;
}

/// <summary>A runbook: a kind, its parameters and its ordered steps.</summary>
public sealed record Runbook(string Kind, IReadOnlyDictionary<string, string> Parameters, IReadOnlyList<RunbookStep> Steps)
{
    public IReadOnlyList<string> Validate()
    {
        var errors = Steps.SelectMany(s => s.Options.Validate(s.Name)).ToList();
        foreach (var dup in Steps.GroupBy(s => s.Name).Where(g => g.Count() > 1)) errors.Add($"step name {dup.Key} is used twice");
        return errors;
    }
}

/// <summary>What steps share during one run: its id, parameters and values steps hand on (e.g. an LSN).</summary>
public sealed class RunbookContext(string runId, IReadOnlyDictionary<string, string> parameters, TimeProvider time)
{
    public string RunId { get; } = runId;
    public IReadOnlyDictionary<string, string> Parameters { get; } = parameters;
    public TimeProvider Time { get; } = time;

    /// <summary>Values handed from step to step within this process (not journaled: steps re-derive what they need on resume).</summary>
    public Dictionary<string, string> Values { get; } = [];

    public string Parameter(string name) => Parameters.TryGetValue(name, out var v) ? v : throw new InvalidOperationException($"runbook parameter {name} missing");
}
