using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Core.Drills;

/// <summary>
/// Everything a drill acts and observes through: the runbooks' ports and records, plus the
/// drill's own capabilities. A provider fills it (lab: <c>LabDrillPorts.Create</c>); the
/// <see cref="DrillConductor"/> sees nothing else.
/// </summary>
/// <param name="Recovery">The ports the switchover and failback runbooks act through.</param>
/// <param name="Journal">Where the controller's failover run is found, and the drill's own runs go.</param>
/// <param name="Audit">The controller's decisions (detection and decision marks); the drill's own entry.</param>
/// <param name="Lease">Keeps the drill's runbooks from running beside another.</param>
public sealed record DrillPorts(
    DrPorts Recovery,
    IRunbookJournal Journal,
    IAuditLog Audit,
    IRunbookLease Lease,
    IEnvironmentLifecycle Environment,
    IFaultInjector Faults,
    IRecordsInspector Records,
    IDrillWorkloadFactory Workloads,
    IStatusReader Status,
    IPublicNameSmokeTests Smoke,
    IDrillReportSink Reports,
    IDrillHostFacts Host)
{
    /// <summary>The backups the restore scenarios recover from; null when the provider has none (those scenarios are then refused).</summary>
    public Backups.IBackupPort? Backups { get; init; }

    /// <summary>The data-loss faults of the restore scenarios; null when the provider cannot inject them.</summary>
    public IDataLossInjector? DataLoss { get; init; }
}
