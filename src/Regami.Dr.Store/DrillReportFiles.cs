using System.Text.Json;
using Regami.Dr.Core.Drills;

namespace Regami.Dr.Store;

/// <summary>
/// Drill reports as files: <c>&lt;dir&gt;/&lt;start&gt;-&lt;scenario&gt;/report.{json,md,html}</c> (default dir
/// <c>&lt;state dir&gt;/drills</c>), and one line per drill in the history the doctor and `drill history` read.
/// </summary>
public sealed class DrillReportFiles(string stateDirectory) : IDrillReportSink
{
    public const string HistoryFileName = "drill-history.jsonl";

    public string HistoryFile => Path.Combine(stateDirectory, HistoryFileName);

    public async Task<DrillReport> PublishAsync(DrillReport report, string? directory, CancellationToken ct)
    {
        var folder = Path.Combine(directory ?? Path.Combine(stateDirectory, "drills"), $"{report.StartedAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{report.Scenario}");
        Directory.CreateDirectory(folder);
        var paths = new DrillReportPaths(Path.Combine(folder, "report.json"), Path.Combine(folder, "report.md"), Path.Combine(folder, "report.html"));
        report = report with { Reports = paths };
        await File.WriteAllTextAsync(paths.Json!, DrillReportJson.Render(report), ct);
        await File.WriteAllTextAsync(paths.Markdown!, DrillReportMarkdown.Render(report), ct);
        await File.WriteAllTextAsync(paths.Html!, DrillReportHtml.Render(report), ct);
        await File.AppendAllTextAsync(HistoryFile, JsonSerializer.Serialize(new
        {
            at = report.StartedAt, scenario = report.Scenario, passed = report.Passed,
            rtoSeconds = report.Measured.RtoSeconds, rpoSeconds = report.Measured.RpoSeconds,
            lost = report.Measured.LostAcknowledgedWrites, report = paths.Json,
        }) + "\n", ct);
        return report;
    }

    /// <summary>The history's lines, oldest first (none before the first drill).</summary>
    public IReadOnlyList<string> HistoryLines() =>
        File.Exists(HistoryFile) ? File.ReadAllLines(HistoryFile).Where(l => l.Length > 0).ToList() : [];
}
