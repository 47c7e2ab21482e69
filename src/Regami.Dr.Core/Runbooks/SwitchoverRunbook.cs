using Regami.Dr.Core.Polling;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Runbooks;

/// <summary>
/// Planned switchover with zero data loss, even with async replication: the primary stops
/// taking writes, the standby replays everything up to the primary's clean shutdown
/// checkpoint, and only then is promoted. The old primary becomes a standby of the new one.
/// </summary>
public static class SwitchoverRunbook
{
    public const string Kind = "switchover";

    /// <summary>The context value stop-writes hands to wait-replayed.</summary>
    private const string StopWritesPosition = "stop-writes-position";

    /// <summary>
    /// The journaled names of this runbook's own steps (it also runs <see cref="FailoverRunbook.StepNames.PromoteStandby"/>
    /// and <see cref="FailoverRunbook.StepNames.VerifyPublicWrite"/>). Read by the drill and by failback, never retyped.
    /// </summary>
    public static class StepNames
    {
        public const string CheckReplica = "check-replica";
        public const string PrewarmCompute = "prewarm-compute";
        public const string StopWrites = "stop-writes";
        public const string StopOldPrimary = "stop-old-primary";
        public const string WaitReplayed = "wait-replayed";
        public const string MoveTraffic = "move-traffic";
        public const string AssertSingleWriter = FailoverRunbook.StepNames.AssertSingleWriter;
        public const string ScaleDownOld = "scale-down-old";
        public const string RebuildAsStandby = "rebuild-as-standby";
        public const string StartStandby = "start-standby";
        public const string WaitCaughtUp = "wait-caught-up";
    }

    public static Runbook Build(string from, string to, DrPorts ports, FailoverPolicy policy) =>
        new(Kind, new Dictionary<string, string> { ["from"] = from, ["to"] = to }, Steps(from, to, ports, policy).ToList());

