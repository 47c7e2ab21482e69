using System.CommandLine;
using Regami.Dr.Cli;
using Regami.Dr.Cli.Commands;
using Regami.Dr.Cli.Providers.Lab;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Providers;
using Regami.Dr.Core.Runbooks;

var g = new GlobalOptions();
var root = new RootCommand("regami-dr — disaster recovery for a two-region web stack: lab, status, failover, drills.")
{
    g.StateDir, g.Config, g.Output,
};
root.Subcommands.Add(LabCommand.Create(g));
root.Subcommands.Add(StatusCommand.Create(g));
foreach (var c in RunbookCommands.Create(g)) root.Subcommands.Add(c);
root.Subcommands.Add(AuditCommand.Create(g));
root.Subcommands.Add(MonitorCommand.Create(g));
root.Subcommands.Add(AlertsCommand.Create(g));
root.Subcommands.Add(DrillCommand.Create(g));
root.Subcommands.Add(ConfigCommand.Create(g));
root.Subcommands.Add(BackupCommand.Create(g));
root.Subcommands.Add(RestoreCommand.Create(g));
root.Subcommands.Add(DoctorCommand.Create(g));
root.Subcommands.Add(CostCommand.Create(g));
root.Subcommands.Add(Regami.Dr.Cli.Providers.Aws.AwsCommand.Create(g));

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var e in parse.Errors) Console.Error.WriteLine($"regami-dr: {e.Message}");
    Console.Error.WriteLine("Try `regami-dr --help`.");
    return ExitCodes.Usage;
}

// Not disposed: a second Ctrl-C or SIGTERM may arrive while the process winds down (a drill taking
// its lab down), and cancelling a disposed source throws on the signal thread, aborting the process
// in the middle of that clean-up.
var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cts.Cancel(); });
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cts.Token);
}
catch (ConfigurationException e)
{
    Console.Error.WriteLine($"regami-dr: configuration error: {e.Message}");
    return ExitCodes.Usage;
}
catch (RunbookRequestException e)
{
    Console.Error.WriteLine($"regami-dr: {e.Message}");
    return e.Unsafe ? ExitCodes.Unsafe : ExitCodes.Usage;
}
catch (Regami.Dr.Core.Backups.RestoreRequestException e)
{
    Console.Error.WriteLine($"regami-dr: {e.Message}");
    return ExitCodes.Usage;
}
catch (CliException e)
{
    Console.Error.WriteLine($"regami-dr: {e.Message}");
    return e.ExitCode;
}
catch (HttpRequestException e)
{
    Console.Error.WriteLine($"regami-dr: {e.Message} (is the controller running? `regami-dr status` shows it)");
    return ExitCodes.Failed;
}
catch (ProviderException e)
{
    Console.Error.WriteLine($"regami-dr: {e.Message}");
    return e.ExitCode;
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    Console.Error.WriteLine("regami-dr: interrupted; run `regami-dr status` to see what state the lab is in.");
    return ExitCodes.Interrupted;
}
