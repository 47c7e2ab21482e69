using Regami.Dr.Core.Ports;
using Regami.Dr.Lab.Postgres;

namespace Regami.Dr.Lab.Provider;

/// <summary>The lab's databases: PostgreSQL driven by pg_promote, pg_ctl, pg_rewind and pg_basebackup.</summary>
public sealed class LabDatabasePort(LabEnvironment env) : IDatabasePort
{
    private PostgresRoleOperations Ops => new(env.Binaries(), env.Runner, env.Options.Database.User);
    private string User => env.Options.Database.User;

    public async Task<DatabaseObservation> ObserveAsync(string region, CancellationToken ct)
    {
        var cluster = env.Cluster(region);
        if (!cluster.IsRunning())
            return new DatabaseObservation(region, false, false, false, false, null, null, null, null, "not running");
        var o = await cluster.ObserveAsync(User, TimeSpan.FromSeconds(1.5), ct);
        return new DatabaseObservation(region, o.Reachable, true, o.InRecovery, o.Reachable && !o.InRecovery && !o.ReadOnlyByDefault,
            o.CurrentLsn ?? o.ReplayLsn, o.ReplicaLagBytes, o.ReplicaReplayLagSeconds, o.ReplicaState is null ? null : o.ReplicaState == "streaming", o.Error);
    }

    public async Task<string> PromoteAsync(string region, CancellationToken ct)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var note = await Ops.PromoteAsync(env.Cluster(region), TimeSpan.FromSeconds(60), ct);
        return $"{(note is null ? "" : note + "; ")}pg_promote() on {region}: accepts writes after {sw.Elapsed.TotalSeconds:0.00} s (checkpointed for pg_rewind)";
    }

    public async Task<string> FenceAsync(string region, CancellationToken ct)
    {
        var what = await Ops.FenceAsync(env.Cluster(region), ct);
        await RecordPidAsync(region, ct);
        return what;
    }

    public Task<string> StopWritesAsync(string region, CancellationToken ct) => Ops.StopWritesAsync(env.Cluster(region), ct);

    public Task WaitUntilReplayedAsync(string standbyRegion, string lsn, TimeSpan timeout, CancellationToken ct) =>
        Ops.WaitUntilReplayedAsync(env.Cluster(standbyRegion), lsn, timeout, ct);

    /// <summary>
    /// The shutdown checkpoint bounds everything the old primary wrote only when it was shut down
    /// cleanly. After a SIGKILL (the fence's fallback) WAL may follow the last checkpoint, so the
    /// switchover cannot prove it loses nothing: it refuses (nothing is promoted) and says so.
    /// </summary>
    public async Task<string> LastCheckpointAsync(string region, CancellationToken ct)
    {
        var control = await Ops.ReadControlDataAsync(env.Cluster(region), ct);
        if (!control.IsCleanlyShutDown)
            throw new Core.Runbooks.GuardRefusedException("clean-shutdown",
                $"{region} was not shut down cleanly (pg_control says '{control.ClusterState}'): its last checkpoint {control.LatestCheckpointLocation} " +
                "does not bound the WAL it wrote, so this switchover cannot prove it loses nothing; nothing was promoted. " +
                "Start it again and retry the switchover, or run `regami-dr failover --force` to accept a possible loss");
        return control.LatestCheckpointLocation;
    }

    public Task<RebuildOutcome> RebuildAsReplicaAsync(string region, string primaryRegion, ReclonePolicy reclone, CancellationToken ct) =>
        Ops.RebuildAsStandbyAsync(env.Cluster(region), env.Cluster(primaryRegion), LabEnvironment.SlotName(region), region,
            allowReclone: reclone != ReclonePolicy.Never, ct, forceReclone: reclone == ReclonePolicy.Always);

    public async Task<string> StartAsync(string region, CancellationToken ct)
    {
        var cluster = env.Cluster(region);
        if (!cluster.IsRunning())
        {
            // A standby becomes consistent only once WAL past its minimum recovery point exists; on
            // an idle primary a forced checkpoint provides it (also when a rebuild is resumed).
            if (File.Exists(Path.Combine(cluster.DataDirectory, "standby.signal")) && (await env.Topology.GetAsync(ct)).Primary is { } primary && primary != region)
            {
                try { await env.Cluster(primary).ExecuteAsync("postgres", User, "CHECKPOINT", ct, 60); }
                catch (Npgsql.NpgsqlException) { /* the start below reports what matters */ }
            }
            await cluster.StartAsync(ct);
        }
        await RecordPidAsync(region, ct);
        return $"PostgreSQL {region} running (pid {cluster.PostmasterPid()})";
    }

    public Task WaitUntilCaughtUpAsync(string primaryRegion, string standbyRegion, long maxLagBytes, TimeSpan timeout, CancellationToken ct) =>
        Ops.WaitUntilCaughtUpAsync(env.Cluster(primaryRegion), standbyRegion, maxLagBytes, timeout, ct);

    public Task SetSynchronousStandbyAsync(string primaryRegion, string? standbyRegion, CancellationToken ct) =>
        Ops.SetSynchronousStandbyAsync(env.Cluster(primaryRegion), standbyRegion, ct);

    private async Task RecordPidAsync(string region, CancellationToken ct)
    {
        using var _ = await env.Store.LockAsync(TimeSpan.FromSeconds(30), ct);
        var state = env.Store.Load();
        if (state is null) return;
        state.Region(region).PostmasterPid = env.Cluster(region).IsRunning() ? env.Cluster(region).PostmasterPid() : null;
        env.Store.Save(state);
    }
}