    /// <summary>The steps, shared with failback (which is a rebuild followed by a switchover back).</summary>
    public static IEnumerable<RunbookStep> Steps(string from, string to, DrPorts ports, FailoverPolicy policy)
    {
        yield return new RunbookStep
        {
            Name = StepNames.CheckReplica,
            IsGuard = true,
            Description = $"check that {to} streams from {from}",
            Region = to,
            Options = new StepOptions(policy.GuardTimeout),
            AlreadyDone = async (ctx, ct) => (await ports.Database.ObserveAsync(to, ct)) is { Writable: true } ? $"{to} already accepts writes" : null,
            Execute = async (ctx, ct) =>
            {
                var target = await ports.Database.ObserveAsync(to, ct);
                if (!target.IsReplica) throw new GuardRefusedException("target-replica", $"{to} is not a reachable replica ({target.Error ?? "not in recovery"}); nothing was changed");
                var primary = await ports.Database.ObserveAsync(from, ct);
                if (!primary.Reachable) throw new GuardRefusedException("primary-reachable", $"{from} is unreachable ({primary.Error}); a switchover needs both regions — use `failover` for an outage");
                if (primary.ReplicaStreaming != true) throw new GuardRefusedException("streaming", $"{to} is not streaming from {from}; nothing was changed");
                return $"{to} streams from {from}, {primary.ReplicaLagBytes ?? 0} bytes behind";
            },
        };
        yield return new RunbookStep
        {
            Name = StepNames.PrewarmCompute,
            Description = $"start {to}'s compute before writes stop (shortens the unavailability window)",
            Region = to,
            Options = new StepOptions(policy.ComputeTimeout),
            AlreadyDone = async (ctx, ct) => (await ports.Compute.ObserveAsync(to, ct)) is { } c && c.Desired >= ports.Compute.ActiveInstances && c.Healthy >= ports.Compute.ReadyInstances
                ? $"{c.Healthy} of {ports.Compute.ActiveInstances} instances already healthy" : null,
            Execute = async (ctx, ct) =>
            {
                var what = await ports.Compute.ScaleAsync(to, ports.Compute.ActiveInstances, ct);
                // compute.readyInstances, as for a failover: the rest join as they start.
                var c = await Poll.UntilAsync(t => ports.Compute.ObserveAsync(to, t), c => c.Healthy >= ports.Compute.ReadyInstances, FailoverRunbook.PollInterval, ctx.Time, ct);
                return $"{what}; {c.Healthy} of {ports.Compute.ActiveInstances} healthy";
            },
        };
        yield return new RunbookStep
        {
            Name = StepNames.StopWrites,
            Description = $"{from} refuses new writes and ends open sessions (write unavailability starts)",
            Region = from,
            Options = new StepOptions(TimeSpan.FromSeconds(20)),
            AlreadyDone = async (ctx, ct) => (await ports.Database.ObserveAsync(from, ct)).Writes == WriteAcceptance.Refuses ? $"{from} accepts no writes" : null,
            Execute = async (ctx, ct) =>
            {
                var lsn = await ports.Database.StopWritesAsync(from, ct);
                // Journaled (this detail) and handed to wait-replayed: the last position a write can have.
                ctx.Values[StopWritesPosition] = lsn;
                return $"{from} is read-only at {lsn}";
            },
        };
        yield return new RunbookStep
        {
            Name = StepNames.StopOldPrimary,
            Description = $"shut {from} down cleanly (its last WAL and shutdown checkpoint go to {to})",
            Region = from,
            Options = new StepOptions(TimeSpan.FromSeconds(45)),
            AlreadyDone = async (ctx, ct) => (await ports.Database.ObserveAsync(from, ct)) is { Running: false }
                && (await ports.Topology.GetAsync(ct)).Roles.GetValueOrDefault(from) != RegionRole.Primary ? $"{from} is stopped" : null,
            Execute = async (ctx, ct) =>
            {
                var what = await ports.Database.FenceAsync(from, ct);
                await ports.Topology.SetRoleAsync(from, RegionRole.Fenced, ct);
                return what;
            },
        };
        yield return new RunbookStep
        {
            Name = StepNames.WaitReplayed,
            Description = $"wait until {to} has replayed {from}'s shutdown checkpoint (nothing acknowledged is missing)",
            Region = to,
            Options = new StepOptions(policy.CatchUpTimeout),
            AlreadyDone = async (ctx, ct) => (await ports.Database.ObserveAsync(to, ct)) is { Writable: true } ? $"{to} already accepts writes" : null,
            Execute = async (ctx, ct) =>
            {
                // Both positions, each in the provider's own terms: the stop-writes position (every
                // acknowledged write is before it) and the shutdown checkpoint (after it when the stop was
                // clean, which the clean-shutdown guard requires). A resumed run has only the checkpoint.
                var stopped = ctx.Values.GetValueOrDefault(StopWritesPosition);
                if (stopped is not null) await ports.Database.WaitUntilReplayedAsync(to, stopped, policy.CatchUpTimeout, ct);
                var checkpoint = await ports.Database.LastCheckpointAsync(from, ct);
                await ports.Database.WaitUntilReplayedAsync(to, checkpoint, policy.CatchUpTimeout, ct);
                return stopped is null
                    ? $"{to} replayed past {from}'s shutdown checkpoint {checkpoint} (the stop-writes position is in this run's journal, not in this process: resumed)"
                    : $"{to} replayed past {from}'s stop-writes position {stopped} and shutdown checkpoint {checkpoint}";
            },
        };
        yield return FailoverRunbook.Promote(to, ports, policy);
        // The same safety rule as a failover's, before any routing change: only the new primary takes writes.
        yield return FailoverRunbook.AssertSingleWriter(to, ports, policy);
        yield return new RunbookStep
        {
            Name = StepNames.MoveTraffic,
            Description = $"routing control on for {to} (counted healthy at once: its compute and single writer were just verified), off for {from}",
            Options = new StepOptions(TimeSpan.FromSeconds(10), 2, TimeSpan.FromMilliseconds(500)),
            AlreadyDone = async (ctx, ct) => await ports.Traffic.GetRoutingControlsAsync(ct) is { } rc && !rc.GetValueOrDefault(from, true) && rc.GetValueOrDefault(to, true) ? "routing controls already set" : null,
            Execute = async (ctx, ct) =>
            {
                var routed = await FailoverRunbook.RouteAndMarkHealthyAsync(to, ports, $"run {ctx.RunId} saw its compute healthy and its database the only writer", ct);
                await ports.Traffic.SetRoutingControlAsync(from, false, ct);
                return $"traffic may go to {to} only ({routed})";
            },
        };
        yield return FailoverRunbook.VerifyPublicWrite(to, ports);
        yield return new RunbookStep
        {
            Name = StepNames.ScaleDownOld,
            Description = $"scale {from}'s compute to the standby count ({ports.Compute.StandbyInstances})",
            Region = from,
            Options = new StepOptions(TimeSpan.FromSeconds(30), 1),
            AlreadyDone = async (ctx, ct) => (await ports.Compute.ObserveAsync(from, ct)) is { } c && c.Desired == ports.Compute.StandbyInstances && c.Running <= ports.Compute.StandbyInstances ? "already at the standby count" : null,
            Execute = (ctx, ct) => ports.Compute.ScaleAsync(from, ports.Compute.StandbyInstances, ct),
        };
        foreach (var step in RejoinAsStandby(from, to, ReclonePolicy.Never, ports, policy)) yield return step;
        // The old region's routing control stays off: its DNS health check still remembers it
        // serving, and turning it back on now would let DNS answer it (a read-only standby) for
        // a few checks. The next failover's route-traffic step turns it on when it is wanted.
    }

