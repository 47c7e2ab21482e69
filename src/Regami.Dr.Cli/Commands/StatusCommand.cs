using System.CommandLine;
using Regami.Dr.Cli.Output;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Status;
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
            using var session = g.Session(parse);
            var status = await session.Bundle.Status.ReadAsync(ct);
            await RememberLagAsync(session, status, ct);
            status = await WithBackupsAsync(session, status, ct);
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(status);
            else StatusView.Render(AnsiConsole.Console, status);
            return status.Problems is { Count: > 0 } ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The newest backup per class, copies per region, the recoverable window and the last restore test, where the provider has backups.</summary>
    private static async Task<SystemStatus> WithBackupsAsync(CliSession session, SystemStatus status, CancellationToken ct)
    {
        if (session.Bundle.Backups is not { } port) return status;
        try
        {
            var backups = Core.Backups.BackupStatus.From(port.Engine, await port.ListAsync(ct), await port.WindowAsync(ct), await port.RestoreTestsAsync(ct),
                session.Configuration.Config.Regions.Select(r => r.Name), session.Time.GetUtcNow());
            return status with { Backups = backups };
        }
        catch (Core.Providers.ProviderException e)
        {
            // The backup engine not answering is a problem to show, not a reason to hide the rest of the status.
            return status with { Problems = [.. status.Problems ?? [], $"backups: {e.Message}"] };
        }
    }

    /// <summary>
    /// Every look at a healthy pair keeps a lag sample: if the primary dies next, the RPO guard
    /// judges with the last lag seen while it still answered.
    /// </summary>
    internal static async Task RememberLagAsync(CliSession session, SystemStatus status, CancellationToken ct)
    {
        if (status.PrimaryRegion is not { } primary || status.Replication.ReplicaRegion is not { } standby || status.Replication.LagBytes is null) return;
        await session.Bundle.Ports.Lag.RecordAsync(new LagSample(session.Time.GetUtcNow(), primary, standby, status.Replication.LagBytes, status.Replication.LagSeconds), ct);
    }
}
