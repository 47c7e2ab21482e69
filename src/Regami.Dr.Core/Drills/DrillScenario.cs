namespace Regami.Dr.Core.Drills;

/// <summary>Who brings the service back in a scenario.</summary>
public enum RecoveryPath
{
    /// <summary>Unplanned: the controller detects the fault and runs the failover runbook; the drill only watches.</summary>
    ControllerFailover,

    /// <summary>Planned: the drill runs the switchover runbook itself, and switches back at the end.</summary>
    PlannedSwitchover,
}

/// <summary>The fault of an unplanned scenario.</summary>
/// <param name="Kind">What breaks on the primary region.</param>
/// <param name="CutReplicationFirst">
/// The standby stops receiving WAL and writes go on before the fault, so an async failover really
/// loses acknowledged writes (the drill then counts every one against the old primary's rows).
/// The data at risk is then unknown, so the controller's RPO guard must refuse the automatic
/// failover; the drill checks that it did and forces the failover, as the on-call human would.
/// </param>
public sealed record DrillFault(FaultKind Kind, bool CutReplicationFirst = false);

/// <summary>The verifications a scenario runs (besides the failback or switch back, which every drill does).</summary>
public enum DrillCheckKind
{
    /// <summary>Health, a write and a read back through the public name after recovery.</summary>
    SmokeTests,
    /// <summary>Exactly one database accepts writes after recovery.</summary>
    SingleWritablePrimary,
    /// <summary>The public name answers the new primary.</summary>
    TrafficFollowsPrimary,
    /// <summary>Every acknowledged write is on the new primary (async replication: losses count against the RPO target instead).</summary>
    AcknowledgedWritesPresent,
    /// <summary>The old primary, read in isolation, holds exactly the acknowledged writes measured as lost.</summary>
    LostWritesOnOldPrimary,
    /// <summary>Rows on the old primary minus rows on the new one = lost + committed-but-unacknowledged writes.</summary>
    OldPrimaryRowsExplained,
    /// <summary>After failback every region holds the same rows (count and checksum).</summary>
    RegionsConsistent,
    /// <summary>After failback the home region is primary again and the standby streams.</summary>
    RolesRestored,
    /// <summary>The audit chain verifies end to end.</summary>
    AuditVerifies,
}

/// <summary>
/// A drill scenario: the fault (none for a planned switchover), who recovers, the targets it is
/// judged against, and the checks it runs. Adding a scenario is adding a record to <see cref="All"/>.
/// </summary>
public sealed record DrillScenario(
    string Name,
    string Description,
    DrillFault? Fault,
    RecoveryPath Recovery,
    DrillTargets Targets,
    IReadOnlySet<DrillCheckKind> Checks)
{
    public bool Planned => Recovery == RecoveryPath.PlannedSwitchover;

    /// <summary>What every scenario verifies.</summary>
    public static readonly IReadOnlySet<DrillCheckKind> StandardChecks = new HashSet<DrillCheckKind>
    {
        DrillCheckKind.SmokeTests, DrillCheckKind.SingleWritablePrimary, DrillCheckKind.TrafficFollowsPrimary,
        DrillCheckKind.AcknowledgedWritesPresent, DrillCheckKind.RegionsConsistent, DrillCheckKind.RolesRestored,
        DrillCheckKind.AuditVerifies,
    };

    /// <summary>The standard checks plus the ground truth of a fenced old primary read in isolation (unplanned scenarios only).</summary>
    public static readonly IReadOnlySet<DrillCheckKind> GroundTruthChecks = new HashSet<DrillCheckKind>(StandardChecks)
    {
        DrillCheckKind.LostWritesOnOldPrimary, DrillCheckKind.OldPrimaryRowsExplained,
    };

    /// <summary>A planned switchover waits for the standby to replay everything: it may lose nothing.</summary>
    public static readonly DrillTargets ZeroLossTargets = DrillTargets.Plan with { RpoSeconds = 0 };

    public static readonly IReadOnlyList<DrillScenario> All =
    [
        Unplanned("region-outage", new DrillFault(FaultKind.RegionOutage),
            "the primary region dies: database, API instances and load balancer killed"),
        Unplanned("db-crash", new DrillFault(FaultKind.KillDb),
            "the primary database crashes (SIGKILL of the postmaster)"),
        Unplanned("db-hang", new DrillFault(FaultKind.HangDb),
            "the primary database hangs (SIGSTOP): connections open but nothing answers"),
        new("planned-switchover", "a planned switchover to the standby region and back, zero data loss",
            null, RecoveryPath.PlannedSwitchover, ZeroLossTargets, StandardChecks),
        Unplanned("lossy-failover", new DrillFault(FaultKind.KillDb, CutReplicationFirst: true),
            "replication is cut, writes go on, then the primary crashes: the RPO guard refuses the automatic failover (the lag is unknown), the drill forces it as the on-call human would, and counts every unreplicated write it loses (checked against the old primary)",
            GroundTruthChecks),
    ];

    public static DrillScenario? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    /// <summary>The scenario's targets with the command line's overrides (--rto, --rpo) applied.</summary>
    /// <summary>
    /// The targets a drill is judged against: the command line's, else the configured plan's
    /// (<c>targets:</c> in regami-dr.yaml) where the scenario uses the plan's, else the scenario's own
    /// (a planned switchover promises an RPO of 0 whatever the plan allows).
    /// </summary>
    public DrillTargets TargetsWith(Configuration.RecoveryTargets plan, TimeSpan? rto, TimeSpan? rpo) => new(
        rto?.TotalSeconds ?? (Targets.RtoSeconds == DrillTargets.Plan.RtoSeconds ? plan.Rto.TotalSeconds : Targets.RtoSeconds),
        rpo?.TotalSeconds ?? (Targets.RpoSeconds == DrillTargets.Plan.RpoSeconds ? plan.Rpo.TotalSeconds : Targets.RpoSeconds));

    public bool Runs(DrillCheckKind check) => Checks.Contains(check);

    private static DrillScenario Unplanned(string name, DrillFault fault, string description, IReadOnlySet<DrillCheckKind>? checks = null) =>
        new(name, description, fault, RecoveryPath.ControllerFailover, DrillTargets.Plan, checks ?? StandardChecks);
}