    /// <summary>Rebuild a stopped former primary as a replica of the new primary, start it, and restore sync mode if configured.</summary>
    public static IEnumerable<RunbookStep> RejoinAsStandby(string region, string primary, ReclonePolicy reclone, DrPorts ports, FailoverPolicy policy)
    {
        yield return new RunbookStep
        {
            Name = StepNames.RebuildAsStandby,
            Description = reclone switch
            {
                ReclonePolicy.Always => $"make {region} a replica of {primary} with a fresh pg_basebackup (--reclone)",
                ReclonePolicy.WhenRewindImpossible => $"make {region} a replica of {primary} (lab: pg_rewind, a fresh clone only if rewind is impossible; AWS: a new read replica)",
                _ => $"make {region} a replica of {primary} (lab: pg_rewind, nothing diverged after a clean switchover; AWS: a new read replica)",
            },
            Region = region,
            Options = new StepOptions(TimeSpan.FromMinutes(30)),
            AlreadyDone = async (ctx, ct) => (await ports.Database.ObserveAsync(region, ct)) is { Reachable: true, InRecovery: true } ? $"{region} already runs as a replica" : null,
            Execute = async (ctx, ct) =>
            {
                var outcome = await ports.Database.RebuildAsReplicaAsync(region, primary, reclone, ct);
                ctx.Values["rebuildPath"] = outcome.Path.ToString();
                return $"{outcome.Path.ToString().ToLowerInvariant()}: {outcome.Detail} ({outcome.Duration.TotalSeconds:0.0} s)";
            },
        };
        yield return new RunbookStep
        {
            Name = StepNames.StartStandby,
            Description = $"start {region} as a streaming replica of {primary}",
            Region = region,
            Options = new StepOptions(TimeSpan.FromSeconds(90)),
            AlreadyDone = async (ctx, ct) => (await ports.Database.ObserveAsync(region, ct)) is { Reachable: true, InRecovery: true }
                && (await ports.Topology.GetAsync(ct)).Roles.GetValueOrDefault(region) == RegionRole.Standby ? $"{region} already runs as a replica" : null,
            Execute = async (ctx, ct) =>
            {
                var what = await ports.Database.StartAsync(region, ct);
                await ports.Topology.SetRoleAsync(region, RegionRole.Standby, ct);
                return what;
            },
        };
        yield return new RunbookStep
        {
            Name = StepNames.WaitCaughtUp,
            Description = $"wait until {region} streams and is at most {policy.CaughtUpBytes / 1024} KiB behind {primary}",
            Region = region,
            Options = new StepOptions(policy.CatchUpTimeout),
            Execute = async (ctx, ct) =>
            {
                await ports.Database.WaitUntilCaughtUpAsync(primary, region, policy.CaughtUpBytes, policy.CatchUpTimeout, ct);
                await ports.Topology.SetRoleAsync(region, RegionRole.Standby, ct);
                var topology = await ports.Topology.GetAsync(ct);
                if (topology.ReplicationMode == ReplicationMode.Sync)
                {
                    await ports.Database.SetSynchronousStandbyAsync(primary, region, ct);
                    return $"{region} is caught up; {primary} replicates synchronously to it again";
                }
                return $"{region} is caught up";
            },
        };
    }
}
