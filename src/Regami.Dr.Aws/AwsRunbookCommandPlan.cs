using Regami.Dr.Aws.Cli;
using Regami.Dr.Core.Runbooks;
using F = Regami.Dr.Core.Runbooks.FailoverRunbook.StepNames;
using S = Regami.Dr.Core.Runbooks.SwitchoverRunbook.StepNames;

namespace Regami.Dr.Aws;

/// <summary>
/// The AWS CLI commands behind each runbook step, rendered from the same <see cref="AwsCommands"/>
/// the ports call: the plan's manual runbook, generated from the configuration. Reads are listed
/// too (prefixed "read:") so the SRE sees every call a step makes.
/// </summary>
public sealed class AwsRunbookCommandPlan(AwsCommands commands, AwsCliSettings settings, int activeInstances, int standbyInstances, string? publicCheckUrl) : IRunbookCommandPlan
{
    private const string Now = "<UTC time of the step>";

    public IReadOnlyList<string> CommandsFor(string kind, IReadOnlyDictionary<string, string> parameters, string step)
    {
        var from = parameters.GetValueOrDefault("from") ?? "";
        var to = parameters.GetValueOrDefault("to") ?? "";
        var back = step.StartsWith(FailbackRunbook.StepNames.Back(""), StringComparison.Ordinal);
        var name = back ? step[FailbackRunbook.StepNames.Back("").Length..] : step;
        // Rejoin steps rebuild the region that gave up the primary role: in failback's first part
        // that is the home region (`to`), everywhere else the old primary (`from`).
        var (rejoin, primary) = kind == FailbackRunbook.Kind && !back ? (to, from) : (from, to);
        var c = commands;
        IEnumerable<(bool Read, AwsCall Call)> calls = name switch
        {
            F.CheckTarget => [R(c.DescribeDbInstance(to))],
            F.RpoGuard => [R(c.DescribeDbInstance(from)), R(c.ReplicaLag(to, DateTimeOffset.UnixEpoch, TimeSpan.FromHours(1)))],
            F.StartCompute => [R(c.DescribeService(to)), W(c.ScaleService(to, activeInstances))],
            F.FenceTraffic => [W(c.SetRoutingControl(from, on: false))],
            F.FenceCompute => [R(c.DescribeService(from)), W(c.ScaleService(from, 0))],
            F.FenceDatabase or S.StopWrites or S.StopOldPrimary =>
                [R(c.DescribeDbInstance(from)), W(c.FenceDbSecurityGroups(from)), W(c.TagDbInstance(from, (AwsCommands.FencedAtTag, Now), (AwsCommands.ServingSecurityGroupsTag, "<the replaced groups>")))],
            F.PromoteStandby => [R(c.DescribeDbInstance(to)), W(c.PromoteReadReplica(to)), R(c.DescribeDbInstance(to)), W(c.TagDbInstance(to, (AwsCommands.PromotedAtTag, Now)))],
            F.ScaleCompute or S.PrewarmCompute => [R(c.DescribeService(to)), W(c.ScaleService(to, activeInstances)), R(c.DescribeService(to))],
            F.AssertSingleWriter => [R(c.DescribeDbInstance(from)), R(c.DescribeDbInstance(to))],
            F.RouteTraffic => [W(c.SetRoutingControl(to, on: true))],
            S.MoveTraffic => [W(c.SetRoutingControl(to, on: true)), W(c.SetRoutingControl(from, on: false))],
            F.VerifyPublicWrite => [R(c.ListFailoverRecords()), R(c.GetHealthCheck(to)), R(c.GetHealthCheckStatus(to))],
            S.CheckReplica => [R(c.DescribeDbInstance(to)), R(c.DescribeDbInstance(from))],
            S.WaitReplayed => [R(c.DescribeDbInstance(from)), R(c.ReplicaLag(to, DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(10)))],
            S.ScaleDownOld => [R(c.DescribeService(from)), W(c.ScaleService(from, standbyInstances))],
            S.RebuildAsStandby => [R(c.DescribeDbInstance(primary)), R(c.DescribeDbInstance(rejoin)),
                W(c.RenameDbInstance(rejoin, $"{c.Section.Region(rejoin).DbInstance}-retired-<yyyyMMddHHmmss>")),
                W(c.CreateReadReplica(rejoin, primary, "<the primary's instance class>"))],
            S.StartStandby => [R(c.DescribeDbInstance(rejoin))],
            S.WaitCaughtUp => [R(c.ReplicaLag(rejoin, DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(10)))],
            _ => [],
        };
        var lines = calls.Select(x => (x.Read ? "read: " : "") + Timeless(x.Call.Render(settings))).ToList();
        if (name == F.VerifyPublicWrite)
            lines.Add(publicCheckUrl is { Length: > 0 } url ? $"POST {url} (a write through the public name)" : "no aws.publicCheckUrl: the public write is not verified");
        return lines;
    }

    private static (bool, AwsCall) R(AwsCall call) => (true, call);
    private static (bool, AwsCall) W(AwsCall call) => (false, call);

    // Metric windows are computed at run time; the plan shows placeholders instead of 1970.
    private static string Timeless(string rendered) => rendered
        .Replace(AwsCommands.Iso(DateTimeOffset.UnixEpoch - TimeSpan.FromHours(1)), "<now - 1h>")
        .Replace(AwsCommands.Iso(DateTimeOffset.UnixEpoch - TimeSpan.FromMinutes(10)), "<now - 10m>")
        .Replace(AwsCommands.Iso(DateTimeOffset.UnixEpoch + TimeSpan.FromMinutes(1)), "<now + 1m>");
}
