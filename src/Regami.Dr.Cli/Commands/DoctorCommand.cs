using System.CommandLine;
using System.Text.Json;
using Regami.Dr.Cli.Output;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Backups;
using Regami.Dr.Core.Doctor;
using Regami.Dr.Server.Notifications;
using Regami.Dr.Store;

namespace Regami.Dr.Cli.Commands;

/// <summary>
/// `regami-dr doctor`: does what is deployed still honour the plan? Reads the provider's posture and
/// the state directory's records (drills, restore tests, audit), then judges every rule
/// (<see cref="DoctorRules"/>). Changes nothing.
/// </summary>
public static class DoctorCommand
{
    public static Command Create(GlobalOptions g)
    {
        var rule = new Option<string?>("--rule") { Description = $"Run one rule only: {string.Join(", ", DoctorRules.All.Select(r => r.Id))}" };
        var cmd = new Command("doctor",
            "Check that the environment honours the plan: residency, encryption, the replica and its lag, backup retention and copies, PITR, alarms, "
            + "health checks, drill and restore-test age, contacts, audit retention and the RTO budget. Each rule: pass, warn, fail, unknown "
            + "(could not be checked — never a pass) or skip (does not apply), with its evidence and fix. Exit 0 when none failed or is unknown, 1 otherwise. Changes nothing.")
        { rule };
        cmd.SetAction(async (parse, ct) =>
        {
            var only = parse.GetValue(rule);
            if (only is not null && DoctorRules.Find(only) is null)
                throw new CliException($"no rule {only}; the rules are {string.Join(", ", DoctorRules.All.Select(r => r.Id))}", ExitCodes.Usage);
            using var session = g.Session(parse);
            var facts = await GatherAsync(session, ct);
            var report = new DoctorReport(facts.Configuration.Environment, session.Bundle.Name, facts.Now, DoctorRules.Evaluate(facts, DoctorPolicy.Plan, only));
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(report);
            else Render(report);
            return report.Healthy ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return cmd;
    }

    private static async Task<PostureFacts> GatherAsync(CliSession session, CancellationToken ct)
    {
        var bundle = session.Bundle;
        var reader = bundle.Posture ?? throw new CliException($"the {bundle.Name} provider has no doctor yet", ExitCodes.Usage);
        var provider = reader.ReadAsync(ct);
        var restoreTests = bundle.Backups is { } backups
            ? Observe.TryAsync<IReadOnlyList<RestoreTestResult>>(backups.RestoreTestsAsync, ct)
            : Task.FromResult(Observed<IReadOnlyList<RestoreTestResult>>.Inapplicable($"the {bundle.Name} provider runs no restore test yet: restore tests are recorded by `regami-dr backup restore-test` on the lab"));
        var audit = Observe.TryAsync(c => VerifyAuditAsync(session, c), ct);
        return new PostureFacts
        {
            Configuration = bundle.Configuration,
            AllowedRegions = reader.AllowedRegions,
            Provider = await provider,
            Drills = ReadDrills(session.StateRoot),
            RestoreTests = await restoreTests,
            Contacts = NotificationConfiguration.From(session.Configuration.Document, bundle.Configuration.Provider).Contacts,
            Audit = await audit,
            Now = session.Time.GetUtcNow(),
        };
    }

    /// <summary>Verifies the audit chain without creating a state directory where there is none (doctor changes nothing).</summary>
    private static async Task<AuditVerification> VerifyAuditAsync(CliSession session, CancellationToken ct) =>
        File.Exists(Path.Combine(session.StateRoot, StateStore.DatabaseFileName))
            ? await session.Store.Audit.VerifyAsync(ct)
            : new AuditVerification(true, 0, null, $"no audit events yet (no state store in {session.StateRoot})");

    /// <summary>The drill history the drills append to (one JSON object per line).</summary>
    private static Observed<IReadOnlyList<DrillOutcome>> ReadDrills(string stateRoot)
    {
        try
        {
            var outcomes = new DrillReportFiles(stateRoot).HistoryLines().Select(line =>
            {
                using var doc = JsonDocument.Parse(line);
                var e = doc.RootElement;
                return new DrillOutcome(e.GetProperty("at").GetDateTimeOffset(), e.GetProperty("scenario").GetString() ?? "?",
                    e.GetProperty("passed").GetBoolean(), e.TryGetProperty("rtoSeconds", out var rto) && rto.ValueKind == JsonValueKind.Number ? rto.GetDouble() : null);
            }).OrderBy(d => d.At).ToList();
            return Observed<IReadOnlyList<DrillOutcome>>.Of(outcomes);
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return Observed<IReadOnlyList<DrillOutcome>>.Failed($"{Path.Combine(stateRoot, DrillReportFiles.HistoryFileName)}: {e.Message}");
        }
    }

    private static void Render(DoctorReport report)
    {
        Console.WriteLine($"regami-dr doctor — {report.Environment} ({report.Provider}), {report.CheckedAt:yyyy-MM-dd HH:mm:ss}Z");
        foreach (var f in report.Findings)
        {
            Console.WriteLine($"  {Word(f.Status),-7} {f.Id,-28} {f.Title}");
            Console.WriteLine($"          {f.Evidence}");
            if (f.Fix is { } fix) Console.WriteLine($"          fix: {fix}");
        }
        var counts = Enum.GetValues<RuleStatus>().Where(s => report.Count(s) > 0).Select(s => $"{report.Count(s)} {Word(s).ToLowerInvariant()}");
        Console.WriteLine($"{report.Findings.Count} rule(s): {string.Join(", ", counts)}. {(report.Healthy ? "The plan is honoured where it could be checked." : "The plan is NOT shown to be honoured: see the FAIL and UNKNOWN rules.")}");
    }

    private static string Word(RuleStatus s) => s switch
    {
        RuleStatus.Pass => "PASS",
        RuleStatus.Warn => "WARN",
        RuleStatus.Fail => "FAIL",
        RuleStatus.Unknown => "UNKNOWN",
        _ => "SKIP",
    };
}
