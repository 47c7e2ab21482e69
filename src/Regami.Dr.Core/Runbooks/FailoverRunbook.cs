using Regami.Dr.Core.Polling;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Runbooks;

/// <summary>
/// Unplanned failover: the standby takes over from a primary that is (or may be) gone.
/// Order is the safety argument: the old primary is fenced (no traffic, no compute, database
/// stopped) before the standby is promoted, and the "one writer" assertion holds before
/// traffic is routed to the new primary — so two writable primaries never serve.
/// </summary>
public static class FailoverRunbook
{
    /// <summary>How often a step re-checks what it waits for (a short poll, never a fixed sleep; the step's timeout bounds the wait).</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public const string Kind = "failover";

    /// <summary>
    /// The journaled names of this runbook's steps. Code outside the runbook (the drill's phase
    /// marks, tests) reads a run's journal by these names, so they are constants, never retyped.
    /// </summary>
    public static class StepNames
    {
        public const string CheckTarget = "check-target";
        public const string RpoGuard = "rpo-guard";
        public const string StartCompute = "start-compute";
        public const string FenceTraffic = "fence-traffic";
        public const string FenceCompute = "fence-compute";
        public const string FenceDatabase = "fence-database";
        public const string PromoteStandby = "promote-standby";
        public const string ScaleCompute = "scale-compute";
        public const string AssertSingleWriter = "assert-single-writer";
        public const string RouteTraffic = "route-traffic";
        public const string VerifyPublicWrite = "verify-public-write";
    }

    public static Runbook Build(string from, string to, bool force, DrPorts ports, FailoverPolicy policy)
    {
        var p = new Dictionary<string, string> { ["from"] = from, ["to"] = to, ["force"] = force ? "true" : "false" };
        return new Runbook(Kind, p, [
            CheckTarget(to, ports, policy),
            RpoGuard(from, to, force, ports, policy),
            StartCompute(to, ports, policy),
            .. FenceSteps(from, to, ports),
            Promote(to, ports, policy),
            ScaleUp(to, ports, policy),
            AssertSingleWriter(to, ports, policy),
            RouteTraffic(to, ports),
            VerifyPublicWrite(to, ports),
        ]);
    }

    internal static RunbookStep CheckTarget(string to, DrPorts ports, FailoverPolicy policy) => new()
    {
        Name = StepNames.CheckTarget,
        IsGuard = true,
        Description = $"check that {to}'s database is reachable and is a replica (or already promoted)",
        Region = to,
        Options = new StepOptions(policy.GuardTimeout),
        Execute = async (ctx, ct) =>
        {
            var db = await ports.Database.ObserveAsync(to, ct);
            if (!db.Reachable) throw new GuardRefusedException("target-reachable", $"the target database {to} is unreachable ({db.Error}); nothing was changed");
            return db.InRecovery ? $"{to} is a reachable replica at {db.Lsn}" : $"{to} already accepts writes (promoted earlier)";
        },
    };

    internal static RunbookStep RpoGuard(string from, string to, bool force, DrPorts ports, FailoverPolicy policy) => new()
    {
        Name = StepNames.RpoGuard,
        IsGuard = true,
        Description = $"last known replica lag of {to} plus the sample's age ≤ {policy.RpoGuard.MaxLag.TotalSeconds:0} s, ≤ {policy.RpoGuard.MaxLagBytes / 1024 / 1024} MiB, sampled within {policy.RpoGuard.SampleAgeLimit.TotalSeconds:0} s, standby streaming (the RPO guard)",
        Region = to,
        Options = new StepOptions(policy.GuardTimeout),
        AlreadyDone = async (ctx, ct) => (await ports.Database.ObserveAsync(to, ct)) is { Reachable: true, InRecovery: false } ? $"{to} is already promoted" : null,
        Execute = async (ctx, ct) =>
        {
            var sample = await LastKnownLagAsync(from, to, ports, ctx.Time, policy.RpoGuard, ct);
            var verdict = RpoGuardDecision.Evaluate(sample, ctx.Time.GetUtcNow(), policy.RpoGuard);
            if (verdict.Pass) return verdict.Reason;
            if (force) return $"forced past the RPO guard: {verdict.Reason}";
            throw new GuardRefusedException("rpo", $"{verdict.Reason}; refusing to fail over (acknowledged writes could be lost). Re-run with --force to accept that loss.");
        },
    };

