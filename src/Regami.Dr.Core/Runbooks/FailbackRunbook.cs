using Regami.Dr.Core.Ports;

namespace Regami.Dr.Core.Runbooks;

/// <summary>
/// After a failover: start the old primary's compute, rebuild its database as a replica of the
/// new one (pg_rewind, a fresh clone only when rewind is impossible), wait until it has caught
/// up, then switch over back with zero data loss. At the end the roles are as before the failover.
/// </summary>
public static class FailbackRunbook
{
    public const string Kind = "failback";

    /// <summary>The journaled names of failback's steps that differ from the switchover's it reuses.</summary>
    public static class StepNames
    {
        /// <summary>The first step: the fenced home region rebuilt as a replica of the current primary.</summary>
        public const string RebuildAsStandby = SwitchoverRunbook.StepNames.RebuildAsStandby;

        /// <summary>The switchover back rejoins the other region as a standby too; a journal needs distinct names.</summary>
        public static string Back(string switchoverStep) => BackPrefix + switchoverStep;

        private const string BackPrefix = "back-";
    }

    private static readonly HashSet<string> RepeatedRejoinSteps =
    [
        SwitchoverRunbook.StepNames.RebuildAsStandby,
        SwitchoverRunbook.StepNames.StartStandby,
        SwitchoverRunbook.StepNames.WaitCaughtUp,
    ];

    /// <param name="home">The region to fail back to (the former primary, now fenced).</param>
    /// <param name="current">The region that is primary now.</param>
    public static Runbook Build(string home, string current, DrPorts ports, FailoverPolicy policy, bool reclone = false) =>
        new(Kind, new Dictionary<string, string> { ["to"] = home, ["from"] = current, ["reclone"] = reclone ? "true" : "false" },
        [
            // The home region's compute boots while its database is rebuilt (the API serves with
            // its database down or read-only; nothing routes there until move-traffic), so the
            // switchover's prewarm-compute later only waits for it (it took ≈ 1.75 s from cold).
            FailoverRunbook.StartCompute(home, ports, policy) with
            {
                Description = $"start {home}'s compute now ({ports.Compute.ActiveInstances} instances), so it boots while its database is rebuilt; it takes no traffic until move-traffic",
            },
            .. SwitchoverRunbook.RejoinAsStandby(home, current, reclone ? ReclonePolicy.Always : ReclonePolicy.WhenRewindImpossible, ports, policy),
            .. SwitchoverRunbook.Steps(current, home, ports, policy)
                .Select(s => RepeatedRejoinSteps.Contains(s.Name) ? s with { Name = StepNames.Back(s.Name) } : s),
        ]);
}
