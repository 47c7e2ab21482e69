using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Providers;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Lab;
using Regami.Dr.Lab.Configuration;
using Regami.Dr.Lab.Provider;
using Regami.Dr.Lab.State;
using Regami.Dr.Server.Controller;
using Regami.Dr.Store;

namespace Regami.Dr.Cli.Providers.Lab;

/// <summary>The local lab as a provider: its environment from the configuration, and its bundle of ports.</summary>
public static class LabProvider
{
    public static LabEnvironment Environment(LoadedConfiguration config, string stateRoot, TimeProvider time)
    {
        // The store opens only when the roles are first read or written: a command on a lab that
        // does not exist must not create its state directory.
        var store = new Lazy<StateStore>(() => StateStore.Open(stateRoot, time));
        var topology = new LegacyRoleImport(
            new StoreTopology(() => store.Value, config.Config.Regions.Select(r => r.Name).ToList(), config.Config.PrimaryRegion.Name),
            new Regami.Dr.Lab.State.LabPaths(stateRoot));
        return LabEnvironment.Create(stateRoot, LabOptions.From(config.Document, config.Config), config.Text, time, SelfInvocation.Current(), topology,
            ct => store.Value.Journal.ListAsync(50, ct));
    }

    /// <summary>The lab of this command line's configuration; the lab's commands refuse other providers.</summary>
    public static LabEnvironment Environment(GlobalOptions g, System.CommandLine.ParseResult parse)
    {
        var config = g.Configuration(parse);
        if (config.Config.Provider != "lab")
            throw new CliException($"`regami-dr lab` works on the local lab; {config.Source} says provider: {config.Config.Provider}", ExitCodes.Usage);
        return Environment(config, g.StateRoot(parse), TimeProvider.System);
    }

    public static ProviderBundle Bundle(LabEnvironment env, TimeProvider time)
    {
        var store = new Lazy<StateStore>(() => StateStore.Open(env.Paths.Root, time));
        var ports = new DrPorts(new LabDatabasePort(env), new LabComputePort(env), new LabTrafficPort(env), env.Topology,
            new LazyLagMemory(() => new StoreLagMemory(store.Value)));
        // Each region is probed where the DNS server probes it: its load balancer's health path, from every vantage point.
        var o = env.Options;
        var targets = o.Regions.SelectMany(r => o.Controller.Vantages.Select(v =>
            new HealthTarget(r.Name, v, new Uri(env.LoadBalancerUrl(r) + o.HealthCheck.Path)))).ToList();
        var probeTimeout = o.HealthCheck.Timeout < o.Controller.Interval ? o.HealthCheck.Timeout : o.Controller.Interval;
        var status = new LabStatusReader(env);
        var backups = new Regami.Dr.Lab.Backups.LabBackupPort(env);
        return new ProviderBundle
        {
            Name = "lab",
            Configuration = o.Config,
            Ports = ports,
            Health = new ProbingHealthSource(targets, new Regami.Dr.Probes.HttpHealthProber(probeTimeout, time)),
            Status = status,
            ControllerUrl = new Uri(env.ControllerUrl),
            Backups = backups,
            Posture = new Regami.Dr.Lab.Provider.LabPostureReader(env, status, backups, o.Config.FailoverPolicy, new HttpClient()),
            Drills = (journal, audit, lease) => Regami.Dr.Lab.Drills.LabDrillPorts.Create(env, ports, journal, audit, lease, ProcessHostFacts.Current, new DrillReportFiles(env.Paths.Root)),
        };
    }

    public static string LegacyConfigCopy(string stateRoot) => new Regami.Dr.Lab.State.LabPaths(stateRoot).LegacyConfigFile;
    public static bool IsLegacy(string yaml) => LegacyLabConfig.IsLegacy(yaml);
    public static string ConvertLegacy(string yaml) => LegacyLabConfig.Convert(yaml);

    /// <summary>The lag memory opens the store only when first used (commands that never fail over never touch it).</summary>
    private sealed class LazyLagMemory(Func<Core.Ports.ILagMemory> open) : Core.Ports.ILagMemory
    {
        private Core.Ports.ILagMemory? inner;
        private Core.Ports.ILagMemory Inner => inner ??= open();
        public Task RememberAsync(Core.Ports.LagSample sample, CancellationToken ct) => Inner.RememberAsync(sample, ct);
        public Task<Core.Ports.LagSample?> LastAsync(CancellationToken ct) => Inner.LastAsync(ct);
    }
}
