using System.CommandLine;
using Regami.Dr.Cli.Output;
using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Topology;
using Regami.Dr.Lab;
using Spectre.Console;

namespace Regami.Dr.Cli.Providers.Lab;

/// <summary>`regami-dr lab ...`: the embedded two-region lab on this machine.</summary>
public static class LabCommand
{
    public static Command Create(GlobalOptions g)
    {
        var lab = new Command("lab", "The local two-region lab: real PostgreSQL replication, API instances, load balancers and a failover DNS server on loopback.");
        lab.Subcommands.Add(Up(g));
        lab.Subcommands.Add(Down(g));
        lab.Subcommands.Add(Fault(g));
        lab.Subcommands.Add(Scale(g));
        lab.Subcommands.Add(CampaignCommand.Create(g));
        lab.Subcommands.Add(ServeCommands.Create(g));
        return lab;
    }

    private static Command Up(GlobalOptions g)
    {
        var sync = new Option<bool>("--sync-replication") { Description = "Synchronous replication: a commit is acknowledged only once the standby has it" };
        var noController = new Option<bool>("--no-controller") { Description = "Do not start the controller (no automatic failover, no alarms)" };
        var cmd = new Command("up", "Start the lab (idempotent: an up lab is reported, missing parts are started) and wait until it is healthy.") { sync, noController };
        cmd.SetAction(async (parse, ct) =>
        {
            var env = LabProvider.Environment(g, parse);
            var json = parse.GetValue(g.Output) == OutputFormat.Json;
            var mode = parse.GetValue(sync) ? ReplicationMode.Sync : (ReplicationMode?)null;
            var supervisor = new LabSupervisor(env, json ? null : msg => Console.Error.WriteLine($"  … {msg}"));
            var result = await supervisor.UpAsync(mode, ct, parse.GetValue(noController) ? false : null);
            var status = await new LabStatusReader(env).ReadAsync(ct);
            if (json)
            {
                Json.Write(new { result.AlreadyUp, result.Started, result.Found, result.Held, durationSeconds = Math.Round(result.Duration.TotalSeconds, 2), stateDir = env.Paths.Root, status });
                return ExitCodes.Ok;
            }
            var console = AnsiConsole.Console;
            if (result.AlreadyUp) console.MarkupLine($"[green]The lab is already up[/] ({Markup.Escape(env.Paths.Root)}).");
            else
            {
                foreach (var f in result.Found) console.MarkupLine($"  found   {Markup.Escape(f)}");
                foreach (var s in result.Started) console.MarkupLine($"  started {Markup.Escape(s)}");
                foreach (var h in result.Held) console.MarkupLine($"  [yellow]held[/]    {Markup.Escape(h)}");
                console.MarkupLine(result.Held.Count == 0
                    ? $"[green]Lab up[/] in {result.Duration.TotalSeconds:0.0} s (state: {Markup.Escape(env.Paths.Root)})."
                    : $"[yellow]Lab up except what an unfinished run holds[/] in {result.Duration.TotalSeconds:0.0} s (state: {Markup.Escape(env.Paths.Root)}).");
            }
            var o = env.Options;
            if (status.Controller?.Url is { } controllerUrl) console.MarkupLine($"  Controller   [bold]{Markup.Escape(controllerUrl)}[/] (dashboard; API /api/status; metrics /metrics)");
            console.MarkupLine($"  Public name  [bold]{o.Dns.FullName}[/] via DNS {o.Dns.Address}:{o.Dns.Port}  (dig @{o.Dns.Address} -p {o.Dns.Port} {o.Dns.FullName} +short)");
            foreach (var r in o.Regions)
                console.MarkupLine($"  {r.Name,-13} PostgreSQL {r.Address}:{o.Ports.Postgres}  load balancer {Markup.Escape(env.LoadBalancerUrl(r))}");
            StatusView.Render(console, status);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Down(GlobalOptions g)
    {
        var purge = new Option<bool>("--purge") { Description = "Also delete the lab's data (databases, logs, state)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be stopped or deleted, change nothing" };
        var cmd = new Command("down", "Stop every process the lab started (by pid); with --purge delete its data too.") { purge, dryRun };
        cmd.SetAction(async (parse, ct) =>
        {
            var env = LabProvider.Environment(g, parse);
            if (parse.GetValue(dryRun))
            {
                var state = env.Store.Load();
                var pids = state is null ? [] : state.Regions.Values.SelectMany(r => r.Instances.Select(i => i.Pid).Append(r.LoadBalancer?.Pid).Append(r.PostmasterPid)).Append(state.Dns?.Pid).OfType<int>().ToList();
                Console.WriteLine(state is null ? $"No lab state at {env.Paths.Root}." : $"Would stop the processes recorded in {env.Paths.StateFile}: pids {string.Join(", ", pids)}.");
                if (parse.GetValue(purge)) Console.WriteLine($"Would delete {env.Paths.Root} and everything in it.");
                return ExitCodes.Ok;
            }
            var result = await new LabSupervisor(env).DownAsync(parse.GetValue(purge), ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(result);
            else
            {
                if (!result.WasUp && result.Stopped.Count == 0) Console.WriteLine($"Nothing to stop: no lab is up at {env.Paths.Root}.");
                foreach (var s in result.Stopped) Console.WriteLine($"  stopped {s}");
                foreach (var p in result.Problems) Console.Error.WriteLine($"  problem: {p}");
                if (result.Purged) Console.WriteLine($"Deleted {env.Paths.Root}.");
                else if (result.WasUp) Console.WriteLine($"Lab down. Data kept in {env.Paths.Root} (`lab up` resumes it; `lab down --purge` deletes it).");
            }
            return result.Problems.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return cmd;
    }

    private static Command Fault(GlobalOptions g)
    {
        var kind = new Argument<string>("kind") { Description = "kill-db | hang-db | kill-app | region-outage | pause-replication | resume-replication | heal" };
        kind.AcceptOnlyFromAmong([.. FaultKinds.ByName.Keys]);
        var region = new Option<string?>("--region") { Description = "Region to hit (default: the primary; the standby for replication faults)" };
        var cmd = new Command("fault", "Inject a fault into the lab (real signals, real SQL), or heal: undo hangs/pauses and restart what was killed in its recorded role.") { kind, region };
        cmd.SetAction(async (parse, ct) =>
        {
            var env = LabProvider.Environment(g, parse);
            var k = FaultKinds.ByName[parse.GetValue(kind)!];
            var result = await new LabFaults(env).InjectAsync(k, parse.GetValue(region), ct);
            LabUpResult? restarted = null;
            if (k == FaultKind.Heal) restarted = await new LabSupervisor(env).UpAsync(null, ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(new { fault = FaultKinds.Name(k), result.Region, result.At, result.Actions, restarted = restarted?.Started, held = restarted?.Held });
            else
            {
                Console.WriteLine($"{FaultKinds.Name(k)} {result.Region} at {result.At:O}");
                foreach (var a in result.Actions) Console.WriteLine($"  {a}");
                foreach (var s in restarted?.Started ?? []) Console.WriteLine($"  restarted {s}");
                foreach (var h in restarted?.Held ?? []) Console.WriteLine($"  held {h}");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Scale(GlobalOptions g)
    {
        var region = new Option<string>("--region") { Description = "Region", Required = true };
        var count = new Option<int>("--count") { Description = "Desired number of API instances", Required = true };
        var cmd = new Command("scale", "Set a region's desired API instance count and start or stop instances to match.") { region, count };
        cmd.SetAction(async (parse, ct) =>
        {
            var env = LabProvider.Environment(g, parse);
            var (started, stopped) = await new LabSupervisor(env).ScaleAsync(parse.GetValue(region)!, parse.GetValue(count), ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(new { region = parse.GetValue(region), desired = parse.GetValue(count), started, stopped });
            else Console.WriteLine($"{parse.GetValue(region)}: desired {parse.GetValue(count)} (started {started}, stopped {stopped})");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
