using Regami.Dr.Aws.Cli;
using Regami.Dr.Aws.Configuration;
using Regami.Dr.Aws.Tests.Moto;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Providers;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Topology;
using Regami.Dr.Store;

namespace Regami.Dr.Aws.Tests.Provider;

/// <summary>
/// The AWS provider in-process over a moto estate, as the CLI builds it: the configuration file
/// the kit writes, the real AWS CLI v2 driver (audited into a real state store), the bundle, and
/// the runbook engine. Its <see cref="FeedReplicaLag"/> plays CloudWatch's part that moto cannot.
/// </summary>
public sealed class AwsHarness : IDisposable
{
    private AwsHarness(string dir, LoadedParts parts, StateStore store, AwsCliDriver driver, ProviderBundle bundle)
    {
        Directory = dir;
        ConfigFile = parts.Path;
        Config = parts.Config;
        Section = parts.Section;
        Store = store;
        Driver = driver;
        Bundle = bundle;
    }

    private sealed record LoadedParts(string Path, DrConfiguration Config, AwsSection Section);

    public string Directory { get; }
    public string ConfigFile { get; }
    public DrConfiguration Config { get; }
    public AwsSection Section { get; }
    public StateStore Store { get; }
    public AwsCliDriver Driver { get; }
    public ProviderBundle Bundle { get; }
    public TimeProvider Time => TimeProvider.System;

    /// <summary>The state directory the CLI would use (the store, drills' reports).</summary>
    public string StateDirectory => Path.Combine(Directory, "state");

    public static AwsHarness Create(MotoEstateIds estate, string? extraAwsYaml = null)
    {
        TestAwsEnvironment.Apply();
        var dir = System.IO.Directory.CreateTempSubdirectory("regami-aws-").FullName;
        var path = Path.Combine(dir, "regami-dr.yaml");
        // Polls at moto's speed: its instances are available at once.
        File.WriteAllText(path, estate.ConfigYaml("pollInterval: 200ms\n" + (extraAwsYaml ?? "")));
        var doc = ConfigDocument.Parse(File.ReadAllText(path), path);
        var config = DrConfiguration.From(doc);
        var section = AwsProvider.Section(doc, config);
        var state = Path.Combine(dir, "state");
        var store = StateStore.Open(state, TimeProvider.System);
        var topology = new StoreTopology(() => store, config.Regions.Select(r => r.Name).ToList(), config.PrimaryRegion.Name,
            config.Regions.ToDictionary(r => r.Name, r => r.IsPrimary ? RegionRole.Primary : RegionRole.Standby));
        var driver = AwsProvider.Driver(section, TimeProvider.System, new AuditingCallObserver(() => store.Audit, "test", "aws", TimeProvider.System), announce: null);
        var bundle = AwsProvider.Bundle(config, section, driver, topology, TimeProvider.System, new HttpClient(), ProcessHostFacts.Current, new DrillReportFiles(state));
        return new AwsHarness(dir, new LoadedParts(path, config, section), store, driver, bundle);
    }

    public RunbookEngine Engine() => new(Store.Journal, Store.Audit, Store.Lease, Time, ProcessHostFacts.Current, "test");

    /// <summary>Chooses and runs a runbook as `regami-dr KIND --to TO --yes` would.</summary>
    public async Task<RunbookResult> RunAsync(string kind, string? to = null, bool force = false)
    {
        var catalog = new RunbookCatalog(Bundle.Ports, Bundle.EffectivePolicy);
        var choice = await catalog.ChooseAsync(new RunbookAsk(kind, to, force), CancellationToken.None);
        Assert.True(choice.Runbook is not null, choice.NothingToDo);
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        return await Engine().RunAsync(choice.Runbook!, kind, new RunbookRunOptions(), null, limit.Token);
    }

    /// <summary>
    /// Puts ReplicaLag = <paramref name="seconds"/> for the instance in both regions every
    /// <paramref name="every"/> until disposed: what RDS publishes to CloudWatch on AWS.
    /// </summary>
    public static IAsyncDisposable FeedReplicaLag(MotoEstateIds estate, double seconds, TimeSpan? every = null)
    {
        var stop = new CancellationTokenSource();
        var feeder = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var region in estate.Regions.Select(r => r.Region))
                {
                    try { await estate.PutReplicaLagAsync(region, MotoEstate.DbInstanceId, seconds, DateTimeOffset.UtcNow, stop.Token); }
                    catch (OperationCanceledException) { return; }
                }
                try { await Task.Delay(every ?? TimeSpan.FromSeconds(1), stop.Token); }
                catch (OperationCanceledException) { return; }
            }
        });
        return new Feeder(stop, feeder);
    }

    private sealed class Feeder(CancellationTokenSource stop, Task task) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            try { await task; } catch (OperationCanceledException) { }
            stop.Dispose();
        }
    }

    public void Dispose()
    {
        Driver.Dispose();
        Store.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
