using System.CommandLine;
using System.Text.Json;
using Regami.Dr.Cli.Runbooks;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Drills;
using Regami.Dr.Store;
using Spectre.Console;

namespace Regami.Dr.Cli.Commands;

/// <summary>`regami-dr drill`: the quarterly DR drill as one command; `drill history`.</summary>
public static class DrillCommand
{
    public static Command Create(GlobalOptions g)
    {
        var scenario = new Option<string>("--scenario") { Description = "Which disaster to rehearse", DefaultValueFactory = _ => "region-outage" };
        scenario.AcceptOnlyFromAmong([.. DrillScenario.All.Select(s => s.Name)]);
        // No default value here: each scenario has its targets (the plan's 15 min / 5 min; zero loss for a planned switchover).
        var rto = new Option<string?>("--rto") { Description = "RTO target (e.g. 15m, 900s, PT15M); default the scenario's, the plan's 15 min" };
        var rpo = new Option<string?>("--rpo") { Description = "RPO target (e.g. 5m); default the scenario's, the plan's 5 min (0 for planned-switchover)" };
        var rate = new Option<double>("--rate") { Description = "Workload writes per second through the public name", DefaultValueFactory = _ => 50 };
        var reportDir = new Option<string?>("--report-dir") { Description = "Where the JSON, Markdown and HTML reports go (default: <state dir>/drills)" };
        var keepLab = new Option<bool>("--keep-lab") { Description = "Leave a lab the drill brought up running afterwards (AWS: stay failed over, no failback)" };
        var promoteRestored = new Option<bool>("--promote-restored") { Description = "accidental-delete: promote the point-in-time restore (`restore promote`, loses the writes after the delete) instead of copying the deleted rows back" };
        var provider = new Option<string?>("--provider") { Description = "The provider to drill (lab or aws); must be the configuration's (--config). Default: the configuration's" };
        var drill = new Command("drill", "Run a DR drill on the lab: inject the fault, let the controller fail over (or restore from the backups: corruption, accidental-delete, provider-outage), measure RTO and RPO from real acknowledged writes, verify, fail back, report. Exit 0 when the targets are met. The restore scenarios destroy data on purpose.")
        {
            scenario, rto, rpo, rate, reportDir, keepLab, promoteRestored, provider,
        };
        drill.SetAction(async (parse, ct) =>
        {
            if (!TryParseTarget(parse.GetValue(rto), out var rtoTarget))
                throw new CliException($"--rto '{parse.GetValue(rto)}' is not a duration (examples: 900, 90s, 15m, PT15M)", ExitCodes.Usage);
            if (!TryParseTarget(parse.GetValue(rpo), out var rpoTarget))
                throw new CliException($"--rpo '{parse.GetValue(rpo)}' is not a duration (examples: 0, 30s, 5m)", ExitCodes.Usage);
            if (parse.GetValue(rate) is <= 0 or > 2000)
                throw new CliException("--rate must be between 0 and 2000 writes per second", ExitCodes.Usage);
            var json = parse.GetValue(g.Output) == OutputFormat.Json;
            using var session = g.Session(parse);
            var chosen = DrillScenario.Find(parse.GetValue(scenario)!)!;
            var config = session.Configuration.Config;
            var request = new DrillRequest(chosen, chosen.TargetsWith(config.Targets, rtoTarget, rpoTarget),
                parse.GetValue(rate), parse.GetValue(reportDir), parse.GetValue(keepLab), RunbookInvoker.Actor)
            {
                Policy = config.FailoverPolicy, // the configured RPO guard, as every other runbook
                PromoteRestored = parse.GetValue(promoteRestored),
            };
            if (request.PromoteRestored && chosen.DataLoss != DataLossKind.DeleteRecords)
                throw new CliException($"--promote-restored applies to --scenario accidental-delete only ({chosen.Name} always {(chosen.DataLoss is null ? "fails over" : "promotes its restore")})", ExitCodes.Usage);
            if (parse.GetValue(provider) is { } wanted && wanted != session.Bundle.Name)
                throw new CliException($"--provider {wanted}: {session.Configuration.Source} says provider: {session.Bundle.Name}; pass --config with a {wanted} configuration", ExitCodes.Usage);
            DrillReport report;
            if (session.Bundle.ControlPlaneDrill is { } controlPlane)
            {
                // AWS: the runbooks for real, the outage simulated with the routing control.
                try
                {
                    report = await controlPlane(session.Journal, session.Store.Audit, session.RunbookLease)
                        .RunAsync(request with { Policy = session.Bundle.EffectivePolicy }, line => Console.Error.WriteLine(line), ct);
                }
                catch (DrillRefusedException e)
                {
                    Console.Error.WriteLine($"regami-dr: drill refused: {e.Message}");
                    return ExitCodes.Unsafe;
                }
                if (json) Console.WriteLine(DrillReportJson.Render(report));
                else PrintSummary(report);
                return report.Passed ? ExitCodes.Ok : ExitCodes.Failed;
            }
            var ports = session.DrillPorts();
            try
            {
                if (!json && !Console.IsErrorRedirected)
                {
                    // On a terminal: milestones scroll, the current wait (elapsed, writes acknowledged /
                    // refused / unknown) stays on one live status line.
                    var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                    report = await console.Status().Spinner(Spinner.Known.Dots).StartAsync("starting the drill", async live =>
                        await new DrillConductor(ports, session.Time, line =>
                        {
                            if (line.Contains("waiting for", StringComparison.Ordinal)) live.Status(Markup.Escape(line.Trim()));
                            else
                            {
                                console.WriteLine(line);
                                live.Status(Markup.Escape(line.Trim()));
                            }
                        }).RunAsync(request, ct));
                }
                else report = await new DrillConductor(ports, session.Time, line => Console.Error.WriteLine(line)).RunAsync(request, ct);
            }
            catch (DrillRefusedException e)
            {
                Console.Error.WriteLine($"regami-dr: drill refused: {e.Message}");
                return ExitCodes.Unsafe;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Console.Error.WriteLine($"regami-dr: drill interrupted. {WhereItStands(chosen)}");
                return ExitCodes.Interrupted;
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                // A wait that ran out or a step that failed: the drill cannot finish, and says what it saw
                // instead of a stack trace (on a loaded machine the lab's 1 s health checks can time out).
                Console.Error.WriteLine($"regami-dr: drill stopped: {e.Message.TrimEnd('.')}. {WhereItStands(chosen)}");
                return ExitCodes.Failed;
            }
            if (json) Console.WriteLine(DrillReportJson.Render(report));
            else PrintSummary(report);
            return report.Passed ? ExitCodes.Ok : ExitCodes.Failed;
        });

        static string WhereItStands(DrillScenario scenario) => scenario.Recovery == RecoveryPath.Restore
            ? "The workload stopped; data may be destroyed and a restore half-done. " +
              "See `regami-dr status`, `regami-dr restore list` (drop a leftover with `restore drop NAME`) and `regami-dr runbook list` " +
              "(an unfinished restore-promote resumes with `regami-dr runbook resume ID`)."
            : "The workload stopped; the fault may still be in place. " +
              "See `regami-dr status`; recover with `regami-dr lab fault heal` and, if a failover happened, `regami-dr failback --yes`.";

        var history = new Command("history", "Past drills: date, scenario, RTO, RPO, passed.");
        history.SetAction((parse, ct) =>
        {
            var lines = new DrillReportFiles(g.StateRoot(parse)).HistoryLines();
            if (parse.GetValue(g.Output) == OutputFormat.Json)
            {
                Console.WriteLine("[" + string.Join(",\n", lines) + "]");
                return Task.FromResult(ExitCodes.Ok);
            }
            if (lines.Count == 0) Console.WriteLine("No drills yet: run `regami-dr drill`.");
            foreach (var line in lines)
            {
                var e = JsonDocument.Parse(line).RootElement;
                var rtoText = e.GetProperty("rtoSeconds").ValueKind == JsonValueKind.Number ? $"{e.GetProperty("rtoSeconds").GetDouble():0.00} s" : "never recovered";
                Console.WriteLine($"{e.GetProperty("at").GetDateTimeOffset():yyyy-MM-dd HH:mm}Z  {e.GetProperty("scenario").GetString(),-19} RTO {rtoText,-10} RPO {e.GetProperty("rpoSeconds").GetDouble():0.00} s  lost {e.GetProperty("lost").GetInt32()}  {(e.GetProperty("passed").GetBoolean() ? "PASSED" : "FAILED")}");
            }
            return Task.FromResult(ExitCodes.Ok);
        });
        drill.Subcommands.Add(history);
        return drill;
    }