    /// <summary>
    /// The lag now when the primary answers (and remember it); otherwise the last remembered sample.
    /// A primary that answers but reports its standby not connected or not streaming gives a sample
    /// that says so (<see cref="LagSample.FromPrimary"/>), which the guard refuses: the older
    /// remembered sample from when it streamed is not used in its place.
    /// A primary that has not answered within <see cref="FreshLagWait"/> is not waited for when the
    /// remembered sample already passes the guard: that sample's verdict is sound whatever happened
    /// since (the guard counts every write since it as at risk), and a hung primary would otherwise
    /// hold the failover for the observation's whole timeout. When the remembered sample does not
    /// pass, the primary's answer (or its failure) is waited for as before.
    /// </summary>
    public static async Task<LagSample?> LastKnownLagAsync(string from, string to, DrPorts ports, TimeProvider time, RpoGuardPolicy guard, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var observing = ports.Database.ObserveAsync(from, stop.Token);
        DatabaseObservation primary;
        try
        {
            primary = await observing.WaitAsync(FreshLagWait, time, ct);
        }
        catch (TimeoutException) when (!observing.IsCompleted)
        {
            var remembered = await ports.Lag.LastAsync(ct);
            if (remembered is not null && RpoGuardDecision.Evaluate(remembered, time.GetUtcNow(), guard).Pass)
            {
                await stop.CancelAsync();
                Abandoned.Leave(observing);
                return remembered;
            }
            primary = await observing;
        }
        if (LagSample.FromPrimary(primary, to, time.GetUtcNow()) is { } sample)
            return await ports.Lag.RecordAsync(sample, ct);
        return await ports.Lag.LastAsync(ct);
    }

    /// <summary>How long the rpo-guard step waits for the primary's own answer when the remembered lag already passes.</summary>
    public static readonly TimeSpan FreshLagWait = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Asks for the target's compute before fencing and promotion instead of after them, so the
    /// instances boot while those run (the slowest part of a cold standby). Safe: they take no traffic
    /// until route-traffic, and their database is a read-only replica until promote-standby.
    /// scale-compute later waits for them to be healthy.
    /// </summary>
    internal static RunbookStep StartCompute(string to, DrPorts ports, FailoverPolicy policy) => new()
    {
        Name = StepNames.StartCompute,
        Description = $"start {to}'s compute now ({ports.Compute.ActiveInstances} instances), so it boots while the old primary is fenced and {to} promoted; it takes no traffic until route-traffic",
        Region = to,
        Options = new StepOptions(policy.ComputeTimeout),
        // No AlreadyDone: observing the compute health-checks every instance, and instances the
        // controller pre-warmed a second ago answer their first request slowly (≈ 0.5 s of the
        // RTO); asking again for the same count is a no-op ("started 0").
        Execute = (ctx, ct) => ports.Compute.ScaleAsync(to, ports.Compute.ActiveInstances, ct),
    };

