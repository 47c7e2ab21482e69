namespace Regami.Dr.Core.Drills;

/// <summary>Who brings the service back in a scenario.</summary>
public enum RecoveryPath
{
    /// <summary>Unplanned: the controller detects the fault and runs the failover runbook; the drill only watches.</summary>
    ControllerFailover,

    /// <summary>Planned: the drill runs the switchover runbook itself, and switches back at the end.</summary>
    PlannedSwitchover,

    /// <summary>
    /// Data is destroyed, not a server: the drill restores from the backups (a snapshot, a point in time, or
    /// everything archived) into a new instance and promotes it (`restore promote`), or copies the lost rows back.
    /// </summary>
    Restore,
}

/// <summary>The data-loss fault of a restore scenario.</summary>
public enum DataLossKind
{
    /// <summary>The records table is dropped on the primary: recover from the latest snapshot.</summary>
    DropRecords,
    /// <summary>Rows are deleted by mistake: recover them from a point-in-time restore to just before the delete.</summary>
    DeleteRecords,
    /// <summary>The provider is lost: both databases and the home region's backup repository; rebuild from the other region's repository alone.</summary>
    ProviderOutage,
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
    /// <summary>Restore scenarios: every acknowledged write older than the recovery point is there, so what was lost came after it.</summary>
    LossesAfterRecoveryPoint,
    /// <summary>Accidental deletion: every deleted acknowledged row is back, as many rows as were deleted.</summary>
    DeletedRowsBack,
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

    /// <summary>The data-loss fault of a <see cref="RecoveryPath.Restore"/> scenario.</summary>
    public DataLossKind? DataLoss { get; init; }

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

    /// <summary>What a restore that promotes a restored instance verifies: the writes older than the recovery point, not every write.</summary>
    public static readonly IReadOnlySet<DrillCheckKind> RestoreChecks = new HashSet<DrillCheckKind>
    {
        DrillCheckKind.SmokeTests, DrillCheckKind.SingleWritablePrimary, DrillCheckKind.TrafficFollowsPrimary,
        DrillCheckKind.LossesAfterRecoveryPoint, DrillCheckKind.RegionsConsistent, DrillCheckKind.RolesRestored, DrillCheckKind.AuditVerifies,
    };

    /// <summary>The plan's targets for database corruption: RTO 15–30 min (judged against the upper bound), RPO ≤ 1 h.</summary>
    public static readonly DrillTargets CorruptionTargets = new(30 * 60, 60 * 60);

    /// <summary>The plan's targets for accidental deletion: RTO 10–20 min (judged against the upper bound), RPO 5 min.</summary>
    public static readonly DrillTargets AccidentalDeletionTargets = new(20 * 60, 5 * 60);

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
        new("corruption", "the records table is dropped on the primary (data destroyed, servers fine): writes are stopped, the latest snapshot is restored into a new instance and promoted (`restore promote`), and every acknowledged write newer than the snapshot is counted as lost",
            null, RecoveryPath.Restore, CorruptionTargets, RestoreChecks) { DataLoss = DataLossKind.DropRecords, OwnTargets = true },
        new("accidental-delete", "rows are deleted on the primary by mistake while the service runs: a point-in-time restore to just before the delete goes into a new instance and the deleted rows are copied back (or, with --promote-restored, the instance is promoted); every deleted acknowledged row must be back",
            null, RecoveryPath.Restore, AccidentalDeletionTargets, new HashSet<DrillCheckKind>(RestoreChecks) { DrillCheckKind.DeletedRowsBack }) { DataLoss = DataLossKind.DeleteRecords, OwnTargets = true },
        new("provider-outage", "the whole provider is lost: both databases and the home region's backup repository are destroyed; the primary is rebuilt from the other region's repository alone (its newest backup and every WAL segment archived there), promoted, and given a standby again",
            null, RecoveryPath.Restore, DrillTargets.Plan, RestoreChecks) { DataLoss = DataLossKind.ProviderOutage },
    ];

    public static DrillScenario? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    /// <summary>The scenario's targets with the command line's overrides (--rto, --rpo) applied.</summary>
    /// <summary>
    /// The targets a drill is judged against: the command line's, else the configured plan's
    /// (<c>targets:</c> in regami-dr.yaml) where the scenario uses the plan's, else the scenario's own
    /// (a planned switchover promises an RPO of 0 whatever the plan allows).
    /// </summary>
    public DrillTargets TargetsWith(Configuration.RecoveryTargets plan, TimeSpan? rto, TimeSpan? rpo) => new(
        rto?.TotalSeconds ?? (!OwnTargets && Targets.RtoSeconds == DrillTargets.Plan.RtoSeconds ? plan.Rto.TotalSeconds : Targets.RtoSeconds),
        rpo?.TotalSeconds ?? (!OwnTargets && Targets.RpoSeconds == DrillTargets.Plan.RpoSeconds ? plan.Rpo.TotalSeconds : Targets.RpoSeconds));

    /// <summary>
    /// The scenario's targets are its own, from the plan's table of scenarios (corruption, accidental deletion),
    /// not the plan's general RTO/RPO: the configured <c>targets:</c> do not replace them, even where a figure is the same.
    /// </summary>
    public bool OwnTargets { get; init; }

    public bool Runs(DrillCheckKind check) => Checks.Contains(check);

    private static DrillScenario Unplanned(string name, DrillFault fault, string description, IReadOnlySet<DrillCheckKind>? checks = null) =>
        new(name, description, fault, RecoveryPath.ControllerFailover, DrillTargets.Plan, checks ?? StandardChecks);
}
