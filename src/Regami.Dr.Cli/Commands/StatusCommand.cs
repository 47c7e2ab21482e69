using System.CommandLine;
using Regami.Dr.Cli.Output;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Status;
using Regami.Dr.Lab;
using Regami.Dr.Store;
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
            await RememberLagAsync(env, status, ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(status);
            else StatusView.Render(AnsiConsole.Console, status);
            return status.Problems is { Count: > 0 } ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>
    /// Every look at a healthy pair keeps a lag sample: if the primary dies next, the RPO guard
    /// judges with the last lag seen while it still answered.
    /// </summary>
    internal static async Task RememberLagAsync(LabEnvironment env, SystemStatus status, CancellationToken ct)
    {
        if (status.PrimaryRegion is not { } primary || status.Replication.ReplicaRegion is not { } standby || status.Replication.LagBytes is null) return;
        using var store = StateStore.Open(env.Paths.Root, env.Time);
        await new StoreLagMemory(store).RememberAsync(new LagSample(env.Time.GetUtcNow(), primary, standby, status.Replication.LagBytes, status.Replication.LagSeconds), ct);
    }
}
