using System.CommandLine;
using Regami.Dr.Lab;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Cli.Providers.Lab;

/// <summary>
/// `regami-dr lab serve app|lb|dns`: the lab's long-running parts. The supervisor starts these
/// as separate processes (so a fault can kill one); users do not call them.
/// </summary>
public static class ServeCommands
{
    public static Command Create(GlobalOptions g)
    {
        var serve = new Command("serve", "Run one lab part in the foreground (started by `lab up`).") { Hidden = true };
        var region = new Option<string>("--region") { Required = true };
        var instance = new Option<int>("--instance") { Required = true };

        var app = new Command("app", "An API instance of a region.") { region, instance };
        app.SetAction(async (parse, ct) =>
        {
            var env = LabProvider.Environment(g, parse);
            var r = env.Options.FindRegion(parse.GetValue(region)!) ?? throw new LabException("unknown region") { ExitCode = 2 };
            var url = env.InstanceUrl(r, parse.GetValue(instance));
            await Regami.Api.RegamiApiApp.RunAsync(
                ["--urls", url, $"--Regami:Region={r.Name}", $"--Regami:ConnectionString={env.AppConnectionString(r)}", $"--Regami:InstanceId={LabSupervisor.InstanceId(r.Name, parse.GetValue(instance))}"], ct);
            return ExitCodes.Ok;
        });

        var lb = new Command("lb", "The load balancer of a region.") { region };
        lb.SetAction(async (parse, ct) =>
        {
            var env = LabProvider.Environment(g, parse);
            await LabServe.RunLoadBalancerAsync(env, parse.GetValue(region)!, ct);
            return ExitCodes.Ok;
        });

        var dns = new Command("dns", "The failover DNS server.");
        dns.SetAction(async (parse, ct) =>
        {
            var env = LabProvider.Environment(g, parse);
            await LabServe.RunDnsAsync(env, ct);
            return ExitCodes.Ok;
        });

        serve.Subcommands.Add(app);
        serve.Subcommands.Add(lb);
        serve.Subcommands.Add(dns);
        return serve;
    }
}
