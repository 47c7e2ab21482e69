namespace Regami.Dr.Core.Campaigns;

/// <summary>The faults a campaign draws from: the lab's own faults plus the controller's.</summary>
public enum CampaignFault
{
    /// <summary>SIGKILL the primary's postmaster.</summary>
    KillDb,
    /// <summary>SIGSTOP the primary's whole PostgreSQL tree (held until the sequence heals).</summary>
    HangDb,
    /// <summary>SIGKILL the primary region's API instances.</summary>
    KillApp,
    /// <summary>Kill the primary region's instances, load balancer and database.</summary>
    RegionOutage,
    /// <summary>Pause replay on the standby (held until the sequence heals).</summary>
    PauseReplication,
    /// <summary>Short hangs of the primary database, each shorter than the detection window: must not fail over.</summary>
    Flapping,
    /// <summary>SIGKILL the controller (mid-runbook when it lands there), restarted after <see cref="CampaignStep.Hold"/>.</summary>
    ControllerKill,
    /// <summary>SIGSTOP the controller past its lease TTL, then SIGCONT: it must not act on a lease it lost.</summary>
    ControllerPause,
    /// <summary>Cut the replication link between the regions for <see cref="CampaignStep.Hold"/> (clients still reach the primary).</summary>
    PartitionRegions,
    /// <summary>Cut the controller off from the primary region for <see cref="CampaignStep.Hold"/> (clients still reach it).</summary>
    PartitionController,
}

/// <summary>The command-line and report names of <see cref="CampaignFault"/>.</summary>
public static class CampaignFaults
{
    public static string Name(CampaignFault fault) => fault switch
    {
        CampaignFault.KillDb => "kill-db",
        CampaignFault.HangDb => "hang-db",
        CampaignFault.KillApp => "kill-app",
        CampaignFault.RegionOutage => "region-outage",
        CampaignFault.PauseReplication => "pause-replication",
        CampaignFault.Flapping => "flapping",
        CampaignFault.ControllerKill => "controller-kill",
        CampaignFault.ControllerPause => "controller-pause",
        CampaignFault.PartitionRegions => "partition-regions",
        CampaignFault.PartitionController => "partition-controller",
        _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, null),
    };

    /// <summary>Faults that take the primary away: the controller is expected to fail over.</summary>
    public static bool TakesPrimaryAway(CampaignFault fault) =>
        fault is CampaignFault.KillDb or CampaignFault.HangDb or CampaignFault.KillApp or CampaignFault.RegionOutage;

    /// <summary>
    /// A controller partition that outlasts detection: from the controller's side the primary region is
    /// gone (with one vantage point a partition cannot be told from an outage), so a failover it starts
    /// is allowed (safe: it fences first) and a flap inside it is not judged (campaign seed 20261129, sequence 75).
    /// </summary>
    public static bool BlindsController(CampaignStep step, CampaignShape shape) =>
        step.Fault == CampaignFault.PartitionController && step.Hold >= shape.CheckInterval * shape.FailureThreshold;

    public static IReadOnlyList<CampaignFault> All { get; } = Enum.GetValues<CampaignFault>();
}

/// <summary>
/// One fault of a sequence.
/// </summary>
/// <param name="Wait">Time after the previous step (or the sequence's start) before this fault is injected.</param>
/// <param name="Hold">How long a held fault lasts before it is released (controller pause and kill: until SIGCONT or
/// restart; partitions: until the rules go; flapping: each hang); zero for faults that last until the sequence heals.</param>
/// <param name="Repeats">Flapping: how many hangs, each followed by a gap of <see cref="Gap"/>.</param>
/// <param name="Gap">Flapping: healthy time between two hangs.</param>
public sealed record CampaignStep(CampaignFault Fault, TimeSpan Wait, TimeSpan Hold, int Repeats = 1, TimeSpan Gap = default)
{
    public override string ToString() => Fault switch
    {
        CampaignFault.Flapping => $"+{Wait.TotalSeconds:0.0}s flapping {Repeats}×{Hold.TotalSeconds:0.0}s",
        CampaignFault.ControllerKill or CampaignFault.ControllerPause or CampaignFault.PartitionRegions or CampaignFault.PartitionController
            => $"+{Wait.TotalSeconds:0.0}s {CampaignFaults.Name(Fault)} {Hold.TotalSeconds:0.0}s",
        _ => $"+{Wait.TotalSeconds:0.0}s {CampaignFaults.Name(Fault)}",
    };
}

/// <summary>One random sequence of faults, followed (by the runner) by heal, resume and failback.</summary>
public sealed record CampaignSequence(int Number, IReadOnlyList<CampaignStep> Steps)
{
    public override string ToString() => string.Join(", ", Steps);
}

