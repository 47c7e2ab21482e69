namespace Regami.Dr.Core.Drills;

/// <summary>Keeps a drill's report where people and the doctor find it (lab: JSON, Markdown and HTML files plus a history line).</summary>
public interface IDrillReportSink
{
    /// <summary>Writes the report (into <paramref name="directory"/> when given) and returns it with <see cref="DrillReport.Reports"/> set.</summary>
    Task<DrillReport> PublishAsync(DrillReport report, string? directory, CancellationToken ct);
}
