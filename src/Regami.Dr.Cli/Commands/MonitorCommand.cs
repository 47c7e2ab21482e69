using System.CommandLine;
using Microsoft.Extensions.Logging;
using Regami.Dr.Core.Alarms;
using Regami.Dr.Core.Leases;
using Regami.Dr.Server;
using Regami.Dr.Server.Controller;
using Regami.Dr.Server.Leases;
using Regami.Dr.Server.Notifications;

namespace Regami.Dr.Cli.Commands;

/// <summary>`regami-dr monitor`: the controller daemon (the lab's `lab up` starts one).</summary>
public static class MonitorCommand
{
    public static Command Create(GlobalOptions g)
    {
        var listen = new Option<string?>("--listen") { Description = "Address of the API, dashboard and /metrics (default: the environment's controller address)" };
        var name = new Option<string?>("--name") { Description = "This controller's name in the lease and the audit trail (default: controller@host pid N)" };
        var cmd = new Command("monitor", "Run the controller: health checks, alarms, automatic failover (guarded), notifications, HTTP API, dashboard and /metrics. Stops on SIGTERM/SIGINT.") { listen, name };
        cmd.SetAction(async (parse, ct) =>
        {
            using var session = g.Session(parse);
            var config = session.Configuration.Config;
            var bundle = session.Bundle;
            var store = session.Store;
            var time = session.Time;
            using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(s => { s.SingleLine = true; s.TimestampFormat = "HH:mm:ss.fff "; }));
            var http = new HttpClient();

            var options = new ControllerOptions
            {
                Regions = config.Regions.Select(r => r.Name).ToList(),
                FailureThreshold = config.HealthCheck.FailureThreshold,
                Policy = config.Controller,
                ListenUrl = parse.GetValue(listen) is { } l ? new Uri(l) : bundle.ControllerUrl,
                Owner = ControllerOptions.OwnerFor(Regami.Dr.Store.ProcessHostFacts.Current, parse.GetValue(name)),
                LeaseTtl = config.Controller.LeaseTtl,
                TokenFile = Path.Combine(session.StateRoot, "controller.token"),
                Runbooks = config.Runbooks,
            };

            IControllerLease lease = config.Controller.Lease == "etcd"
                ? new EtcdLease(new Uri(config.Controller.EtcdEndpoint), "/regami-dr/leader", http, time)
                : new LocalFileLease(Path.Combine(session.StateRoot, "controller.lease"), time);

            var notifications = NotificationConfiguration.From(session.Configuration.Document, config.Provider);
            if (notifications.FilePath is null) notifications = notifications with { FilePath = Path.Combine(session.StateRoot, "alerts.jsonl") };
            // Deliveries go out from the dispatcher's background queue; leaving this scope (after the
            // controller stopped) drains it within NotificationQueueOptions.DrainTimeout.
            await using var dispatcher = NotificationDispatcher.Create(notifications, loggerFactory.CreateLogger("notifications"), time, http,
                snsPublisher: bundle.Sns, snsTopics: bundle.SnsTopics);
            var alerts = new DispatcherAlertSink(dispatcher, time);
            // Alarms watch roles, not region names, so they stay meaningful after a failover.
            var alarms = new AlarmSet(PlanAlarms.For("primary", "standby", config.Alarms));
            var metricsHolder = new ControllerMetrics();
            var deps = new ControllerDependencies(bundle.Ports, session.Catalog, session.Journal, store.Audit, session.RunbookLease, lease, alerts,
                new AlarmMetricSink(alarms, alerts, metricsHolder), bundle.Health, time);
            var views = new ControllerViews(
                bundle.Status.ReadAsync,
                () => alarms.Current,
                () => dispatcher.Open,
                (id, by) => dispatcher.Acknowledge(id, by));
            var backups = bundle.Backups is { } port
                ? (Func<Func<bool>, Microsoft.Extensions.Logging.ILogger, Regami.Dr.Server.Controller.ControllerMetrics, Regami.Dr.Server.Backups.BackupScheduler>)((leads, log, m) =>
                    new Regami.Dr.Server.Backups.BackupScheduler(port, bundle.Configuration.Backups, alerts, store.Audit, time, log, leads,
                        bundle.Configuration.Regions.Select(r => r.Name).ToList(), m))
                : null;
            await ControllerHost.RunAsync(options, deps, views, ct, metricsHolder, backups);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