    internal static IEnumerable<RunbookStep> FenceSteps(string from, string to, DrPorts ports)
    {
        yield return new RunbookStep
        {
            Name = StepNames.FenceTraffic,
            Description = $"routing control off for {from}: the public name stops sending clients there",
            Region = from,
            Options = new StepOptions(TimeSpan.FromSeconds(10), 2, TimeSpan.FromMilliseconds(500)),
            AlreadyDone = async (ctx, ct) => (await ports.Traffic.GetRoutingControlsAsync(ct)).GetValueOrDefault(from, true) ? null : "routing control already off",
            Execute = async (ctx, ct) =>
            {
                // A switchover or failback leaves the old region's control off, so after one the
                // target may be the only other control and off: turning `from` off alone would leave
                // no region routed (refused by the safety rule; found by the fault campaign). Turn the
                // target on first, the ARC way of swapping controls — safe, since it is still a
                // read-only replica; the single-writer assertion still runs before route-traffic.
                var swapped = false;
                if (!(await ports.Traffic.GetRoutingControlsAsync(ct)).GetValueOrDefault(to, true))
                {
                    await ports.Traffic.SetRoutingControlAsync(to, true, ct);
                    swapped = true;
                }
                await ports.Traffic.SetRoutingControlAsync(from, false, ct);
                return swapped ? $"routing control of {from} is off ({to}'s turned on first: never no region routed)" : $"routing control of {from} is off";
            },
        };
        yield return new RunbookStep
        {
            Name = StepNames.FenceCompute,
            Description = $"scale {from}'s compute to 0",
            Region = from,
            Options = new StepOptions(TimeSpan.FromSeconds(30), 1),
            // No AlreadyDone: observing the compute asks its load balancer's /health?check=db, which
            // on a hung database waits ≈ 1.5 s; fencing an already fenced region is a no-op anyway
            // ("stopped 0"), so a resumed run loses nothing by doing it again.
            Execute = (ctx, ct) => ports.Compute.FenceAsync(from, ct),
        };
        yield return new RunbookStep
        {
            Name = StepNames.FenceDatabase,
            Description = $"make {from}'s database accept no writes (lab: stop it, killed if it will not stop; AWS: no client can connect)",
            Region = from,
            Options = new StepOptions(TimeSpan.FromSeconds(45), 1),
            // Skipped only when it is stopped AND recorded as fenced: the recorded role is what keeps
            // `lab up` and the controller from starting or trusting it again.
            // The recorded role first: it is cheap, and asking a hung server first costs its whole timeout.
            AlreadyDone = async (ctx, ct) => (await ports.Topology.GetAsync(ct)).Roles.GetValueOrDefault(from) == RegionRole.Fenced
                && (await ports.Database.ObserveAsync(from, ct)) is { Running: false } ? "the database is stopped and recorded as fenced" : null,
            Execute = async (ctx, ct) =>
            {
                var what = await ports.Database.FenceAsync(from, ct);
                await ports.Topology.SetRoleAsync(from, RegionRole.Fenced, ct);
                return what;
            },
            // Three-valued: "did not answer" is not "fenced" (a hung server, a control plane out of reach).
            Verify = async (ctx, ct) =>
            {
                var o = await ports.Database.ObserveAsync(from, ct);
                return o.Writes switch
                {
                    WriteAcceptance.Refuses => null,
                    WriteAcceptance.Accepts => $"{from} still accepts writes",
                    _ => $"whether {from} still accepts writes is unknown ({o.Error ?? "no answer"}): it is not counted as fenced, so nothing is promoted; make sure it cannot take writes, then resume the run",
                };
            },
        };
    }

    internal static RunbookStep Promote(string to, DrPorts ports, FailoverPolicy policy) => new()
    {
        Name = StepNames.PromoteStandby,
        Description = $"promote {to}'s database (lab: pg_promote; AWS: promote-read-replica) and wait until it accepts writes",
        Region = to,
        Options = new StepOptions(policy.PromoteTimeout),
        AlreadyDone = async (ctx, ct) => (await ports.Database.ObserveAsync(to, ct)) is { Writable: true }
            && (await ports.Topology.GetAsync(ct)).Roles.GetValueOrDefault(to) == RegionRole.Primary ? $"{to} already accepts writes and is recorded as primary" : null,
        Execute = async (ctx, ct) =>
        {
            var what = await ports.Database.PromoteAsync(to, ct);
            await ports.Topology.SetRoleAsync(to, RegionRole.Primary, ct);
            return what;
        },
        Verify = async (ctx, ct) => (await ports.Database.ObserveAsync(to, ct)) is { Writable: true } ? null : $"{to} does not accept writes",
    };

    internal static RunbookStep ScaleUp(string to, DrPorts ports, FailoverPolicy policy) => new()
    {
        Name = StepNames.ScaleCompute,
        Description = $"scale {to}'s compute to {ports.Compute.ActiveInstances} and wait until {ports.Compute.ReadyInstances} of them are healthy and its load balancer is (compute.readyInstances; the rest join as they start)",
        Region = to,
        Options = new StepOptions(policy.ComputeTimeout),
        AlreadyDone = async (ctx, ct) => (await ports.Compute.ObserveAsync(to, ct)) is { } c && c.Desired >= ports.Compute.ActiveInstances
            && c.Healthy >= ports.Compute.ReadyInstances && c.LoadBalancerHealthy
            ? $"{c.Healthy} of {ports.Compute.ActiveInstances} instances healthy already" : null,
        Execute = async (ctx, ct) =>
        {
            var what = await ports.Compute.ScaleAsync(to, ports.Compute.ActiveInstances, ct);
            var c = await Poll.UntilAsync(t => ports.Compute.ObserveAsync(to, t), c => c.Healthy >= ports.Compute.ReadyInstances && c.LoadBalancerHealthy, PollInterval, ctx.Time, ct);
            var rest = c.Healthy < ports.Compute.ActiveInstances ? "; the rest join as they start" : "";
            return $"{what}; {c.Healthy} of {ports.Compute.ActiveInstances} healthy, load balancer healthy{rest}";
        },
    };

