using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Store;

/// <summary>
/// The runbook journal in the state database: tables <c>runs</c> and <c>run_steps</c>. Each
/// method is one committed transaction (<c>synchronous=FULL</c>), so a step journaled as
/// started is on disk before the engine acts on it.
/// </summary>
public sealed class SqliteRunbookJournal : IRunbookJournal
{
    private const string RunColumns = "id, kind, parameters, actor, pid, started_at, finished_at, outcome, detail";
    private readonly SqliteDatabase _db;

    internal SqliteRunbookJournal(SqliteDatabase db) => _db = db;

    public async Task<RunRecord> StartRunAsync(string kind, IReadOnlyDictionary<string, string> parameters, string actor, int pid, DateTimeOffset at, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        if (!RunId.IsValidKind(kind))
            throw new ArgumentException($"runbook kind '{kind}' must be lowercase letters, digits and dashes (e.g. failover)", nameof(kind));
        var startedAt = at.ToUniversalTime();
        var stored = new SortedDictionary<string, string>(parameters.ToDictionary(), StringComparer.Ordinal);
        var json = JsonSerializer.Serialize(stored);

        await using var connection = await _db.OpenAsync(ct);
        // Two runs of one kind started in the same second collide on 1 id in 65,536: draw again.
        for (var attempt = 1; ; attempt++)
        {
            var id = RunId.Create(kind, startedAt, (ushort)RandomNumberGenerator.GetInt32(0x10000));
            try
            {
                await SqliteDatabase.ExecuteAsync(connection, null,
                    $"INSERT INTO runs ({RunColumns}) VALUES ($id, $kind, $parameters, $actor, $pid, $started, NULL, $outcome, NULL)", ct,
                    ("$id", id), ("$kind", kind), ("$parameters", json), ("$actor", actor), ("$pid", pid),
                    ("$started", SqliteDatabase.Time(startedAt)), ("$outcome", Text(RunOutcome.Running)));
                return new RunRecord(id, kind, stored, actor, pid, startedAt, null, RunOutcome.Running, null, []);
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19 /* SQLITE_CONSTRAINT */ && attempt < 5)
            {
            }
        }
    }

    /// <summary>
    /// Copies a run journaled elsewhere (another host's controller, through etcd) into this journal
    /// with its id, steps and outcome as they are, so this host can resume it; a run already here is
    /// left as it is.
    /// </summary>
    public async Task ImportAsync(RunRecord run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        await using (var connection = await _db.OpenAsync(ct))
        {
            var json = JsonSerializer.Serialize(new SortedDictionary<string, string>(run.Parameters.ToDictionary(), StringComparer.Ordinal));
            var inserted = await SqliteDatabase.ExecuteAsync(connection, null,
                $"INSERT OR IGNORE INTO runs ({RunColumns}) VALUES ($id, $kind, $parameters, $actor, $pid, $started, $finished, $outcome, $detail)", ct,
                ("$id", run.Id), ("$kind", run.Kind), ("$parameters", json), ("$actor", run.Actor), ("$pid", run.Pid),
                ("$started", SqliteDatabase.Time(run.StartedAt)), ("$finished", run.FinishedAt is { } f ? SqliteDatabase.Time(f) : null),
                ("$outcome", Text(run.Outcome)), ("$detail", run.Detail));
            if (inserted == 0) return;
        }
        foreach (var step in run.Steps) await RecordStepAsync(run.Id, step, ct);
    }

    public async Task RecordStepAsync(string runId, StepRecord step, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentException.ThrowIfNullOrWhiteSpace(step.Name, "step.Name");
        ArgumentOutOfRangeException.ThrowIfNegative(step.Attempts, "step.Attempts");
        await using var connection = await _db.OpenAsync(ct);
        await using var tx = SqliteDatabase.BeginWrite(connection);
        await RequireRunAsync(connection, tx, runId, ct);
        await SqliteDatabase.ExecuteAsync(connection, tx,
            """
            INSERT INTO run_steps (run_id, idx, name, outcome, started_at, finished_at, attempts, detail)
            VALUES ($run, $idx, $name, $outcome, $started, $finished, $attempts, $detail)
            ON CONFLICT (run_id, idx) DO UPDATE SET name = excluded.name, outcome = excluded.outcome,
                started_at = excluded.started_at, finished_at = excluded.finished_at,
                attempts = excluded.attempts, detail = excluded.detail
            """, ct,
            ("$run", runId), ("$idx", step.Index), ("$name", step.Name), ("$outcome", Text(step.Outcome)),
            ("$started", SqliteDatabase.Time(step.StartedAt)),
            ("$finished", step.FinishedAt is { } f ? SqliteDatabase.Time(f) : null),
            ("$attempts", step.Attempts), ("$detail", step.Detail));
        await tx.CommitAsync(ct);
    }

    public async Task FinishRunAsync(string runId, RunOutcome outcome, string? detail, DateTimeOffset at, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        if (outcome == RunOutcome.Running)
            throw new ArgumentException("a run cannot finish as Running; use ResumeRunAsync to put it back to Running", nameof(outcome));
        await using var connection = await _db.OpenAsync(ct);
        var updated = await SqliteDatabase.ExecuteAsync(connection, null,
            "UPDATE runs SET outcome = $outcome, detail = $detail, finished_at = $finished WHERE id = $id", ct,
            ("$id", runId), ("$outcome", Text(outcome)), ("$detail", detail), ("$finished", SqliteDatabase.Time(at)));
        if (updated == 0) throw NoSuchRun(runId);
    }

