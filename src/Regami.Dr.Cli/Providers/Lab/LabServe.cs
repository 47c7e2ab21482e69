using System.Net;
using Microsoft.Extensions.Logging;
using Regami.Dr.Core.Traffic;
using Regami.Dr.Lab;
using Regami.Dr.Lab.Dns;
using Regami.Dr.Lab.LoadBalancing;

namespace Regami.Dr.Cli.Providers.Lab;

/// <summary>Wires the lab's configuration into the load balancer and DNS server hosts.</summary>
public static class LabServe
{
    public static Task RunLoadBalancerAsync(LabEnvironment env, string region, CancellationToken ct)
    {
        var r = env.Options.FindRegion(region) ?? throw new ArgumentException($"unknown region {region}");
        return RegionalLoadBalancer.RunAsync(new LoadBalancerOptions(r.Name, env.LoadBalancerUrl(r), env.Paths.InstancesFile(r.Name)), ct);
    }

    public static async Task RunDnsAsync(LabEnvironment env, CancellationToken ct)
    {
        var o = env.Options;
        var primary = o.PrimaryRegion;
        var secondary = o.StandbyRegion;
        var hc = o.HealthCheck;
        var options = new DnsServerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Parse(o.Dns.Address), o.Dns.Port),
            Zone = o.Dns.Zone,
            RecordSet = new FailoverRecordSet(o.Dns.FullName, TimeSpan.FromSeconds(o.Dns.TtlSeconds),
                new FailoverRecord(primary.Name, primary.Address, DnsServerOptions.HealthCheckIdFor(primary.Name)),
                new FailoverRecord(secondary.Name, secondary.Address, DnsServerOptions.HealthCheckIdFor(secondary.Name))),
            HealthCheckTargets = new Dictionary<string, Uri>
            {
                [DnsServerOptions.HealthCheckIdFor(primary.Name)] = DnsServerOptions.HealthCheckUrl(primary.Address, o.Ports.LoadBalancer, o.HealthCheck.Path),
                [DnsServerOptions.HealthCheckIdFor(secondary.Name)] = DnsServerOptions.HealthCheckUrl(secondary.Address, o.Ports.LoadBalancer, o.HealthCheck.Path),
            },
            HealthCheck = hc,
            RoutingControlsFile = env.Paths.RoutingControlsFile,
            VerifiedHealthyFile = env.Paths.VerifiedHealthyFile,
            StatusFile = env.Paths.DnsStatusFile,
        };
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(s => { s.SingleLine = true; s.TimestampFormat = "HH:mm:ss.fff "; }).SetMinimumLevel(LogLevel.Information));
        await new FailoverDnsServer(loggerFactory.CreateLogger("dns"), TimeProvider.System).RunAsync(options, ct);
    }
}
