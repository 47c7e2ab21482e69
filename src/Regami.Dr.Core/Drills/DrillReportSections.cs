using System.Globalization;

namespace Regami.Dr.Core.Drills;

/// <summary>How a report cell reads: plain text, a verdict, or a literal (seqs, paths, versions).</summary>
internal enum CellStyle
{
    Plain,
    Pass,
    Fail,
    Literal,
}

internal readonly record struct ReportCell(string Text, CellStyle Style = CellStyle.Plain)
{
    public static implicit operator ReportCell(string text) => new(text);

    public static ReportCell Verdict(bool passed) => new(passed ? "PASS" : "FAIL", passed ? CellStyle.Pass : CellStyle.Fail);
}

/// <summary>One titled table of the human reports, with notes under it.</summary>
internal sealed record ReportSection(
    string Title,
    IReadOnlyList<string> Columns,
    IReadOnlyList<IReadOnlyList<ReportCell>> Rows,
    IReadOnlyList<string> Notes,
    IReadOnlySet<int> NumericColumns);

/// <summary>
/// The content the Markdown and HTML reports share, so both say exactly the same: summary, targets vs measured,
/// the set check of the writes, phases, checks, timeline, environment and report files.
/// </summary>
internal static class DrillReportSections
{
    public static string Title(DrillReport r) => $"DR drill {r.Scenario}: {(r.Passed ? "PASSED" : "FAILED")}";

    public static IReadOnlyList<ReportSection> Of(DrillReport r)
    {
        var m = r.Measured;
        var sections = new List<ReportSection>
        {
            Section("Summary", ["", ""],
            [
                ["Scenario", new ReportCell(r.Scenario, CellStyle.Literal)],
                ["Result", new ReportCell(r.Passed ? "PASSED" : "FAILED", r.Passed ? CellStyle.Pass : CellStyle.Fail)],
                ["Started", Utc(r.StartedAt)],
                ["Finished", $"{Utc(r.FinishedAt)} (drill took {Seconds(r.DurationSeconds)})"],
                ["Fault injected", Utc(m.FaultInjectedAt)],
                ["Replication", r.ReplicationMode ?? "not recorded"],
            ]),
            Section("Targets vs measured", ["objective", "target", "measured", "result"],
            [
                ["RTO", Target(r.Targets.RtoSeconds), m.RtoSeconds is { } rto ? Seconds(rto) : "never recovered",
                    ReportCell.Verdict(m.RtoSeconds is { } v && v <= r.Targets.RtoSeconds)],
                ["RPO", Target(r.Targets.RpoSeconds),
                    $"{Seconds(m.RpoSeconds)} ({m.LostAcknowledgedWrites} of {m.AcknowledgedWrites} acknowledged writes lost)",
                    ReportCell.Verdict(m.RpoSeconds <= r.Targets.RpoSeconds)],
            ],
            notes:
            [
                $"RTO = fault injected → first acknowledged write through the public name after recovery: {m.Recovery.TrimEnd('.')}." +
                    (m.OutagePeriods > 1 ? $" The service went down {m.OutagePeriods} times after the fault." : ""),
                m.Overhead is { } o
                    ? $"Orchestration overhead (ours) = RTO − detection {Seconds(o.DetectionSeconds)} − DNS TTL {Seconds(o.DnsTtlSeconds)} − first request {Seconds(o.FirstRequestSeconds)} = {Seconds(o.Seconds)}."
                    : "Orchestration overhead: not measured (no recovery, or the DNS TTL is unknown).",
                m.LostAcknowledgedWrites == 0
                    ? "RPO = data-loss window: 0 s, no acknowledged write is missing on the new primary."
                    : $"RPO = data-loss window: from the last safe commit ({(m.LastSafeCommitAt is { } safe ? Utc(safe) : "none: the oldest lost write")}) to the fault; " +
                      $"{m.LostAcknowledgedWrites} acknowledged writes are missing on the new primary.",
            ]),
            Section("Writes (set check on the new primary)",
                ["attempted", "acknowledged", "lost", "recovered", "failed", "unexpected"],
            [
                [Count(m.AttemptedWrites), Count(m.AcknowledgedWrites), Count(m.LostAcknowledgedWrites),
                    Count(m.RecoveredWrites), Count(m.FailedWrites), Count(m.UnexpectedWrites)],
            ],
            notes: WriteNotes(m),
            numeric: [0, 1, 2, 3, 4, 5]),
            Section("Phases", ["phase", "seconds", "from (UTC)", "to (UTC)"],
                m.Phases.Select(p => (IReadOnlyList<ReportCell>)[p.Name, Number(p.Seconds), Time(p.From), Time(p.To)])
                    .Append(["total", Number(m.Phases.Sum(p => p.Seconds)), "", ""])
                    .ToList(),
                notes: m.Phases.Count == 0
                    ? ["No phase could be measured: no mark after the fault was observed."]
                    : ["Each phase runs from the previous observed mark (the fault for the first) to its own; a phase that was not observed is left out and its time counts in the next one."],
                numeric: [1]),
            Section("Checks", ["check", "result", "detail"],
                r.Checks.Select(c => (IReadOnlyList<ReportCell>)[c.Name, ReportCell.Verdict(c.Passed), c.Detail ?? ""]).ToList(),
                notes: r.Checks.Count == 0 ? ["No checks were run."] : []),
            Section("Timeline", ["time (UTC)", "since fault", "event"],
                r.Timeline.Select(e => (IReadOnlyList<ReportCell>)[Time(e.At), SinceFault(e.At, m.FaultInjectedAt), e.Event]).ToList(),
                numeric: [1]),
        };

        if (r.Restore is { } restore)
        {
            // After the targets: what the recovery started from is what the RPO is judged by.
            List<IReadOnlyList<ReportCell>> rows =
            [
                ["Restored", $"{restore.Source}, from {restore.FromRegion}'s repository"],
                ["Backup", new ReportCell(restore.BackupId, CellStyle.Literal)],
                ["Recovery point", restore.RecoveryPoint is { } point ? Utc(point) : "unknown"],
                ["Instance", $"{restore.Instance} in {restore.Region}, restored in {Seconds(restore.RestoreSeconds)}"],
                ["Recovery", restore.Recovery],
            ];
            if (restore.RowsDestroyed is { } destroyed) rows.Add(["Rows destroyed", Count(destroyed)]);
            if (restore.RowsCopiedBack is { } copied) rows.Add(["Rows copied back", Count(copied)]);
            sections.Insert(2, Section("Restore", ["", ""], rows));
        }

        if (r.Environment is { } env)
        {
            sections.Add(Section("Environment", ["", ""],
            [
                ["regami-dr", new ReportCell(env.RegamiDrVersion, CellStyle.Literal)],
                ["PostgreSQL", new ReportCell(env.PostgresVersion ?? "unknown", CellStyle.Literal)],
                [".NET", new ReportCell(env.DotnetVersion, CellStyle.Literal)],
                ["OS", new ReportCell(env.Os, CellStyle.Literal)],
                ["Machine", $"{env.Machine} ({env.ProcessorCount} CPUs)"],
            ]));
        }

        if (r.Reports is { } files)
        {
            var rows = new List<IReadOnlyList<ReportCell>>();
            if (files.Json is not null) rows.Add(["JSON", new ReportCell(files.Json, CellStyle.Literal)]);
            if (files.Markdown is not null) rows.Add(["Markdown", new ReportCell(files.Markdown, CellStyle.Literal)]);
            if (files.Html is not null) rows.Add(["HTML", new ReportCell(files.Html, CellStyle.Literal)]);
            if (rows.Count > 0) sections.Add(Section("Report files", ["format", "path"], rows));
        }

        return sections;
    }

