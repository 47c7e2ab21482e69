using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Lab.Drills;

/// <summary>The lab's <see cref="DrillPorts"/>: its faults, supervisor, databases, workload, status, smoke tests and report files.</summary>
public static class LabDrillPorts
{
    /// <param name="recovery">The runbook ports the drill's switchover and failback act through.</param>
    /// <param name="journal">The runbook journal the controller writes its failover to.</param>
    public static DrillPorts Create(LabEnvironment env, DrPorts recovery, IRunbookJournal journal, IAuditLog audit, IRunbookLease lease, Core.Ports.IHostFacts process, IDrillReportSink reports) => new(
        recovery,
        journal,
        audit,
        lease,
        new LabEnvironmentLifecycle(env),
        new LabFaults(env),
        new LabRecordsInspector(env),
        new LabWorkloadFactory(env),
        new LabStatusReader(env),
        new LabSmokeTests(env),
        reports,
        new LabHostFacts(process))
    {
        Backups = new Backups.LabBackupPort(env),
        DataLoss = new LabDataLoss(env),
    };
}
