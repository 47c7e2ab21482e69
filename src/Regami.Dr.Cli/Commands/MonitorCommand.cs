using System.CommandLine;
using Microsoft.Extensions.Logging;
using Regami.Dr.Cli.Runbooks;
using Regami.Dr.Core.Alarms;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Leases;
using Regami.Dr.Lab;
using Regami.Dr.Server;
using Regami.Dr.Server.Controller;
using Regami.Dr.Server.Leases;
using Regami.Dr.Server.Notifications;

namespace Regami.Dr.Cli.Commands;

/// <summary>`regami-dr monitor`: the controller daemon for the lab (started by `lab up`).</summary>
public static class MonitorCommand
{
    public static Command Create(GlobalOptions g)
    {
        var listen = new Option<string?>("--listen") { Description = "Address of the API, dashboard and /metrics (default: controller.address:port of the lab config)" };
        var name = new Option<string?>("--name") { Description = "This controller's name in the lease and the audit trail (default: controller@host pid N)" };
        var cmd = new Command("monitor", "Run the controller: health checks, alarms, automatic failover (guarded), notifications, HTTP API, dashboard and /metrics. Stops on SIGTERM/SIGINT.") { listen, name };
        cmd.SetAction(async (parse, ct) =>
        {
            var env = g.Environment(parse);
            var o = env.Options;
            var c = o.Controller;
            var invoker = new RunbookInvoker(env);
            var store = invoker.Store();
            var time = env.Time;
            using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(s => { s.SingleLine = true; s.TimestampFormat = "HH:mm:ss.fff "; }));
            var http = new HttpClient();

            // Each region is probed where DNS probes it: its load balancer's health path, from every vantage point.
            var targets = o.Regions.SelectMany(r => c.Vantages.Select(v =>
                new HealthTarget(r.Name, v, new Uri(env.LoadBalancerUrl(r) + o.HealthCheck.Path)))).ToList();
            var options = new ControllerOptions
            {
                Regions = o.Regions.Select(r => r.Name).ToList(),
                HealthTargets = targets,
                Interval = TimeSpan.FromSeconds(c.IntervalSeconds),
                ProbeTimeout = TimeSpan.FromSeconds(Math.Min(o.HealthCheck.TimeoutSeconds, c.IntervalSeconds)),
                FailureThreshold = o.HealthCheck.FailureThreshold,
                Policy = new ControllerPolicy
                {
                    AutomaticFailover = c.AutomaticFailover,
                    MaxLagOnFailover = TimeSpan.FromSeconds(c.MaxLagOnFailoverSeconds),
                    MaxLagBytesOnFailover = c.MaxLagBytesOnFailover,
                    Cooldown = TimeSpan.FromSeconds(c.CooldownSeconds),
                },
                ListenUrl = new Uri(parse.GetValue(listen) ?? env.ControllerUrl),
                Owner = parse.GetValue(name) is { } n0 ? $"{n0} pid {Environment.ProcessId}" : $"controller@{Environment.MachineName} pid {Environment.ProcessId}",
                LeaseTtl = TimeSpan.FromSeconds(Math.Max(2, c.IntervalSeconds * 5)),
                TokenFile = Path.Combine(env.Paths.Root, "controller.token"),
            };

            IControllerLease lease = c.Lease == "etcd"
                ? new EtcdLease(new Uri(c.EtcdEndpoint), "/regami-dr/leader", http, time)
                : new LocalFileLease(Path.Combine(env.Paths.Root, "controller.lease"), time);

            var n = o.Notifications;
            var notificationOptions = new NotificationOptions
            {
                Console = n.Console,
                FilePath = n.File.Length > 0 ? n.File : Path.Combine(env.Paths.Root, "alerts.jsonl"),
                ChatWebhooks = n.ChatWebhooks,
                Smtp = n.Smtp is { } s ? new SmtpOptions
                {
                    Host = s.Host, Port = s.Port, From = s.From, Username = s.Username, Password = s.Password,
                    UseTls = s.Security switch { "starttls" => SmtpTlsMode.StartTls, "ssl" => SmtpTlsMode.SslOnConnect, _ => SmtpTlsMode.None },
                } : null,
                DefaultEmailRecipients = n.EmailTo,
                RepeatInterval = TimeSpan.FromSeconds(n.RepeatSeconds),
            };
            var dispatcher = NotificationDispatcher.Create(notificationOptions, loggerFactory.CreateLogger("notifications"), time, http);
            var alerts = new DispatcherAlertSink(dispatcher, time);
            // Alarms watch roles, not region names, so they stay meaningful after a failover.
            var alarms = new AlarmSet(PlanAlarms.ForLab("primary", "standby"));
            var metricsHolder = new ControllerMetrics();
            var deps = new ControllerDependencies(invoker.Ports(), store.Journal, store.Audit, store.Lease, lease, alerts,
                new AlarmMetricSink(alarms, alerts, metricsHolder), new Regami.Dr.Probes.HttpHealthProber(options.ProbeTimeout, time), time);
            var views = new ControllerViews(
                token => new LabStatusReader(env).ReadAsync(token),
                () => alarms.Current,
                () => dispatcher.Open,
                (id, by) => dispatcher.Acknowledge(id, by));
            await ControllerHost.RunAsync(options, deps, views, ct, metricsHolder);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
