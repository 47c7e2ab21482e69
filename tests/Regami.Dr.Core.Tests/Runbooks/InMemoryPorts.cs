using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Core.Tests.Runbooks;

/// <summary>
/// Fakes at the journal/audit/lease ports for engine and drill unit tests (the SQLite ones are tested on their own).
/// Locked, because a drill test's fake controller journals its failover while the drill polls the journal.
/// </summary>
internal sealed class InMemoryJournal : IRunbookJournal
{
    private readonly List<RunRecord> runs = [];
    public List<string> Log { get; } = [];

    public Task<RunRecord> StartRunAsync(string kind, IReadOnlyDictionary<string, string> parameters, string actor, int pid, DateTimeOffset at, CancellationToken ct)
    {
        lock (runs)
        {
            var run = new RunRecord($"{kind}-{runs.Count + 1}", kind, parameters, actor, pid, at, null, RunOutcome.Running, null, []);
            runs.Add(run);
            Log.Add($"start {run.Id}");
            return Task.FromResult(run);
        }
    }

    public Task RecordStepAsync(string runId, StepRecord step, CancellationToken ct)
    {
        lock (runs)
        {
            var i = runs.FindIndex(r => r.Id == runId);
            var steps = runs[i].Steps.Where(s => s.Index != step.Index).Append(step).OrderBy(s => s.Index).ToList();
            runs[i] = runs[i] with { Steps = steps };
            Log.Add($"{step.Name}:{step.Outcome}");
        }
        return Task.CompletedTask;
    }

    public Task FinishRunAsync(string runId, RunOutcome outcome, string? detail, DateTimeOffset at, CancellationToken ct)
    {
        lock (runs)
        {
            var i = runs.FindIndex(r => r.Id == runId);
            runs[i] = runs[i] with { Outcome = outcome, Detail = detail, FinishedAt = at };
            Log.Add($"finish {outcome}");
        }
        return Task.CompletedTask;
    }

    public Task ResumeRunAsync(string runId, int pid, CancellationToken ct)
    {
        var i = runs.FindIndex(r => r.Id == runId);
        runs[i] = runs[i] with { Outcome = RunOutcome.Running, Pid = pid };
        Log.Add($"resume {runId}");
        return Task.CompletedTask;
    }

    public Task<RunRecord?> GetAsync(string runId, CancellationToken ct)
    {
        lock (runs) return Task.FromResult(runs.FirstOrDefault(r => r.Id == runId));
    }

    public Task<RunRecord?> FindUnfinishedAsync(string? kind, CancellationToken ct) =>
        Task.FromResult(runs.LastOrDefault(r => (kind is null || r.Kind == kind) && r.Outcome is RunOutcome.Running or RunOutcome.Failed or RunOutcome.Interrupted));

    public Task<IReadOnlyList<RunRecord>> ListAsync(int limit, CancellationToken ct)
    {
        lock (runs) return Task.FromResult<IReadOnlyList<RunRecord>>(runs.AsEnumerable().Reverse().Take(limit).ToList());
    }
}

internal sealed class InMemoryAudit : IAuditLog
{
    public List<AuditEvent> Events { get; } = [];

    public Task<AuditEvent> AppendAsync(AuditEntry entry, CancellationToken ct)
    {
        lock (Events)
        {
            var prev = Events.Count == 0 ? AuditChain.Genesis : Events[^1].Hash;
            var seq = Events.Count + 1;
            var e = new AuditEvent(seq, entry, prev, AuditChain.Hash(prev, seq, entry));
            Events.Add(e);
            return Task.FromResult(e);
        }
    }

    public Task<IReadOnlyList<AuditEvent>> ListAsync(DateTimeOffset? since, int? limit, CancellationToken ct)
    {
        lock (Events) return Task.FromResult<IReadOnlyList<AuditEvent>>(Events.Where(e => since is null || e.Entry.At >= since).ToList());
    }

    public Task<AuditVerification> VerifyAsync(CancellationToken ct)
    {
        lock (Events) return Task.FromResult(AuditChain.Verify(Events.ToList(), null));
    }
    public Task<AuditPruneResult> PruneAsync(DateTimeOffset olderThan, DateTimeOffset now, bool dryRun, CancellationToken ct) => throw new NotSupportedException("not needed by the engine");
}

internal sealed class InMemoryLease : IRunbookLease
{
    public string? Holder { get; set; }

    public Task<RunbookLeaseHandle?> TryAcquireAsync(string holderRunId, CancellationToken ct)
    {
        if (Holder is not null) return Task.FromResult<RunbookLeaseHandle?>(null);
        Holder = holderRunId;
        return Task.FromResult<RunbookLeaseHandle?>(new RunbookLeaseHandle(holderRunId, () => { Holder = null; return ValueTask.CompletedTask; }));
    }

    public Task<string?> CurrentHolderAsync(CancellationToken ct) => Task.FromResult(Holder);
}
