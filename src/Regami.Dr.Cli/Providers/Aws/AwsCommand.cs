using System.CommandLine;
using Regami.Dr.Aws;
using Regami.Dr.Aws.Cli;
using Regami.Dr.Cli.Output;

namespace Regami.Dr.Cli.Providers.Aws;

/// <summary>`regami-dr aws plan|apply-alarms|alarms`: what only the AWS provider has.</summary>
public static class AwsCommand
{
    public static Command Create(GlobalOptions g)
    {
        var aws = new Command("aws", "The AWS provider: the projected production RTO, the plan's CloudWatch alarms.");

        var plan = new Command("plan", "Project the production RTO from the configuration (detection = interval × threshold, DNS TTL, RDS promotion and ECS start budgets) beside the RTO target; calls nothing.");
        plan.SetAction((parse, ct) =>
        {
            var (config, section) = Load(g, parse);
            var p = RtoProjection.For(config.Config, section);
            if (parse.GetValue(g.Output) == OutputFormat.Json)
            {
                Json.Write(new
                {
                    parts = p.Parts.Select(x => new { x.Name, seconds = x.Duration.TotalSeconds, x.Source }),
                    projectedRtoSeconds = p.Total.TotalSeconds,
                    targetRtoSeconds = p.Target.TotalSeconds,
                    withinTarget = p.WithinTarget,
                });
            }
            else
            {
                Console.WriteLine($"Projected production RTO for {config.Config.Environment} ({config.Config.PrimaryRegion.Name} → {config.Config.StandbyRegion.Name}):");
                foreach (var x in p.Parts) Console.WriteLine($"  {x.Name,-14} {Minutes(x.Duration),9}  {x.Source}");
                Console.WriteLine($"  {"total",-14} {Minutes(p.Total),9}  target {Minutes(p.Target)}: {(p.WithinTarget ? "within the target" : "OVER the target")}");
            }
            return Task.FromResult(p.WithinTarget ? ExitCodes.Ok : ExitCodes.Failed);
        });

        var dryRun = new Option<bool>("--dry-run") { Description = "Print the put-metric-alarm commands; change nothing" };
        var apply = new Command("apply-alarms", "Put the plan's CloudWatch alarms (primary unhealthy → sev1 topic; replica lag > RPO → sev2 topic). Idempotent: an alarm of the same name is replaced.") { dryRun };
        apply.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var (config, section) = Load(g, parse);
            var topology = await session.Bundle.Ports.Topology.GetAsync(ct);
            var primary = topology.Primary ?? config.Config.PrimaryRegion.Name;
            var standby = topology.Others(primary).First();
            var alarms = AwsPlanAlarms.For(config.Config, section, primary, standby);
            var commands = new AwsCommands(section);
            var settings = AwsProvider.Settings(section);
            if (section.Route53AlarmTopicOrSev1 is null)
                Console.Error.WriteLine($"regami-dr: warning: {AwsPlanAlarms.PrimaryUnhealthy} lives in {AwsCommands.Route53Region} and CloudWatch only notifies a topic there; "
                    + "aws.sns.sev1 is elsewhere, so it is put without an action: set aws.route53AlarmTopic (deploy/terraform outputs it)");
            if (parse.GetValue(dryRun))
            {
                foreach (var a in alarms) Console.WriteLine(commands.PutMetricAlarm(a.Region, a.Definition).Render(settings));
                return ExitCodes.Ok;
            }
            var driver = AwsCliProvider.Driver(section, session.Time, () => session.Store.Audit);
            var results = new List<object>();
            foreach (var a in alarms)
            {
                var r = await driver.CallAsync(commands.PutMetricAlarm(a.Region, a.Definition), ct);
                results.Add(new { name = a.Name, region = a.Region, severity = a.Severity, requestId = r.RequestId });
                if (parse.GetValue(g.Output) != OutputFormat.Json) Console.WriteLine($"put {a.Name} in {a.Region} ({a.Severity.ToString().ToLowerInvariant()}; request {r.RequestId})");
            }
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(results);
            return ExitCodes.Ok;
        });

        var list = new Command("alarms", "Show the plan's CloudWatch alarms and their state (describe-alarms); exit 1 when one is missing or in ALARM.");
        list.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var (config, section) = Load(g, parse);
            var driver = AwsCliProvider.Driver(section, session.Time, () => session.Store.Audit);
            var states = await AwsAlarmStates.ReadAsync(driver, new AwsCommands(section), config.Config, section, ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(states);
            else foreach (var s in states) Console.WriteLine($"{s.Name,-30} {s.Region,-14} {s.State ?? "MISSING",-18} {s.Reason}");
            return states.All(s => s.State == "OK") ? ExitCodes.Ok : ExitCodes.Failed;
        });

        aws.Subcommands.Add(plan);
        aws.Subcommands.Add(apply);
        aws.Subcommands.Add(list);
        return aws;
    }

    private static (LoadedConfiguration Config, Regami.Dr.Aws.Configuration.AwsSection Section) Load(GlobalOptions g, ParseResult parse)
    {
        var config = g.Configuration(parse);
        if (config.Config.Provider != AwsProvider.Name)
            throw new CliException($"`regami-dr aws` works on the AWS provider; {config.Source} says provider: {config.Config.Provider}", ExitCodes.Usage);
        return (config, AwsCliProvider.Section(config));
    }

    private static string Minutes(TimeSpan t) => t.TotalMinutes >= 1 ? $"{t.TotalMinutes:0.#} min" : $"{t.TotalSeconds:0} s";
}
