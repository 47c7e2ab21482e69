using Regami.Dr.Lab.Configuration;
using Regami.Dr.Lab.Postgres;
using Regami.Dr.Lab.Processes;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Lab;

/// <summary>How to start this program again as a lab daemon (`regami-dr lab serve ...`).</summary>
public sealed record SelfInvocation(string Program, IReadOnlyList<string> PrefixArgs)
{
    /// <summary>The running executable: the apphost, or `dotnet regami-dr.dll`.</summary>
    public static SelfInvocation Current()
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program is running");
        var isDotnetHost = Path.GetFileNameWithoutExtension(processPath) == "dotnet";
        var entry = typeof(SelfInvocation).Assembly.Location;
        var main = System.Reflection.Assembly.GetEntryAssembly()?.Location ?? entry;
        return isDotnetHost ? new SelfInvocation(processPath, [main]) : new SelfInvocation(processPath, []);
    }
}

/// <summary>Everything a lab operation needs, resolved once: options, paths, programs, clock.</summary>
public sealed class LabEnvironment
{
    public required LabOptions Options { get; init; }
    public required LabPaths Paths { get; init; }
    public required LabStateStore Store { get; init; }
    public required CommandRunner Runner { get; init; }
    public required TimeProvider Time { get; init; }
    public required SelfInvocation Self { get; init; }
    public required Func<PostgresBinaries> Binaries { get; init; }
    public required bool IsRoot { get; init; }

    /// <summary>The recorded roles and replication mode (kept in the state store, not in the lab's files).</summary>
    public required Core.Ports.ITopologyPort Topology { get; init; }

    /// <summary>
    /// Recent runbook runs from the journal, so that repair paths
    /// leave alone what a run is taking out of service (<see cref="Core.Runbooks.RepairHolds"/>); null
    /// when the caller has no journal.
    /// </summary>
    public Func<CancellationToken, Task<IReadOnlyList<Core.Runbooks.Journal.RunRecord>>>? RecentRuns { get; init; }

    /// <summary>The configuration text the lab was created with (kept in its state directory), when it came from a file.</summary>
    public string? ConfigText { get; init; }

    /// <param name="stateDir">The state directory (already resolved).</param>
    /// <param name="options">The configuration: the lab's own copy once it exists (the lab keeps the configuration it was created with).</param>
    public static LabEnvironment Create(string stateDir, LabOptions options, string? configText, TimeProvider time, SelfInvocation self, Core.Ports.ITopologyPort topology,
        Func<CancellationToken, Task<IReadOnlyList<Core.Runbooks.Journal.RunRecord>>>? recentRuns = null)
    {
        var isRoot = Posix.IsRoot;
        var paths = new LabPaths(stateDir);
        PostgresBinaries? bin = null;
        return new LabEnvironment
        {
            Options = options,
            ConfigText = configText,
            Paths = paths,
            Store = new LabStateStore(paths, time),
            Runner = new CommandRunner(isRoot),
            Time = time,
            Self = self,
            Binaries = () => bin ??= PostgresBinaries.Locate(options.Database.BinDirectory),
            IsRoot = isRoot,
            Topology = topology,
            RecentRuns = recentRuns,
        };
    }

    public PostgresCluster Cluster(string region)
    {
        var r = Options.FindRegion(region) ?? throw new LabException($"unknown region '{region}'; regions: {string.Join(", ", Options.Regions.Select(x => x.Name))}") { ExitCode = 2 };
        return new PostgresCluster(Binaries(), Runner, Paths.PgData(region), r.Address, Options.Ports.Postgres, Paths.PgLog(region), Paths.SocketDirectory(region));
    }

    public string InstanceUrl(RegionOptions region, int index) => $"http://{region.Address}:{Options.Ports.FirstInstance + index - 1}";
    public string LoadBalancerUrl(RegionOptions region) => $"http://{region.Address}:{Options.Ports.LoadBalancer}";

    /// <summary>The controller's API and dashboard (loopback; defaults to the DNS server's address).</summary>
    public string ControllerUrl => $"http://{(Options.Lab.Controller.Address.Length > 0 ? Options.Lab.Controller.Address : Options.Dns.Address)}:{Options.Lab.Controller.Port}/";

    /// <summary>The connection string the region's API instances use (pooled: it is an application).</summary>
    public string AppConnectionString(RegionOptions region) =>
        $"Host={region.Address};Port={Options.Ports.Postgres};Username={Options.Database.User};Database={Options.Database.Name};Timeout=2;Command Timeout=2";

    public static string SlotName(string region) => region.Replace('-', '_');
}