    private static List<string> WriteNotes(DrillMeasured m)
    {
        var notes = new List<string>
        {
            "lost = acknowledged but missing; recovered = not acknowledged (outcome unknown) but present; " +
            "failed = not acknowledged and absent; unexpected = present but never attempted (must be 0). Only lost writes count against RPO.",
            $"Attempts refused with an answer: {Count(m.RefusedAttempts)}; outcome unknown (timeout, connection reset): {Count(m.UnknownAttempts)}.",
        };
        if (m.LostSeqs.Count > 0)
            notes.Add($"Lost seqs{(m.LostAcknowledgedWrites > m.LostSeqs.Count ? $" (first {m.LostSeqs.Count} of {m.LostAcknowledgedWrites})" : "")}: {string.Join(", ", m.LostSeqs)}.");
        if (m.UnexpectedSeqs.Count > 0)
            notes.Add($"Unexpected seqs{(m.UnexpectedWrites > m.UnexpectedSeqs.Count ? $" (first {m.UnexpectedSeqs.Count} of {m.UnexpectedWrites})" : "")}: {string.Join(", ", m.UnexpectedSeqs)}.");
        return notes;
    }

    private static ReportSection Section(string title, string[] columns, IReadOnlyList<IReadOnlyList<ReportCell>> rows,
        IReadOnlyList<string>? notes = null, int[]? numeric = null) =>
        new(title, columns, rows, notes ?? [], new HashSet<int>(numeric ?? []));

    internal static string Utc(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) + " UTC";

    internal static string Time(DateTimeOffset at) =>
        at.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    internal static string Number(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture);

    internal static string Seconds(double seconds) => Number(seconds) + " s";

    internal static string Count(long n) => n.ToString(CultureInfo.InvariantCulture);

    internal static string SinceFault(DateTimeOffset at, DateTimeOffset fault)
    {
        var s = (at - fault).TotalSeconds;
        return (s >= 0 ? "+" : "−") + Math.Abs(s).ToString("0.000", CultureInfo.InvariantCulture) + " s";
    }

    /// <summary>"15 min (900 s)", "10 s", "1 h 30 min (5400 s)".</summary>
    internal static string Target(double seconds)
    {
        var s = seconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
        if (seconds < 60) return s;
        var t = TimeSpan.FromSeconds(seconds);
        var parts = new List<string>();
        if (t.Days > 0) parts.Add($"{t.Days} d");
        if (t.Hours > 0) parts.Add($"{t.Hours} h");
        if (t.Minutes > 0) parts.Add($"{t.Minutes} min");
        if (t.Seconds > 0 || t.Milliseconds > 0) parts.Add($"{t.Seconds + t.Milliseconds / 1000.0:0.###} s");
        return $"{string.Join(" ", parts)} ({s})";
    }
}
