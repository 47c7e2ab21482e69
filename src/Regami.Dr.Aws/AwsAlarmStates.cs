using Regami.Dr.Aws.Cli;
using Regami.Dr.Core.Configuration;

namespace Regami.Dr.Aws;

/// <summary>One plan alarm as CloudWatch has it now: its state (null = missing) and the reason CloudWatch gives.</summary>
public sealed record AwsAlarmState(string Name, string Region, string? State, string Reason);

/// <summary>Reads the plan's alarms with describe-alarms, one call per region they live in.</summary>
public static class AwsAlarmStates
{
    public static async Task<IReadOnlyList<AwsAlarmState>> ReadAsync(IAwsApi api, AwsCommands commands, DrConfiguration config,
        Configuration.AwsSection section, CancellationToken ct)
    {
        var wanted = AwsPlanAlarms.For(config, section, config.PrimaryRegion.Name, config.StandbyRegion.Name);
        var byRegion = await Task.WhenAll(wanted.GroupBy(a => a.Region).Select(async grp =>
        {
            var body = (await api.CallAsync(commands.DescribeAlarms(grp.Key, grp.Select(a => a.Name)), ct)).Body;
            var found = (body?["MetricAlarms"]?.AsArray() ?? []).ToDictionary(a => a!["AlarmName"]!.GetValue<string>(), a => a!);
            return grp.Select(a => found.TryGetValue(a.Name, out var f)
                ? new AwsAlarmState(a.Name, a.Region, f["StateValue"]?.GetValue<string>(), f["StateReason"]?.GetValue<string>() ?? "")
                : new AwsAlarmState(a.Name, a.Region, null, "not found: run `regami-dr aws apply-alarms`"));
        }));
        return byRegion.SelectMany(x => x).ToList();
    }
}
