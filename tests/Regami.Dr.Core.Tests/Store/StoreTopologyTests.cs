using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Topology;
using Regami.Dr.Store;

namespace Regami.Dr.Core.Tests.Store;

public sealed class StoreTopologyTests
{
    private static readonly string[] Regions = ["eu-west-3", "eu-central-1"];

    [Fact]
    public async Task Roles_recorded_at_creation_are_read_back_and_change_one_region_at_a_time()
    {
        using var dir = new TempStateDirectory();
        using var store = StateStore.Open(dir.Path, new FakeTimeProvider());
        var topology = new StoreTopology(() => store, Regions, "eu-west-3");
        await topology.RecordAsync(new Dictionary<string, RegionRole> { ["eu-west-3"] = RegionRole.Primary, ["eu-central-1"] = RegionRole.Standby },
            ReplicationMode.Sync, CancellationToken.None);

        await topology.SetRoleAsync("eu-west-3", RegionRole.Fenced, CancellationToken.None);
        await topology.SetRoleAsync("eu-central-1", RegionRole.Primary, CancellationToken.None);

        // Another process (the controller, the next command) sees the same roles through its own store.
        using var other = StateStore.Open(dir.Path, new FakeTimeProvider());
        var snapshot = await new StoreTopology(() => other, Regions, "eu-west-3").GetAsync(CancellationToken.None);
        Assert.Equal(RegionRole.Fenced, snapshot.Roles["eu-west-3"]);
        Assert.Equal("eu-central-1", snapshot.Primary);
        Assert.Null(snapshot.Standby);
        Assert.Equal(ReplicationMode.Sync, snapshot.ReplicationMode);
        Assert.Equal("eu-west-3", snapshot.HomeRegion);
    }

    [Fact]
    public async Task A_store_with_no_recorded_roles_says_unknown_not_a_guess()
    {
        using var dir = new TempStateDirectory();
        using var store = StateStore.Open(dir.Path, new FakeTimeProvider());
        var snapshot = await new StoreTopology(() => store, Regions, "eu-west-3").GetAsync(CancellationToken.None);
        Assert.All(snapshot.Roles.Values, r => Assert.Equal(RegionRole.Unknown, r));
        Assert.Null(snapshot.Primary);
    }

    [Fact]
    public async Task An_unknown_region_is_refused()
    {
        using var dir = new TempStateDirectory();
        using var store = StateStore.Open(dir.Path, new FakeTimeProvider());
        var topology = new StoreTopology(() => store, Regions, "eu-west-3");
        await Assert.ThrowsAsync<ArgumentException>(() => topology.SetRoleAsync("us-east-1", RegionRole.Primary, CancellationToken.None));
    }
}
