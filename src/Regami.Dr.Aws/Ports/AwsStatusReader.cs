using Regami.Dr.Aws.Cli;
using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Status;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Aws.Ports;

/// <summary>
/// `regami-dr status` on AWS: each region's RDS instance, ECS service and Route 53 health check,
/// the failover records and the standby's ReplicaLag, read in parallel. Reads only. A call that
/// fails is a problem in the report, not a crash — except a resource the configuration names
/// that does not exist, which is a configuration error (exit 2).
/// </summary>
public sealed class AwsStatusReader(AwsContext aws, RdsDatabasePort database, EcsComputePort compute, Route53TrafficPort traffic,
    ITopologyPort topology, Core.Configuration.DrConfiguration config, Uri controllerUrl) : IStatusReader
{
    public async Task<SystemStatus> ReadAsync(CancellationToken ct)
    {
        var recorded = await topology.GetAsync(ct);
        var problems = new List<string>();
        var regions = await Task.WhenAll(recorded.Regions.Select(r => ReadRegionAsync(r, recorded, problems, ct)));

        string? active = null;
        try { active = await traffic.ResolveActiveRegionAsync(ct); }
        catch (AwsServiceException e) when (!e.IsNotFound) { problems.Add($"traffic: {e.Message}"); }

        // The plan's CloudWatch alarms: one missing or firing is a problem worth a line.
        try
        {
            foreach (var a in await AwsAlarmStates.ReadAsync(aws.Api, aws.Commands, config, aws.Section, ct))
                if (a.State != "OK" && a.State != "INSUFFICIENT_DATA") problems.Add($"alarm {a.Name} ({a.Region}): {a.State ?? "missing"} — {a.Reason}");
        }
        catch (AwsServiceException e) when (!e.IsNotFound) { problems.Add($"alarms: {e.Message}"); }

        var standby = regions.FirstOrDefault(r => r.Status.Database.InRecovery == true);
        ReplicaLagSample? lag = null;
        if (standby is not null)
        {
            try { lag = await new CloudWatchReplicaLag(aws).LatestAsync(standby.Status.Name, TimeSpan.FromMinutes(15), ct); }
            catch (AwsServiceException e) when (!e.IsNotFound) { problems.Add($"replica lag: {e.Message}"); }
            if (lag is null) problems.Add($"no ReplicaLag datapoint for {standby.Status.Name} in the last 15 min");
        }
        var lagSeconds = lag is null ? (double?)null : lag.Seconds + Math.Max(0, (aws.Time.GetUtcNow() - lag.At).TotalSeconds);
        var regionStatuses = regions.Select(r => r.Status.Name == standby?.Status.Name && lagSeconds is { } s
            ? r.Status with { Database = r.Status.Database with { LagSeconds = s } } : r.Status).ToList();

        return new SystemStatus(
            config.Environment,
            regionStatuses.FirstOrDefault(r => r.Database.Writable)?.Name,
            regionStatuses,
            new TrafficStatus(aws.Section.Route53.RecordName, active, (int)aws.Section.Route53.Ttl.TotalSeconds,
                AnsweredAddress: active is null ? null : aws.Section.Region(active).LoadBalancer,
                Reason: "computed from the failover records and their health checks",
                RoutingControls: regions.ToDictionary(r => r.Status.Name, r => r.Check is { } c && !c.Inverted),
                HealthChecks: regions.ToDictionary(r => r.Status.Name, r => r.Check?.EffectiveHealthy ?? false)),
            new ReplicationStatus(ReplicationMode.Async, standby?.Status.Database.State == "available" && lag is not null, null, lagSeconds,
                SyncState: "async", ReplicaRegion: standby?.Status.Name),
            new ControllerStatus(controllerUrl.ToString()),
            aws.Time.GetUtcNow(),
            problems.Count == 0 ? null : problems);
    }

    private sealed record RegionRead(RegionStatus Status, HealthCheckState? Check);

    private async Task<RegionRead> ReadRegionAsync(string region, TopologySnapshot recorded, List<string> problems, CancellationToken ct)
    {
        var r = aws.Section.Region(region);
        var dbTask = Attempt(() => database.DescribeAsync(region, ct));
        var computeTask = Attempt(() => compute.ObserveAsync(region, ct));
        var checkTask = Attempt(() => traffic.HealthCheckAsync(region, ct));
        var (db, dbError) = await dbTask;
        var (c, computeError) = await computeTask;
        var (check, checkError) = await checkTask;
        lock (problems)
        {
            if (dbError is not null) problems.Add($"{region} database: {dbError}");
            if (computeError is not null) problems.Add($"{region} compute: {computeError}");
            if (checkError is not null) problems.Add($"{region} health check: {checkError}");
        }
        var fenced = db?.IsFenced(r.FenceSecurityGroup) ?? false;
        var writable = db is { Serving: true, IsReplica: false } && !fenced;
        var recordedRole = recorded.Roles.GetValueOrDefault(region);
        var role = db is null ? RegionRole.Down
            : fenced || recordedRole == RegionRole.Fenced && !writable ? RegionRole.Fenced
            : !db.Serving ? RegionRole.Down
            : writable ? RegionRole.Primary
            : db.IsReplica ? RegionRole.Standby
            : RegionRole.Unknown;
        var detail = db is null ? dbError
            : $"{(db.Encrypted ? "encrypted" : "NOT encrypted")}{(db.KmsKeyId is { } k ? $" with {k}" : "")}; backups kept {db.BackupRetentionDays} d"
              + (db.ReplicaSource is { } src && db.IsReplica ? $"; replica of {src}" : "")
              + (fenced ? $"; fenced (serves only through {r.FenceSecurityGroup})" : "");
        var status = new RegionStatus(
            region,
            role,
            Healthy: db is { Serving: true } && check is { EffectiveHealthy: true },
            new DatabaseStatus(db?.Status ?? "unreachable", writable, db?.Host ?? r.DbInstance, db?.Port ?? 5432, db?.Identifier ?? r.DbInstance,
                LagBytes: null, LagSeconds: writable ? 0 : null, InRecovery: db?.IsReplica, Detail: detail),
            new ComputeStatus(c?.Desired ?? 0, c?.Running ?? 0));
        return new RegionRead(status, check);
    }

    private static async Task<(T? Value, string? Error)> Attempt<T>(Func<Task<T>> read) where T : class
    {
        try { return (await read(), null); }
        catch (AwsServiceException e) when (!e.IsNotFound) { return (null, e.Message); }
    }
}
