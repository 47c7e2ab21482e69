using Regami.Dr.Aws;
using Regami.Dr.Aws.Cli;
using Regami.Dr.Aws.Configuration;
using Regami.Dr.Core.Providers;
using Regami.Dr.Store;

namespace Regami.Dr.Cli.Providers.Aws;

/// <summary>The AWS provider as the CLI builds it: the section, the CLI driver (audited) and the bundle over the state store.</summary>
public static class AwsCliProvider
{
    public static AwsSection Section(LoadedConfiguration config) => AwsProvider.Section(config.Document, config.Config);

    public static ProviderBundle Bundle(LoadedConfiguration config, string stateRoot, TimeProvider time)
    {
        var section = Section(config);
        // The store opens only when first used: `--dry-run` and `aws plan` must not create state.
        var store = new Lazy<StateStore>(() => StateStore.Open(stateRoot, time));
        var topology = new StoreTopology(() => store.Value, config.Config.Regions.Select(r => r.Name).ToList(), config.Config.PrimaryRegion.Name,
            config.Config.Regions.ToDictionary(r => r.Name, r => r.IsPrimary ? Core.Topology.RegionRole.Primary : Core.Topology.RegionRole.Standby));
        var driver = Driver(section, time, () => store.Value.Audit);
        return AwsProvider.Bundle(config.Config, section, driver, topology, time, new HttpClient { Timeout = TimeSpan.FromSeconds(30) },
            ProcessHostFacts.Current, new DrillReportFiles(stateRoot));
    }

    /// <summary>The driver, announcing on stderr which AWS CLI binary and version it uses.</summary>
    public static AwsCliDriver Driver(AwsSection section, TimeProvider time, Func<Core.Audit.IAuditLog> audit) =>
        AwsProvider.Driver(section, time, new AuditingCallObserver(audit, CliSession.Actor, "aws", time),
            line => Console.Error.WriteLine($"regami-dr: {line}"));
}
