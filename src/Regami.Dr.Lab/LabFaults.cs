using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Topology;
using Regami.Dr.Lab.Processes;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Lab;

/// <summary>Injects faults with real signals and real SQL, and records them in the lab state.</summary>
public sealed class LabFaults(LabEnvironment env) : IFaultInjector
{
    public async Task<FaultResult> InjectAsync(FaultKind kind, string? region, CancellationToken ct)
    {
        using var _ = await env.Store.LockAsync(TimeSpan.FromSeconds(30), ct);
        var state = env.Store.Load() ?? throw new LabException($"no lab at {env.Paths.Root}; start one with `regami-dr lab up`");
        // Replication faults act on the standby; every other fault defaults to the primary.
        var topology = await env.Topology.GetAsync(ct);
        region ??= kind is FaultKind.PauseReplication or FaultKind.ResumeReplication
            ? topology.Regions.First(r => topology.Roles[r] != RegionRole.Primary)
            : topology.Primary ?? env.Options.PrimaryRegion.Name;
        if (env.Options.FindRegion(region) is null)
            throw new LabException($"unknown region '{region}'; regions: {string.Join(", ", env.Options.Regions.Select(r => r.Name))}") { ExitCode = 2 };
        var rs = state.Region(region);
        var actions = new List<string>();
        var cluster = env.Cluster(region);
        var at = env.Time.GetUtcNow();

        switch (kind)
        {
            case FaultKind.KillDb:
                KillPostmaster(cluster, actions);
                break;
            case FaultKind.HangDb:
                var pid = cluster.PostmasterPid() is { } p && cluster.IsRunning() ? p : throw new LabException($"PostgreSQL {region} is not running; nothing to hang");
                // The whole tree: stopping only the postmaster would leave existing sessions serving.
                foreach (var child in ProcessTree.Descendants(pid).Prepend(pid)) Posix.Signal(child, Posix.SIGSTOP);
                actions.Add($"SIGSTOP PostgreSQL {region} postmaster {pid} and its backends");
                break;
            case FaultKind.KillApp:
                KillInstances(rs, actions);
                break;
            case FaultKind.RegionOutage:
                KillInstances(rs, actions);
                if (rs.LoadBalancer is { } lb && Posix.Signal(lb.Pid, Posix.SIGKILL)) actions.Add($"SIGKILL load balancer {region} (pid {lb.Pid})");
                KillPostmaster(cluster, actions);
                break;
            case FaultKind.PauseReplication:
                await ReplaySqlAsync(cluster, region, "pg_wal_replay_pause()", ct);
                actions.Add($"pg_wal_replay_pause() on {region}");
                break;
            case FaultKind.ResumeReplication:
                await ReplaySqlAsync(cluster, region, "pg_wal_replay_resume()", ct);
                actions.Add($"pg_wal_replay_resume() on {region}");
                break;
            case FaultKind.Heal:
                await HealAsync(state, actions, ct);
                break;
        }

        if (kind == FaultKind.Heal)
            foreach (var f in state.Faults.Where(f => f.HealedAt is null)) f.HealedAt = at;
        else if (kind == FaultKind.ResumeReplication)
            foreach (var f in state.Faults.Where(f => f.HealedAt is null && f.Kind == "pause-replication" && f.Region == region)) f.HealedAt = at;
        else
            state.Faults.Add(new FaultRecord { Kind = FaultKinds.Name(kind), Region = region, At = at, Detail = string.Join("; ", actions) });
        env.Store.Save(state);
        return new FaultResult(kind, region, at, actions);
    }

    private static void KillPostmaster(Postgres.PostgresCluster cluster, List<string> actions)
    {
        if (cluster.IsRunning() && cluster.PostmasterPid() is { } pid)
        {
            Posix.Signal(pid, Posix.SIGCONT);
            Posix.Signal(pid, Posix.SIGKILL);
            actions.Add($"SIGKILL PostgreSQL postmaster {pid} ({cluster.Address}:{cluster.Port})");
        }
        else actions.Add($"PostgreSQL {cluster.Address}:{cluster.Port} was not running");
    }

    private static void KillInstances(RegionState rs, List<string> actions)
    {
        foreach (var i in rs.Instances.Where(i => i.Pid is not null))
            if (Posix.Signal(i.Pid!.Value, Posix.SIGKILL)) actions.Add($"SIGKILL API {i.Id} (pid {i.Pid})");
    }

    /// <summary>
    /// Undoes faults: resumes hung servers and paused replay, then lets `lab up` restart what was
    /// killed in its recorded role.
    /// </summary>
    private async Task HealAsync(LabState state, List<string> actions, CancellationToken ct)
    {
        foreach (var rs in state.Regions.Values)
        {
            var cluster = env.Cluster(rs.Name);
            if (cluster.IsRunning() && cluster.PostmasterPid() is { } pid && Posix.State(pid) == 'T')
            {
                LabSupervisor.ResumeTree(pid);
                actions.Add($"SIGCONT PostgreSQL {rs.Name} (pid {pid})");
            }
        }
        var recorded = await env.Topology.GetAsync(ct);
        foreach (var rs in state.Regions.Values.Where(r => recorded.Roles.GetValueOrDefault(r.Name) == RegionRole.Standby))
        {
            var cluster = env.Cluster(rs.Name);
            if (!cluster.IsRunning()) continue;
            try
            {
                var paused = await cluster.ScalarAsync<bool>("postgres", env.Options.Database.User, "SELECT pg_is_in_recovery() AND pg_is_wal_replay_paused()", ct);
                if (paused)
                {
                    await cluster.ExecuteAsync("postgres", env.Options.Database.User, "SELECT pg_wal_replay_resume()", ct);
                    actions.Add($"pg_wal_replay_resume() on {rs.Name}");
                }
            }
            catch (Npgsql.NpgsqlException e) { actions.Add($"could not check replay on {rs.Name}: {e.Message}"); }
        }
    }

    /// <summary>
    /// Replay control works only on a server in recovery. The recorded standby may have been promoted
    /// already (a failover between its promote and its role record, the fault campaign's sequence 43):
    /// say so plainly instead of PostgreSQL's 55000.
    /// </summary>
    private async Task ReplaySqlAsync(Postgres.PostgresCluster cluster, string region, string function, CancellationToken ct)
    {
        try { await cluster.ExecuteAsync("postgres", env.Options.Database.User, $"SELECT {function}", ct); }
        catch (Npgsql.PostgresException e) when (e.SqlState == "55000")
        {
            throw new LabException($"{region} is not in recovery: it is not a standby any more (promoted?), so it has no replay to pause or resume; " +
                "`regami-dr status` shows the roles") { ExitCode = 2 };
        }
    }
}
