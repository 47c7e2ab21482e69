using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Status;
using Regami.Dr.Core.Topology;
using Regami.Dr.Lab.Postgres;
using Regami.Dr.Lab.Processes;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Lab;

/// <summary>
/// Observes the whole lab — databases, instances, load balancers, DNS — in parallel and maps it
/// to the status contract. Reads only; never changes anything.
/// </summary>
public sealed class LabStatusReader(LabEnvironment env) : IStatusReader
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1.5);

    public async Task<SystemStatus> ReadAsync(CancellationToken ct)
    {
        var o = env.Options;
        var state = env.Store.Load();
        // A lab that was never created has no recorded roles (and reading them must not create the store).
        var topology = state is null ? null : await env.Topology.GetAsync(ct);
        var problems = new List<string>();
        if (state is null) problems.Add($"no lab at {env.Paths.Root}; start one with `regami-dr lab up`");

        var regionNames = o.Regions.Select(r => r.Name).ToList();
        var observations = await Task.WhenAll(regionNames.Select(async name =>
        {
            if (state is null || !Directory.Exists(env.Paths.PgData(name))) return (name, (PostgresCluster?)null, PostgresObservation.Unreachable("not created"));
            var cluster = env.Cluster(name);
            if (!cluster.IsRunning()) return (name, cluster, PostgresObservation.Unreachable("not running"));
            return (name, cluster, await cluster.ObserveAsync(o.Database.User, ProbeTimeout, ct));
        }));
        var dnsTask = state?.Dns is null ? Task.FromResult<string?>(null) : DnsProbe.QueryAsync(o.Dns, ct);

        var writer = observations.FirstOrDefault(x => x.Item3.Reachable && !x.Item3.InRecovery);
        var regions = new List<RegionStatus>();
        foreach (var (name, cluster, obs) in observations)
        {
            var ro = o.FindRegion(name)!;
            var rs = state?.Regions.GetValueOrDefault(name);
            var pid = cluster?.PostmasterPid();
            var dbState = cluster is null ? "absent"
                : !cluster.IsRunning() ? "stopped"
                : pid is { } p && Posix.State(p) == 'T' ? "hung"
                : obs.Reachable ? "running" : "unreachable";
            var writable = obs.Reachable && !obs.InRecovery && !obs.ReadOnlyByDefault;

            long? lagBytes = null;
            double? lagSeconds = null;
            if (obs.Reachable && !obs.InRecovery) { lagBytes = 0; lagSeconds = 0; }
            else if (obs.Reachable && writer.Item3 is { Reachable: true } w)
            {
                lagBytes = w.ReplicaLagBytes;
                lagSeconds = ReplicationLag.Seconds(w.ReplicaLagBytes, w.ReplicaReplayLagSeconds, obs.ReplayTimestampAgeSeconds);
            }

            var recorded = topology?.Roles.GetValueOrDefault(name) is { } r0 && r0 != RegionRole.Unknown ? r0 : (ro.IsPrimary ? RegionRole.Primary : RegionRole.Standby);
            var role = recorded == RegionRole.Fenced && !writable ? RegionRole.Fenced
                : !obs.Reachable ? RegionRole.Down
                : writable ? RegionRole.Primary
                : obs.InRecovery ? RegionRole.Standby
                : recorded == RegionRole.Fenced ? RegionRole.Fenced
                : RegionRole.Unknown;

            var instances = (rs?.Instances ?? []).Select(i => (i, alive: i.Pid is { } ip && Posix.IsAlive(ip))).ToList();
            var instanceHealth = await Task.WhenAll(instances.Select(async x =>
                new InstanceStatus(x.i.Id, x.i.Url, x.i.Pid, x.alive, x.alive ? await LabSupervisor.StatusCodeAsync(x.i.Url + "/health", ct) == 200 : null)));
            var running = instanceHealth.Count(i => i.Running);

            LoadBalancerStatus? lb = null;
            if (rs?.LoadBalancer is { } lbr)
            {
                var lbAlive = Posix.IsAlive(lbr.Pid);
                var code = lbAlive ? await LabSupervisor.StatusCodeAsync(lbr.Url + o.HealthCheck.Path, ct) : null;
                lb = new LoadBalancerStatus(lbr.Url, lbAlive, lbr.Pid, code);
            }

            var desired = rs?.DesiredInstances ?? 0;
            var healthy = role switch
            {
                RegionRole.Primary => running >= Math.Max(1, desired) && lb?.HealthStatusCode == 200,
                RegionRole.Standby => obs.WalReceiverStreaming == true && running >= desired,
                _ => false,
            };
            regions.Add(new RegionStatus(name, role, healthy,
                new DatabaseStatus(dbState, writable, ro.Address, o.Ports.Postgres, o.Database.Name, lagBytes, lagSeconds,
                    obs.Reachable ? obs.InRecovery : null, obs.CurrentLsn ?? obs.ReplayLsn, obs.Timeline, pid, obs.Error),
                new ComputeStatus(desired, running, instanceHealth),
                lb));
        }

        var answered = await dnsTask;
        var active = answered is null ? null : o.Regions.FirstOrDefault(r => r.Address == answered)?.Name;
        var dnsStatus = TryReadDnsStatus();
        var traffic = new TrafficStatus(o.Dns.FullName, active, o.Dns.TtlSeconds, answered, dnsStatus.Reason,
            dnsStatus.RoutingControls ?? LabJson.Read<Dictionary<string, bool>>(env.Paths.RoutingControlsFile), dnsStatus.HealthChecks);

        var standby = regions.FirstOrDefault(r => r.Role == RegionRole.Standby);
        var w2 = writer.Item3;
        var replication = new ReplicationStatus(
            topology?.ReplicationMode ?? o.Replication.ParsedMode,
            w2 is { Reachable: true } && w2.ReplicaState == "streaming",
            standby?.Database.LagBytes,
            standby?.Database.LagSeconds,
            w2?.ReplicaSyncState,
            standby?.Name);

        var controller = state?.Controller is { } c && Posix.IsAlive(c.Pid) ? new ControllerStatus(c.Url) : null;
        return new SystemStatus(o.Environment, writer.Item3 is { Reachable: true } ? writer.name : null, regions, traffic, replication,
            controller, env.Time.GetUtcNow(), problems.Count > 0 ? problems : null);
    }

    private (string? Reason, Dictionary<string, bool>? RoutingControls, Dictionary<string, bool>? HealthChecks) TryReadDnsStatus()
    {
        try
        {
            var status = Dns.DnsServerStatus.TryRead(env.Paths.DnsStatusFile);
            if (status is null) return (null, null, null);
            return (status.Answer?.Reason, status.RoutingControls?.ToDictionary(kv => kv.Key, kv => kv.Value),
                status.Records?.ToDictionary(r => r.Region, r => r.Healthy));
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException) { return (null, null, null); }
    }
}