/// <summary>The timings a plan is cut to: a flap must stay below the detection window, a pause must outlast the lease.</summary>
/// <param name="CheckInterval">Time between two health checks of a region.</param>
/// <param name="FailureThreshold">Consecutive failed checks that make a region unhealthy.</param>
/// <param name="CheckTimeout">How long one check may take.</param>
/// <param name="LeaseTtl">The controller lease's time to live.</param>
/// <param name="MaxSteps">Faults per sequence, at most.</param>
/// <param name="PathRecovery">How long after a hang ends the probed path still fails fast: the region's load
/// balancer answers 503 until its own check sees the instance healthy again (lab: 0.5 s checks, so about 1 s).</param>
public sealed record CampaignShape(TimeSpan CheckInterval, int FailureThreshold, TimeSpan CheckTimeout, TimeSpan LeaseTtl, int MaxSteps = 3, TimeSpan PathRecovery = default)
{
    /// <summary>The lab's defaults: 1 s checks with a 1 s timeout, threshold 3, a 5 s lease, 1 s of load balancer recovery.</summary>
    public static CampaignShape Lab { get; } = new(TimeSpan.FromSeconds(1), 3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), PathRecovery: TimeSpan.FromSeconds(1));

    /// <summary>
    /// One flap. A check fails while the path fails: from the hang's start until <see cref="PathRecovery"/>
    /// after its end (the load balancer turns a hang into fast 503s, then keeps them until its own check
    /// passes). Checks start every interval, so that window holds at most ⌈(hang + recovery) / interval⌉
    /// of them: the hang is cut so that this stays below the threshold, with half an interval to spare.
    /// (Cut to the controller's checks alone — hang + timeout — the campaign's first long run made flaps of
    /// 2 s that failed 3 checks in a row through the load balancer: real failures, not flaps.)
    /// </summary>
    public TimeSpan FlapHang
    {
        get
        {
            var room = CheckInterval * (FailureThreshold - 1) - PathRecovery - CheckInterval * 0.5;
            var floor = CheckInterval * 0.2;
            return room > floor ? room : floor;
        }
    }

    /// <summary>Consecutive checks a hang of <paramref name="hang"/> can fail (the bound <see cref="FlapHang"/> is cut to).</summary>
    public int ChecksFailedBy(TimeSpan hang) => (int)Math.Ceiling((hang + PathRecovery) / CheckInterval);

    /// <summary>Between flaps: long enough for at least one passing check, which resets the failure count.</summary>
    public TimeSpan FlapGap => CheckInterval * 2.5 + CheckTimeout + PathRecovery;
}

/// <summary>
/// Draws a campaign's sequences from a seed, deterministically: the same seed, count and shape give
/// the same plan on any machine (<see cref="Random(int)"/> is specified to be stable for a seed), so a
/// failing sequence can be replayed with <c>--seed S --only N</c>.
/// </summary>
public static class CampaignPlanner
{
    // How often each fault is drawn. Killing the controller is weighted up: landing mid-runbook is the
    // case that matters most and needs the most tries.
    private static readonly (CampaignFault Fault, int Weight)[] Weights =
    [
        (CampaignFault.KillDb, 4),
        (CampaignFault.HangDb, 2),
        (CampaignFault.KillApp, 2),
        (CampaignFault.RegionOutage, 2),
        (CampaignFault.PauseReplication, 1),
        (CampaignFault.Flapping, 2),
        (CampaignFault.ControllerKill, 3),
        (CampaignFault.ControllerPause, 2),
        (CampaignFault.PartitionRegions, 2),
        (CampaignFault.PartitionController, 2),
    ];

    public static IReadOnlyList<CampaignSequence> Plan(int seed, int count, CampaignShape shape)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(shape.MaxSteps, 1);
        var random = new Random(seed);
        var total = Weights.Sum(w => w.Weight);
        var plan = new List<CampaignSequence>(count);
        for (var n = 1; n <= count; n++)
        {
            var steps = new List<CampaignStep>();
            var length = random.Next(1, shape.MaxSteps + 1);
            CampaignFault? previous = null;
            for (var i = 0; i < length; i++)
            {
                var fault = Draw(random, total);
                steps.Add(Step(fault, previous, shape, random));
                previous = fault;
            }
            plan.Add(new CampaignSequence(n, steps));
        }
        return plan;
    }

    private static CampaignFault Draw(Random random, int total)
    {
        var pick = random.Next(total);
        foreach (var (fault, weight) in Weights)
        {
            if (pick < weight) return fault;
            pick -= weight;
        }
        throw new InvalidOperationException("unreachable: weights sum to total");
    }

    private static CampaignStep Step(CampaignFault fault, CampaignFault? previous, CampaignShape shape, Random random)
    {
        // After a fault that takes the primary away, the failover runs for a few seconds after detection:
        // a controller fault drawn anywhere in 0..8 s lands before, during or after the runbook.
        var wait = previous is { } p && CampaignFaults.TakesPrimaryAway(p) && fault is CampaignFault.ControllerKill or CampaignFault.ControllerPause
            ? Seconds(random, 0, 8)
            : Seconds(random, 1, 4);
        return fault switch
        {
            CampaignFault.ControllerKill => new CampaignStep(fault, wait, Seconds(random, 0.5, 4)),
            CampaignFault.ControllerPause => new CampaignStep(fault, wait, shape.LeaseTtl + Seconds(random, 1, 3)),
            CampaignFault.Flapping => new CampaignStep(fault, wait, shape.FlapHang, random.Next(2, 5), shape.FlapGap),
            CampaignFault.PartitionRegions or CampaignFault.PartitionController => new CampaignStep(fault, wait, Seconds(random, 3, 12)),
            _ => new CampaignStep(fault, wait, TimeSpan.Zero),
        };
    }

    // Tenths of a second: plans print and replay exactly.
    private static TimeSpan Seconds(Random random, double min, double max) =>
        TimeSpan.FromSeconds(Math.Round(min + random.NextDouble() * (max - min), 1));
}