    public async Task ResumeRunAsync(string runId, int pid, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        await using var connection = await _db.OpenAsync(ct);
        await using var tx = SqliteDatabase.BeginWrite(connection);
        var outcome = await SqliteDatabase.ScalarAsync(connection, tx, "SELECT outcome FROM runs WHERE id = $id", ct, ("$id", runId));
        if (outcome is null) throw NoSuchRun(runId);
        if (Parse<RunOutcome>((string)outcome) == RunOutcome.Succeeded)
            throw new InvalidOperationException($"run {runId} already succeeded; there is nothing to resume");
        await SqliteDatabase.ExecuteAsync(connection, tx,
            "UPDATE runs SET outcome = $outcome, pid = $pid, finished_at = NULL, detail = NULL WHERE id = $id", ct,
            ("$id", runId), ("$outcome", Text(RunOutcome.Running)), ("$pid", pid));
        await tx.CommitAsync(ct);
    }

    public async Task<RunRecord?> GetAsync(string runId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        var runs = await QueryAsync("WHERE id = $id", ct, ("$id", runId));
        return runs.Count == 0 ? null : runs[0];
    }

    public async Task<RunRecord?> FindUnfinishedAsync(string? kind, CancellationToken ct)
    {
        var unfinished = $"outcome IN ('{Text(RunOutcome.Running)}', '{Text(RunOutcome.Failed)}', '{Text(RunOutcome.Interrupted)}')";
        var runs = kind is null
            ? await QueryAsync($"WHERE {unfinished} ORDER BY started_at DESC, rowid DESC LIMIT 1", ct)
            : await QueryAsync($"WHERE {unfinished} AND kind = $kind ORDER BY started_at DESC, rowid DESC LIMIT 1", ct, ("$kind", kind));
        return runs.Count == 0 ? null : runs[0];
    }

    public async Task<IReadOnlyList<RunRecord>> ListAsync(int limit, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return await QueryAsync("ORDER BY started_at DESC, rowid DESC LIMIT $limit", ct, ("$limit", limit));
    }

    /// <summary>Runs matching <paramref name="whereAndOrder"/>, each with its steps, read in one snapshot.</summary>
    private async Task<IReadOnlyList<RunRecord>> QueryAsync(string whereAndOrder, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await _db.OpenAsync(ct);
        await using var tx = connection.BeginTransaction(deferred: true);
        var runs = new List<RunRecord>();
        await using (var command = SqliteDatabase.Command(connection, $"SELECT {RunColumns} FROM runs {whereAndOrder}", tx, parameters))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                runs.Add(new RunRecord(
                    Id: reader.GetString(0),
                    Kind: reader.GetString(1),
                    Parameters: JsonSerializer.Deserialize<SortedDictionary<string, string>>(reader.GetString(2)) ?? [],
                    Actor: reader.GetString(3),
                    Pid: reader.IsDBNull(4) ? null : reader.GetInt32(4),
                    StartedAt: SqliteDatabase.Time(reader.GetString(5)),
                    FinishedAt: reader.IsDBNull(6) ? null : SqliteDatabase.Time(reader.GetString(6)),
                    Outcome: Parse<RunOutcome>(reader.GetString(7)),
                    Detail: SqliteDatabase.NullableString(reader, 8),
                    Steps: []));
            }
        }
        for (var i = 0; i < runs.Count; i++)
            runs[i] = runs[i] with { Steps = await StepsAsync(connection, tx, runs[i].Id, ct) };
        return runs;
    }

    private static async Task<IReadOnlyList<StepRecord>> StepsAsync(SqliteConnection connection, SqliteTransaction tx, string runId, CancellationToken ct)
    {
        var steps = new List<StepRecord>();
        await using var command = SqliteDatabase.Command(connection,
            "SELECT idx, name, outcome, started_at, finished_at, attempts, detail FROM run_steps WHERE run_id = $run ORDER BY idx", tx, ("$run", runId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            steps.Add(new StepRecord(
                Index: reader.GetInt32(0),
                Name: reader.GetString(1),
                Outcome: Parse<StepOutcome>(reader.GetString(2)),
                StartedAt: SqliteDatabase.Time(reader.GetString(3)),
                FinishedAt: reader.IsDBNull(4) ? null : SqliteDatabase.Time(reader.GetString(4)),
                Attempts: reader.GetInt32(5),
                Detail: SqliteDatabase.NullableString(reader, 6)));
        }
        return steps;
    }

    private static async Task RequireRunAsync(SqliteConnection connection, SqliteTransaction tx, string runId, CancellationToken ct)
    {
        if (await SqliteDatabase.ScalarAsync(connection, tx, "SELECT 1 FROM runs WHERE id = $id", ct, ("$id", runId)) is null)
            throw NoSuchRun(runId);
    }

    private static KeyNotFoundException NoSuchRun(string runId) => new($"run {runId} is not in the runbook journal");

    /// <summary>Enums are stored as their lowercase names (readable in the sqlite3 shell).</summary>
    private static string Text<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static T Parse<T>(string text) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new InvalidDataException($"the runbook journal holds an unknown {typeof(T).Name} '{text}'");
}
