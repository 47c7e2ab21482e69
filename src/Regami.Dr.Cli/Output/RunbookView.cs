using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Cli.Output;

/// <summary>Plain lines for runbooks: readable in a terminal and in a CI log alike.</summary>
public static class RunbookView
{
    public static void RenderPlan(Runbook runbook, IReadOnlyList<PlannedStep> plan, IReadOnlyDictionary<string, IReadOnlyList<string>>? commands = null)
    {
        Console.WriteLine($"Plan for {runbook.Kind} ({string.Join(", ", runbook.Parameters.Select(kv => $"{kv.Key}={kv.Value}"))}) — dry run, nothing will change:");
        foreach (var s in plan)
        {
            var state = s.State switch
            {
                PlannedStepState.WouldRun => "would run",
                PlannedStepState.AlreadyDone => $"skip: {s.Reason}",
                _ => $"skip: {s.Reason}",
            };
            Console.WriteLine($"  {s.Index,2}. {s.Name,-24} {s.Description}");
            Console.WriteLine($"      {state}");
            foreach (var command in commands?.GetValueOrDefault(s.Name) ?? [])
                Console.WriteLine($"      $ {command}");
        }
    }

    public static void RenderProgress(StepProgress p)
    {
        var head = $"[{p.Index}/{p.Count}] {p.Name}";
        switch (p.Outcome)
        {
            case StepOutcome.Started:
                Console.Error.WriteLine($"{head} … {p.Description}");
                break;
            case StepOutcome.Succeeded:
                Console.Error.WriteLine($"{head} ok ({p.Duration?.TotalSeconds:0.00} s): {p.Detail}");
                break;
            case StepOutcome.Skipped:
                Console.Error.WriteLine($"{head} skipped: {p.Detail}");
                break;
            case StepOutcome.Failed:
                Console.Error.WriteLine($"{head} FAILED ({p.Duration?.TotalSeconds:0.00} s): {p.Detail}");
                break;
        }
    }

    public static void RenderResult(RunbookResult r)
    {
        var verdict = r.Outcome switch
        {
            RunOutcome.Succeeded => "succeeded",
            RunOutcome.Refused => "was refused by a guard (nothing unsafe was done)",
            RunOutcome.Cancelled => "was interrupted",
            _ => "failed",
        };
        Console.WriteLine($"{r.Kind} run {r.RunId} {verdict} in {r.Duration.TotalSeconds:0.00} s{(r.Resumed ? " (resumed)" : "")}.");
        Console.WriteLine("  step                        outcome     seconds");
        foreach (var s in r.Steps)
            Console.WriteLine($"  {s.Name,-27} {s.Outcome.ToString().ToLowerInvariant(),-10} {(s.Duration?.TotalSeconds ?? 0),7:0.00}");
        if (r.FailedStep is not null) Console.WriteLine($"Stopped at {r.FailedStep}: {r.Detail}");
    }
}
