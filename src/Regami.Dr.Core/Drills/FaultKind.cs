namespace Regami.Dr.Core.Drills;

/// <summary>The faults a drill or a test can inject (lab: signals and SQL; a cloud provider: its fault-injection service).</summary>
public enum FaultKind
{
    KillDb,
    HangDb,
    KillApp,
    RegionOutage,
    PauseReplication,
    ResumeReplication,
    Heal,
}

/// <summary>The command-line names of the faults (`regami-dr lab fault kill-db`).</summary>
public static class FaultKinds
{
    public static readonly IReadOnlyDictionary<string, FaultKind> ByName = new Dictionary<string, FaultKind>
    {
        ["kill-db"] = FaultKind.KillDb,
        ["hang-db"] = FaultKind.HangDb,
        ["kill-app"] = FaultKind.KillApp,
        ["region-outage"] = FaultKind.RegionOutage,
        ["pause-replication"] = FaultKind.PauseReplication,
        ["resume-replication"] = FaultKind.ResumeReplication,
        ["heal"] = FaultKind.Heal,
    };

    public static string Name(FaultKind kind) => ByName.First(kv => kv.Value == kind).Key;
}

/// <summary>What an injected fault did, for the caller and the environment's fault log.</summary>
/// <param name="At">When the fault took effect: the drill's RTO clock starts here.</param>
/// <param name="Actions">What was done, one sentence each (e.g. "SIGKILL PostgreSQL postmaster 4242").</param>
public sealed record FaultResult(FaultKind Kind, string Region, DateTimeOffset At, IReadOnlyList<string> Actions);
