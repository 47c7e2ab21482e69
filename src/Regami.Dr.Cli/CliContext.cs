using System.CommandLine;
using Regami.Dr.Cli.Providers;
using Regami.Dr.Core.Providers;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Store;

namespace Regami.Dr.Cli;

/// <summary>Options every command understands, and how a command gets its lab environment.</summary>
public sealed class GlobalOptions
{
    public Option<string?> StateDir { get; } = new("--state-dir")
    {
        Description = "State directory: the store, the audit trail and the lab (default: $REGAMI_DR_STATE, else $XDG_STATE_HOME/regami-dr or ~/.local/state/regami-dr; /var/lib/regami-dr as root)",
        Recursive = true,
    };

    public Option<string?> Config { get; } = new("--config")
    {
        Description = "Configuration file (regami-dr.yaml). Default: the copy kept in the state directory, else the embedded lab. Once a lab exists it keeps the configuration it was created with.",
        Recursive = true,
    };

    public Option<OutputFormat> Output { get; } = new("--output", "-o")
    {
        Description = "Output format: text (default) or json",
        Recursive = true,
        DefaultValueFactory = _ => OutputFormat.Text,
    };

    public string StateRoot(ParseResult parse) =>
        StateDirectory.Resolve(parse.GetValue(StateDir), System.Environment.GetEnvironmentVariable, ProcessHostFacts.IsRoot);

    public LoadedConfiguration Configuration(ParseResult parse) =>
        ProviderFactory.Load(parse.GetValue(Config), StateRoot(parse), warning => Console.Error.WriteLine($"regami-dr: {warning}"));

    /// <summary>The configuration, the provider's bundle and the state store: what every command works with.</summary>
    public CliSession Session(ParseResult parse)
    {
        var root = StateRoot(parse);
        var config = Configuration(parse);
        return new CliSession(config, ProviderFactory.Create(config, root, TimeProvider.System), root, TimeProvider.System);
    }
}

/// <summary>What a command works with: the configuration, the provider's ports, the state store (opened when first used).</summary>
public sealed class CliSession(LoadedConfiguration configuration, ProviderBundle bundle, string stateRoot, TimeProvider time) : IDisposable
{
    private StateStore? store;
    private HttpClient? etcdHttp;
    private Core.Runbooks.Journal.IRunbookJournal? journal;
    private Core.Runbooks.Journal.IRunbookLease? runbookLease;

    public LoadedConfiguration Configuration { get; } = configuration;
    public ProviderBundle Bundle { get; } = bundle;
    public string StateRoot { get; } = stateRoot;
    public TimeProvider Time { get; } = time;
    public StateStore Store => store ??= StateStore.Open(StateRoot, Time);

    /// <summary>With <c>controller.lease: etcd</c> the runbook lock and the unfinished runs live in etcd too, so controllers on other hosts see them.</summary>
    private bool SharedInEtcd => Configuration.Config.Controller.Lease == "etcd";

    private Uri EtcdEndpoint => new(Configuration.Config.Controller.EtcdEndpoint);

    private HttpClient EtcdHttp => etcdHttp ??= new HttpClient();

    /// <summary>The runbook journal: the state store's, mirrored to etcd in etcd mode (issue 10, item 1).</summary>
    public Core.Runbooks.Journal.IRunbookJournal Journal => journal ??= SharedInEtcd
        ? new Regami.Dr.Server.Leases.EtcdMirroredJournal(Store.Journal, Store.LocalJournal.ImportAsync, EtcdEndpoint, EtcdHttp)
        : Store.Journal;

    /// <summary>The lock that keeps two runbooks from running at once: a file on this host, or a key in etcd in etcd mode.</summary>
    public Core.Runbooks.Journal.IRunbookLease RunbookLease => runbookLease ??= SharedInEtcd
        ? new Regami.Dr.Server.Leases.EtcdRunbookLease(EtcdEndpoint, EtcdHttp, Time)
        : Store.Lease;

    /// <summary>The runbooks with the configured policy (the RPO guard of regami-dr.yaml, never built-in defaults).</summary>
    public RunbookCatalog Catalog => new(Bundle.Ports, Bundle.EffectivePolicy, Bundle.Backups);

    /// <summary>The drill's ports over this environment and this state store.</summary>
    public Core.Drills.DrillPorts DrillPorts() =>
        (Bundle.Drills ?? throw new CliException($"the {Bundle.Name} provider cannot run drills yet", ExitCodes.Usage))(Journal, Store.Audit, RunbookLease);

    /// <summary>Who acts, for the audit trail.</summary>
    public static string Actor => $"{System.Environment.UserName}@{System.Environment.MachineName}";

    public void Dispose()
    {
        store?.Dispose();
        etcdHttp?.Dispose();
    }
}

public enum OutputFormat { Text, Json }

/// <summary>Exit codes of the command-line contract (DESIGN §4).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Unsafe = 3;
    public const int Interrupted = 130;
}

/// <summary>A command cannot do what was asked; the message says why and what to do. Exit code per the contract.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