    /// <summary>Route 53 ARC's safety rule in spirit: exactly one database accepts writes, and it is where traffic goes.</summary>
    internal static RunbookStep AssertSingleWriter(string to, DrPorts ports, FailoverPolicy policy) => new()
    {
        Name = StepNames.AssertSingleWriter,
        IsGuard = true,
        Description = $"safety rule: exactly one region's database accepts writes, and it is {to}",
        Options = new StepOptions(policy.GuardTimeout),
        Execute = async (ctx, ct) =>
        {
            var topology = await ports.Topology.GetAsync(ct);
            var observed = await Task.WhenAll(topology.Regions.Select(r => ports.Database.ObserveAsync(r, ct)));
            var writers = observed.Where(o => o.Writes == WriteAcceptance.Accepts).Select(o => o.Region).ToList();
            // A database nobody could ask may be a second writer: not proven single, so not routed.
            var unknown = observed.Where(o => o.Writes == WriteAcceptance.Unknown && o.Region != to).Select(o => $"{o.Region} ({o.Error ?? "no answer"})").ToList();
            if (writers.Count == 1 && writers[0] == to && unknown.Count == 0) return $"only {to} accepts writes";
            throw new GuardRefusedException("single-writer", unknown.Count > 0 && writers.SequenceEqual([to])
                ? $"refusing to route traffic: {to} accepts writes, and whether [{string.Join(", ", unknown)}] does is unknown"
                : $"refusing to route traffic: writable databases are [{string.Join(", ", writers)}], expected only {to}");
        },
    };

    internal static RunbookStep RouteTraffic(string to, DrPorts ports) => new()
    {
        Name = StepNames.RouteTraffic,
        Description = $"routing control on for {to}, which counts as healthy at once (the steps before just verified it: the ARC way) instead of after fresh health checks",
        Region = to,
        Options = new StepOptions(TimeSpan.FromSeconds(10), 2, TimeSpan.FromMilliseconds(500)),
        // No AlreadyDone: both halves are idempotent, and a control that is already on still needs the mark.
        Execute = (ctx, ct) => RouteAndMarkHealthyAsync(to, ports, $"run {ctx.RunId} saw its load balancer healthy and its database the only writer", ct),
    };

    /// <summary>
    /// Turns <paramref name="to"/>'s routing control on (if off) and tells the traffic layer it was just
    /// verified healthy, so the public name answers it without waiting for the failure-threshold of
    /// fresh passes (≈ 3 s at lab defaults). Callers run it only after the single-writer assertion.
    /// </summary>
    internal static async Task<string> RouteAndMarkHealthyAsync(string to, DrPorts ports, string evidence, CancellationToken ct)
    {
        var wasOn = (await ports.Traffic.GetRoutingControlsAsync(ct)).GetValueOrDefault(to, true);
        if (!wasOn) await ports.Traffic.SetRoutingControlAsync(to, true, ct);
        var marked = await ports.Traffic.MarkHealthyAsync(to, evidence, ct);
        return $"routing control of {to} {(wasOn ? "was already on" : "is on")}; {marked}";
    }

    internal static RunbookStep VerifyPublicWrite(string to, DrPorts ports) => new()
    {
        Name = StepNames.VerifyPublicWrite,
        Description = $"wait until the public name resolves to {to}, then write a record through it",
        Region = to,
        Options = new StepOptions(ports.Traffic.WorstCaseSwitchTime + TimeSpan.FromSeconds(20)),
        Execute = async (ctx, ct) =>
        {
            var started = ctx.Time.GetTimestamp();
            await Poll.UntilAsync(ports.Traffic.ResolveActiveRegionAsync, r => r == to, PollInterval, ctx.Time, ct);
            var resolvedAfter = ctx.Time.GetElapsedTime(started);
            var write = await Poll.UntilAsync(t => ports.Traffic.WriteThroughPublicNameAsync($"runbook {ctx.RunId}", t), w => w.Succeeded, PollInterval, ctx.Time, ct);
            return $"the public name answered {to} after {resolvedAfter.TotalSeconds:0.0} s; {write.Detail}";
        },
    };
}
