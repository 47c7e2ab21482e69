namespace Regami.Dr.Core.Drills;

/// <summary>
/// A drill of the control plane only, for a provider whose data path cannot be exercised from
/// here (AWS against an emulator: no replication, no application): the fault is simulated with
/// the routing control, the recovery is the real runbook, RTO is measured on the runbook and RPO
/// is the replica lag the guard saw. Its report says so in its checks and recovery sentence.
/// </summary>
public interface IControlPlaneDrill
{
    /// <summary>The scenarios it can run (a subset of <see cref="DrillScenario.All"/>).</summary>
    IReadOnlyList<string> Scenarios { get; }

    Task<DrillReport> RunAsync(DrillRequest request, Action<string> say, CancellationToken ct);
}
