using System.CommandLine;
using System.Net.Http.Headers;
using Regami.Dr.Cli.Output;

namespace Regami.Dr.Cli.Commands;

/// <summary>`regami-dr alerts list|ack ID`: the controller's open alerts, and stopping a Sev1's repeats.</summary>
public static class AlertsCommand
{
    public static Command Create(GlobalOptions g)
    {
        var alerts = new Command("alerts", "Open alerts of the running controller; acknowledge a Sev1 to stop its repeats.");

        var list = new Command("list", "Open alerts (id, severity, title, repeats, acknowledged by).");
        list.SetAction(async (parse, ct) =>
        {
            var (http, url) = Client(g, parse);
            var body = await http.GetStringAsync(url + "api/alerts", ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) { Console.WriteLine(body); return ExitCodes.Ok; }
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            if (doc.RootElement.GetArrayLength() == 0) Console.WriteLine("No open alerts.");
            foreach (var a in doc.RootElement.EnumerateArray())
                Console.WriteLine($"{a.GetProperty("id").GetString()}  {a.GetProperty("severity").GetString(),-5} {a.GetProperty("title").GetString()}" +
                    (a.TryGetProperty("acknowledgedBy", out var by) && by.ValueKind == System.Text.Json.JsonValueKind.String ? $"  (acknowledged by {by.GetString()})" : ""));
            return ExitCodes.Ok;
        });

        var id = new Argument<string>("id") { Description = "Alert id (8 hex characters, from `alerts list` or the notification)" };
        var ack = new Command("ack", "Acknowledge an alert: its repeats stop (the acknowledgement is audited).") { id };
        ack.SetAction(async (parse, ct) =>
        {
            var (http, url) = Client(g, parse);
            var tokenFile = Path.Combine(g.StateRoot(parse), "controller.token");
            if (!File.Exists(tokenFile)) throw new CliException($"no controller token at {tokenFile}; is the controller running (`regami-dr status`)?");
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{url}api/alerts/{Uri.EscapeDataString(parse.GetValue(id)!)}/ack");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(tokenFile).Trim());
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode) { Console.WriteLine($"Acknowledged {parse.GetValue(id)}."); return ExitCodes.Ok; }
            Console.Error.WriteLine($"regami-dr: the controller answered {(int)response.StatusCode}: {text}");
            return response.StatusCode == System.Net.HttpStatusCode.NotFound ? ExitCodes.Usage : ExitCodes.Failed;
        });

        alerts.Subcommands.Add(list);
        alerts.Subcommands.Add(ack);
        return alerts;
    }

    private static (HttpClient Http, string Url) Client(GlobalOptions g, System.CommandLine.ParseResult parse)
    {
        // The controller of this environment listens where the configuration says; a refused
        // connection below tells the user that none runs.
        using var session = g.Session(parse);
        return (new HttpClient { Timeout = TimeSpan.FromSeconds(5) }, session.Bundle.ControllerUrl.ToString());
    }
}
