using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Topology;
using Regami.Dr.Lab.State;
using Regami.Dr.Store;

namespace Regami.Dr.Core.Tests.Store;

public sealed class LegacyRoleImportTests
{
    private static readonly string[] Regions = ["eu-west-3", "eu-central-1"];

    [Fact]
    public async Task A_lab_from_before_the_store_keeps_the_roles_its_lab_json_recorded()
    {
        using var dir = new TempStateDirectory();
        // A lab that had failed over: eu-central-1 primary, eu-west-3 fenced, sync replication.
        File.WriteAllText(Path.Combine(dir.Path, "lab.json"), """
            { "version": 1, "replicationMode": "sync",
              "regions": { "eu-west-3": { "name": "eu-west-3", "role": "fenced" }, "eu-central-1": { "name": "eu-central-1", "role": "primary" } } }
            """);
        using var store = StateStore.Open(dir.Path, new FakeTimeProvider());
        var topology = new LegacyRoleImport(new StoreTopology(() => store, Regions, "eu-west-3"), new LabPaths(dir.Path));

        var snapshot = await topology.GetAsync(CancellationToken.None);

        Assert.Equal("eu-central-1", snapshot.Primary);
        Assert.Equal(RegionRole.Fenced, snapshot.Roles["eu-west-3"]);
        Assert.Equal(ReplicationMode.Sync, snapshot.ReplicationMode);
        // Imported once, into the store: a plain store reader sees them too.
        Assert.Equal("eu-central-1", (await new StoreTopology(() => store, Regions, "eu-west-3").GetAsync(CancellationToken.None)).Primary);
    }

    [Fact]
    public async Task Roles_already_in_the_store_win_over_lab_json()
    {
        using var dir = new TempStateDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "lab.json"), """{ "regions": { "eu-west-3": { "role": "fenced" }, "eu-central-1": { "role": "primary" } } }""");
        using var store = StateStore.Open(dir.Path, new FakeTimeProvider());
        var inner = new StoreTopology(() => store, Regions, "eu-west-3");
        await inner.RecordAsync(new Dictionary<string, RegionRole> { ["eu-west-3"] = RegionRole.Primary, ["eu-central-1"] = RegionRole.Standby }, ReplicationMode.Async, CancellationToken.None);

        var snapshot = await new LegacyRoleImport(inner, new LabPaths(dir.Path)).GetAsync(CancellationToken.None);

        Assert.Equal("eu-west-3", snapshot.Primary);
    }
}
