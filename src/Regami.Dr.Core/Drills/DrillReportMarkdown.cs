using System.Text;

namespace Regami.Dr.Core.Drills;

/// <summary>The report for the DR log: Markdown tables (GitHub flavour) that paste into a wiki or a ticket.</summary>
public static class DrillReportMarkdown
{
    public static string Render(DrillReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        md.Append("# ").AppendLine(Escape(DrillReportSections.Title(report))).AppendLine();
        var m = report.Measured;
        md.Append("**RTO ").Append(m.RtoSeconds is { } rto ? DrillReportSections.Seconds(rto) : "never recovered")
            .Append("** (target ").Append(DrillReportSections.Target(report.Targets.RtoSeconds)).Append(") · **RPO ")
            .Append(DrillReportSections.Seconds(m.RpoSeconds)).Append("** (target ").Append(DrillReportSections.Target(report.Targets.RpoSeconds))
            .Append(") · ").Append(m.LostAcknowledgedWrites).Append(" of ").Append(m.AcknowledgedWrites)
            .AppendLine(" acknowledged writes lost").AppendLine();

        foreach (var section in DrillReportSections.Of(report))
        {
            md.Append("## ").AppendLine(section.Title).AppendLine();
            if (section.Rows.Count > 0)
            {
                md.Append('|');
                foreach (var c in section.Columns) md.Append(' ').Append(Escape(c)).Append(" |");
                md.AppendLine().Append('|');
                for (var i = 0; i < section.Columns.Count; i++)
                    md.Append(section.NumericColumns.Contains(i) ? "---:|" : "---|");
                md.AppendLine();
                foreach (var row in section.Rows)
                {
                    md.Append('|');
                    foreach (var cell in row) md.Append(' ').Append(Cell(cell)).Append(" |");
                    md.AppendLine();
                }
                md.AppendLine();
            }
            foreach (var note in section.Notes)
                md.AppendLine(Escape(note)).AppendLine();
        }
        return md.ToString();
    }

    private static string Cell(ReportCell cell) => cell.Style switch
    {
        _ when cell.Text.Length == 0 => "",
        CellStyle.Pass or CellStyle.Fail => $"**{Escape(cell.Text)}**",
        CellStyle.Literal => Code(cell.Text),
        _ => Escape(cell.Text),
    };

    private static string Code(string text)
    {
        var flat = Flatten(text).Replace("|", "\\|");
        return flat.Contains('`') ? $"`` {flat} ``" : $"`{flat}`";
    }

    /// <summary>Text safe in a table cell or paragraph: one line, pipes and Markdown punctuation escaped.</summary>
    internal static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var ch in Flatten(text))
        {
            if (ch is '\\' or '|' or '*' or '_' or '`' or '<' or '>' or '[' or ']' or '#') sb.Append('\\');
            sb.Append(ch);
        }
        return sb.ToString();
    }

    private static string Flatten(string text) => text.Replace("\r\n", " ").Replace('\n', ' ').Replace('\r', ' ');
}
