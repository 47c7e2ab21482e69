using System.Text.Json;
using System.Text.Json.Serialization;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Server.Leases;

/// <summary>
/// The runbook journal for controllers on several hosts (issue 10, item 1): every change goes to the
/// local journal (the SQLite store stays the record for reports) and the run, while unfinished
/// (running, failed, interrupted), is mirrored to etcd under <see cref="Prefix"/>. A leader on another
/// host finds it there, imports it into its own store and finishes it; a run that ends (succeeded,
/// refused, cancelled) is deleted from etcd.
/// </summary>
/// <remarks>
/// The mirror is written after the local journal and before the engine acts (the engine journals a
/// step as started before executing it), and a failure to write it is thrown: in etcd mode a step
/// nobody else could see is not taken. Reads merge both, the newer copy of a run winning.
/// </remarks>
public sealed class EtcdMirroredJournal : IRunbookJournal
{
    public const string DefaultPrefix = "/regami-dr/runs/unfinished/";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly IRunbookJournal _local;
    private readonly Func<RunRecord, CancellationToken, Task> _importLocal;
    private readonly EtcdGateway _gateway;

    /// <param name="importLocal">Copies a run found only in etcd into the local journal (id, steps and outcome as they are).</param>
    public EtcdMirroredJournal(IRunbookJournal local, Func<RunRecord, CancellationToken, Task> importLocal, Uri endpoint, HttpClient http, string prefix = DefaultPrefix)
    {
        _local = local ?? throw new ArgumentNullException(nameof(local));
        _importLocal = importLocal ?? throw new ArgumentNullException(nameof(importLocal));
        _gateway = new EtcdGateway(endpoint, http) { RequestTimeout = EtcdLease.DefaultRequestTimeout };
        Prefix = prefix;
    }

    public string Prefix { get; }

    public async Task<RunRecord> StartRunAsync(string kind, IReadOnlyDictionary<string, string> parameters, string actor, int pid, DateTimeOffset at, CancellationToken ct)
    {
        var run = await _local.StartRunAsync(kind, parameters, actor, pid, at, ct);
        await MirrorAsync(run, ct);
        return run;
    }

    public async Task RecordStepAsync(string runId, StepRecord step, CancellationToken ct)
    {
        await EnsureLocalAsync(runId, ct);
        await _local.RecordStepAsync(runId, step, ct);
        await MirrorAsync(runId, ct);
    }

    public async Task FinishRunAsync(string runId, RunOutcome outcome, string? detail, DateTimeOffset at, CancellationToken ct)
    {
        await EnsureLocalAsync(runId, ct);
        await _local.FinishRunAsync(runId, outcome, detail, at, ct);
        await MirrorAsync(runId, ct);
    }

    public async Task ResumeRunAsync(string runId, int pid, CancellationToken ct)
    {
        await EnsureLocalAsync(runId, ct);
        await _local.ResumeRunAsync(runId, pid, ct);
        await MirrorAsync(runId, ct);
    }

    public async Task<RunRecord?> GetAsync(string runId, CancellationToken ct) =>
        Newer(await _local.GetAsync(runId, ct), await ReadAsync(runId, ct));

    /// <summary>
    /// The newest unfinished run as etcd knows it. A run unfinished in the local store but gone from etcd
    /// was finished or abandoned on another host (or never got past its start): it is not this host's to resume.
    /// </summary>
    public async Task<RunRecord?> FindUnfinishedAsync(string? kind, CancellationToken ct)
    {
        var candidates = new List<RunRecord>();
        foreach (var shared in (await UnfinishedInEtcdAsync(ct)).Where(r => kind is null || r.Kind == kind))
            candidates.Add(Newer(await _local.GetAsync(shared.Id, ct), shared)!);
        return candidates.Where(r => r.Outcome is RunOutcome.Running or RunOutcome.Failed or RunOutcome.Interrupted)
            .OrderByDescending(r => r.StartedAt).FirstOrDefault();
    }

    public async Task<IReadOnlyList<RunRecord>> ListAsync(int limit, CancellationToken ct)
    {
        var local = await _local.ListAsync(limit, ct);
        var shared = await UnfinishedInEtcdAsync(ct);
        var byId = local.ToDictionary(r => r.Id);
        foreach (var r in shared) byId[r.Id] = Newer(byId.GetValueOrDefault(r.Id), r)!;
        return byId.Values.OrderByDescending(r => r.StartedAt).Take(limit).ToList();
    }

    /// <summary>Every unfinished run etcd holds (from any host).</summary>
    public async Task<IReadOnlyList<RunRecord>> UnfinishedInEtcdAsync(CancellationToken ct)
    {
        var start = EtcdGateway.Base64(Prefix);
        var end = EtcdGateway.Base64(Prefix[..^1] + (char)(Prefix[^1] + 1)); // the prefix's range end
        var read = await _gateway.CallAsync("/kv/range", new { key = start, range_end = end }, ct);
        if (!read.TryGetProperty("kvs", out var kvs) || kvs.ValueKind != JsonValueKind.Array) return [];
        return kvs.EnumerateArray().Select(kv => Parse(EtcdGateway.FromBase64(EtcdGateway.Text(kv, "value") ?? ""))).OfType<RunRecord>().ToList();
    }

    private async Task<RunRecord?> ReadAsync(string runId, CancellationToken ct)
    {
        var read = await _gateway.CallAsync("/kv/range", new { key = EtcdGateway.Base64(Prefix + runId) }, ct);
        if (!read.TryGetProperty("kvs", out var kvs) || kvs.ValueKind != JsonValueKind.Array || kvs.GetArrayLength() == 0) return null;
        return Parse(EtcdGateway.FromBase64(EtcdGateway.Text(kvs[0], "value") ?? ""));
    }

    /// <summary>A run started on another host is copied here before this host journals anything about it.</summary>
    private async Task EnsureLocalAsync(string runId, CancellationToken ct)
    {
        if (await _local.GetAsync(runId, ct) is not null) return;
        if (await ReadAsync(runId, ct) is { } shared) await _importLocal(shared, ct);
    }

    private async Task MirrorAsync(string runId, CancellationToken ct)
    {
        if (await _local.GetAsync(runId, ct) is { } run) await MirrorAsync(run, ct);
    }

    private async Task MirrorAsync(RunRecord run, CancellationToken ct)
    {
        var key = EtcdGateway.Base64(Prefix + run.Id);
        if (run.Outcome is RunOutcome.Running or RunOutcome.Failed or RunOutcome.Interrupted)
            await _gateway.CallAsync("/kv/put", new { key, value = EtcdGateway.Base64(JsonSerializer.Serialize(run, Json)) }, ct);
        else
            await _gateway.CallAsync("/kv/deleterange", new { key }, ct);
    }

    private static RunRecord? Parse(string json)
    {
        try { return JsonSerializer.Deserialize<RunRecord>(json, Json); }
        catch (JsonException) { return null; } // not ours, or from an incompatible version: ignored, never guessed at
    }

    /// <summary>The copy with more progress: more steps journaled, else the finished one.</summary>
    private static RunRecord? Newer(RunRecord? a, RunRecord? b)
    {
        if (a is null) return b;
        if (b is null) return a;
        var progressA = (a.Steps.Count, a.Steps.Count(s => s.FinishedAt is not null), a.FinishedAt ?? DateTimeOffset.MinValue);
        var progressB = (b.Steps.Count, b.Steps.Count(s => s.FinishedAt is not null), b.FinishedAt ?? DateTimeOffset.MinValue);
        return progressB.CompareTo(progressA) > 0 ? b : a;
    }
}
