using Regami.Dr.Core.Status;
using Regami.Dr.Core.Topology;
using Spectre.Console;

namespace Regami.Dr.Cli.Output;

/// <summary>The human form of `status`: one table of regions, then traffic and replication.</summary>
public static class StatusView
{
    public static void Render(IAnsiConsole console, SystemStatus s)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("Region", "Role", "Healthy", "Database", "Writable", "Lag", "Compute", "Load balancer");
        foreach (var r in s.Regions)
        {
            var lag = r.Database.LagBytes is { } b ? $"{b} B / {r.Database.LagSeconds ?? 0:0.0} s" : "-";
            var lb = r.LoadBalancer is null ? "-" : $"{r.LoadBalancer.Url} {(r.LoadBalancer.Running ? r.LoadBalancer.HealthStatusCode?.ToString() ?? "no answer" : "stopped")}";
            table.AddRow(
                Markup.Escape(r.Name),
                RoleMarkup(r.Role),
                r.Healthy ? "[green]yes[/]" : "[red]no[/]",
                Markup.Escape($"{r.Database.State} {r.Database.Host}:{r.Database.Port}"),
                r.Database.Writable ? "yes" : "no",
                Markup.Escape(lag),
                $"{r.Compute.Running}/{r.Compute.Desired}",
                Markup.Escape(lb));
        }
        console.Write(table);
        console.MarkupLine($"Traffic     [bold]{Markup.Escape(s.Traffic.Name)}[/] → {Markup.Escape(s.Traffic.ActiveRegion ?? "no answer")} ({Markup.Escape(s.Traffic.AnsweredAddress ?? "-")}, TTL {s.Traffic.TtlSeconds} s)");
        if (s.Traffic.Reason is { } reason) console.MarkupLine($"            [grey]{Markup.Escape(reason)}[/]");
        var rep = s.Replication;
        console.MarkupLine($"Replication {rep.Mode.ToString().ToLowerInvariant()}, {(rep.Streaming ? "[green]streaming[/]" : "[red]not streaming[/]")}, lag {rep.LagBytes?.ToString() ?? "?"} B / {rep.LagSeconds?.ToString("0.0") ?? "?"} s{(rep.SyncState is { } st ? $" ({st})" : "")}");
        if (s.Backups is { } bk)
        {
            var newest = bk.Newest.Count == 0 ? "none yet" : string.Join(", ", bk.Newest.Select(n => $"{n.Class.ToString().ToLowerInvariant()} {Age(n.AgeSeconds)} ago ({string.Join("+", n.Regions)})"));
            console.MarkupLine($"Backups     {bk.Count} ({Markup.Escape(bk.Engine)}); newest: {Markup.Escape(newest)}");
            console.MarkupLine($"            copies: {Markup.Escape(string.Join(", ", bk.CopiesPerRegion.Select(c => $"{c.Key} {c.Value}")))}; " +
                $"recoverable {(bk.RecoveryWindow is { } w ? Markup.Escape(w.ToString()) : "[yellow]nothing[/]")}; " +
                $"restore test {(bk.LastRestoreTest is { } t ? (t.Passed ? $"passed {t.At:yyyy-MM-dd HH:mm}Z" : $"[red]FAILED {t.At:yyyy-MM-dd HH:mm}Z[/]") : "never run")}");
        }
        foreach (var p in s.Problems ?? []) console.MarkupLine($"[yellow]! {Markup.Escape(p)}[/]");
    }

    private static string Age(double seconds) => seconds switch
    {
        < 120 => $"{seconds:0} s",
        < 7200 => $"{seconds / 60:0} min",
        < 172800 => $"{seconds / 3600:0} h",
        _ => $"{seconds / 86400:0} d",
    };

    private static string RoleMarkup(RegionRole role) => role switch
    {
        RegionRole.Primary => "[bold green]primary[/]",
        RegionRole.Standby => "[blue]standby[/]",
        RegionRole.Down => "[red]down[/]",
        RegionRole.Fenced => "[yellow]fenced[/]",
        _ => "[grey]unknown[/]",
    };
}
