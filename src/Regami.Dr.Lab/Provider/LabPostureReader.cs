using System.Net.Http.Json;
using System.Text.Json;
using Regami.Dr.Core.Alarms;
using Regami.Dr.Core.Backups;
using Regami.Dr.Core.Doctor;
using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Lab.Provider;

/// <summary>
/// The lab's half of `regami-dr doctor`: its PostgreSQL pair (streaming, lag), pgBackRest's
/// repositories (copies, the recoverable window), the controller's alarms (its /api/alarms) and
/// the health-check path its DNS server and controller probe.
/// </summary>
public sealed class LabPostureReader(LabEnvironment env, IStatusReader status, IBackupPort backups, FailoverPolicy policy, HttpClient http) : IPostureReader
{
    public IReadOnlyList<string> AllowedRegions => Residency.EuRegions;

    public async Task<ProviderPosture> ReadAsync(CancellationToken ct)
    {
        var o = env.Options;
        var replica = Observe.TryAsync(ReadReplicaAsync, ct);
        var backupFacts = Observe.TryAsync(ReadBackupsAsync, ct);
        var alarms = Observe.TryAsync(ReadAlarmsAsync, ct);
        return new ProviderPosture(
            Observed<IReadOnlyList<EncryptionFact>>.Inapplicable("the lab keeps its data directories on the local disk without encryption at rest (a rehearsal environment with no customer data); the rule applies to provider: aws"),
            Observed<IReadOnlyList<EncryptionFact>>.Inapplicable("the lab has no object storage; the rule applies to provider: aws (aws.regions.<region>.uploadsBucket)"),
            Observed<ObjectReplicationFact>.Inapplicable("the lab has no object storage; the rule applies to provider: aws (aws.regions.<region>.uploadsBucket)"),
            await replica,
            await backupFacts,
            await alarms,
            Observed<IReadOnlyList<HealthCheckFact>>.Of(o.Regions.Select(r => new HealthCheckFact(r.Name, env.LoadBalancerUrl(r), o.HealthCheck.Path)).ToList()),
            [
                new("detection", o.HealthCheck.RequestInterval * o.HealthCheck.FailureThreshold, $"healthCheck: {o.HealthCheck.RequestInterval.TotalSeconds:0.##} s × {o.HealthCheck.FailureThreshold}"),
                new("dns-ttl", TimeSpan.FromSeconds(o.Dns.TtlSeconds), "lab.dns.ttlSeconds"),
                new("promotion", policy.PromoteTimeout, "worst case: the runbook's promote timeout"),
                new("compute", policy.ComputeTimeout, "worst case: the runbook's compute timeout"),
            ]);
    }

    private async Task<ReplicaFact> ReadReplicaAsync(CancellationToken ct)
    {
        var first = await ReadReplicaOnceAsync(ct);
        if (first is { Exists: false } or { Streaming: true }) return first;
        // One more look a second later: a walsender restarting, or an observation cut short on a
        // loaded machine, is a blip, not a replica that stopped streaming.
        await Task.Delay(TimeSpan.FromSeconds(1), env.Time, ct);
        var second = await ReadReplicaOnceAsync(ct);
        return second with { Detail = $"{second.Detail} (looked twice, 1 s apart)" };
    }

    private async Task<ReplicaFact> ReadReplicaOnceAsync(CancellationToken ct)
    {
        var s = await status.ReadAsync(ct);
        if (env.Store.Load() is null) throw new InvalidOperationException($"no lab at {env.Paths.Root}; start one with `regami-dr lab up`");
        var r = s.Replication;
        var standby = s.Regions.FirstOrDefault(x => x.Role == RegionRole.Standby);
        if (standby is null)
        {
            var roles = string.Join(", ", s.Regions.Select(x => $"{x.Name} {x.Role.ToString().ToLowerInvariant()} (database {x.Database.State})"));
            return new ReplicaFact(null, false, false, null, null, roles);
        }
        var detail = $"{r.Mode.ToString().ToLowerInvariant()} replication{(r.SyncState is { } sync ? $", sync_state {sync}" : "")}, database {standby.Database.State}";
        return new ReplicaFact(standby.Name, true, r.Streaming, r.LagSeconds, r.LagBytes, detail);
    }

    private async Task<BackupFacts> ReadBackupsAsync(CancellationToken ct)
    {
        var config = env.Options.Config;
        var list = await backups.ListAsync(ct);
        var window = await backups.WindowAsync(ct);
        var rules = config.Backups.Rules.Keep;
        var retention = rules.Where(kv => kv.Key != BackupClass.Manual)
            .Select(kv => new RetentionFact(kv.Key, kv.Value, $"backups.retention.{kv.Key.Name()}, what `backup prune` keeps")).ToList();
        var copies = config.Regions.Where(r => !r.IsPrimary).Select(r =>
        {
            var held = list.Where(b => b.CopyIn(r.Name) is not null).ToList();
            return new CopyFact(r.Name, held.Count, held.Count == 0 ? $"no backup in {r.Name}'s repository" : $"newest {held.Max(b => b.FinishedAt):yyyy-MM-ddTHH:mm:ssZ} in {r.Name}'s repository");
        }).ToList();
        var pitr = window is null
            ? new PitrFact(false, null, $"{backups.Engine}: nothing recoverable yet (no backup in the repository); WAL is archived once a backup exists")
            : new PitrFact(true, window.Newest, $"{backups.Engine}: WAL archived continuously, recoverable {window}");
        return new BackupFacts(backups.Engine, retention, copies, pitr);
    }

    /// <summary>The plan's alarms as the lab scales them (time × period / 60 s), against what the running controller evaluates.</summary>
    private async Task<IReadOnlyList<AlarmFact>> ReadAlarmsAsync(CancellationToken ct)
    {
        var config = env.Options.Config;
        var scale = config.Alarms.Period / PlanAlarms.PlanPeriod;
        var expected = PlanAlarms.For("primary", "standby", new AlarmPolicy { Period = config.Alarms.Period, ReplicaLagThreshold = config.Targets.Rpo * scale });
        var where = $"evaluated by the controller at {env.ControllerUrl}";
        var deployed = new Dictionary<string, AlarmShape>();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var body = await http.GetFromJsonAsync<JsonElement>(new Uri(new Uri(env.ControllerUrl), "api/alarms"), timeout.Token);
            foreach (var d in body.EnumerateArray().Select(a => a.GetProperty("definition")))
                deployed[d.GetProperty("name").GetString() ?? ""] = new AlarmShape(
                    d.GetProperty("metric").GetString() ?? "",
                    Pascal(d.GetProperty("comparison").GetString() ?? ""),
                    d.GetProperty("threshold").GetDouble(),
                    (int)TimeSpan.Parse(d.GetProperty("period").GetString() ?? "0", System.Globalization.CultureInfo.InvariantCulture).TotalSeconds,
                    d.GetProperty("evaluationPeriods").GetInt32());
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            // Nobody evaluates the lab's alarms when its controller is down: they are missing, not unknown.
            where = $"the controller at {env.ControllerUrl} does not answer ({e.Message}): nobody evaluates the alarms";
        }
        return expected.Select(x => new AlarmFact(x.Name, "lab", Shape(x), deployed.GetValueOrDefault(x.Name), where)).ToList();
    }

    private static AlarmShape Shape(AlarmDefinition d) =>
        new(d.Metric, d.Comparison.ToString(), d.Threshold, (int)d.Period.TotalSeconds, d.EvaluationPeriods);

    private static string Pascal(string camel) => camel.Length == 0 ? camel : char.ToUpperInvariant(camel[0]) + camel[1..];
}
