using System.CommandLine;
using Regami.Dr.Cli.Output;
using Regami.Dr.Lab;
using Spectre.Console;

namespace Regami.Dr.Cli.Commands;

public static class StatusCommand
{
    public static Command Create(GlobalOptions g)
    {
        var cmd = new Command("status", "Show both regions: database role, replication lag, compute, load balancer and where DNS sends traffic.");
        cmd.SetAction(async (parse, ct) =>
        {
            var env = g.Environment(parse);
            var status = await new LabStatusReader(env).ReadAsync(ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(status);
            else StatusView.Render(AnsiConsole.Console, status);
            return status.Problems is { Count: > 0 } ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return cmd;
    }
}
