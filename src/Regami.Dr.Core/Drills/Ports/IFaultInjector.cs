namespace Regami.Dr.Core.Drills;

/// <summary>Breaks the environment on purpose (lab: signals and SQL, see <c>LabFaults</c>).</summary>
public interface IFaultInjector
{
    /// <summary>
    /// Injects <paramref name="kind"/> into <paramref name="region"/> (null: the primary; the standby for
    /// replication faults). <see cref="FaultKind.Heal"/> undoes what can be undone in place.
    /// </summary>
    Task<FaultResult> InjectAsync(FaultKind kind, string? region, CancellationToken ct);
}