    /// <summary>An absent target keeps the scenario's; a present one must be a duration.</summary>
    private static bool TryParseTarget(string? text, out TimeSpan? target)
    {
        target = null;
        if (text is null) return true;
        if (!DurationText.TryParse(text, out var value)) return false;
        target = value;
        return true;
    }

    private static void PrintSummary(DrillReport r)
    {
        var m = r.Measured;
        Console.WriteLine($"Drill {r.Scenario}: {(r.Passed ? "PASSED" : "FAILED")}");
        Console.WriteLine($"  RTO {(m.RtoSeconds is { } rto ? $"{rto:0.00} s" : "not recovered")} (target {r.Targets.RtoSeconds:0} s)   RPO {m.RpoSeconds:0.00} s (target {r.Targets.RpoSeconds:0} s)");
        Console.WriteLine($"  writes: {m.AcknowledgedWrites} acknowledged, {m.LostAcknowledgedWrites} lost, {m.RecoveredWrites} recovered, {m.FailedWrites} failed, {m.UnexpectedWrites} unexpected");
        Console.WriteLine("  phases: " + string.Join(", ", m.Phases.Select(p => $"{p.Name} {p.Seconds:0.00} s")));
        if (m.Overhead is { } o)
            Console.WriteLine($"  overhead (ours): {o.Seconds:0.00} s = RTO − detection {o.DetectionSeconds:0.00} s − DNS TTL {o.DnsTtlSeconds:0} s − first request {o.FirstRequestSeconds:0.00} s");
        foreach (var c in r.Checks) Console.WriteLine($"  [{(c.Passed ? "ok" : "FAIL")}] {c.Name}: {c.Detail}");
        if (r.Reports is { } paths) Console.WriteLine($"  reports: {paths.Json}\n           {paths.Markdown}\n           {paths.Html}");
    }
}
