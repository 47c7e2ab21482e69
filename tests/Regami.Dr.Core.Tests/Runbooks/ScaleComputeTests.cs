using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Tests.Drills;

namespace Regami.Dr.Core.Tests.Runbooks;

/// <summary>scale-compute moves on once compute.readyInstances are healthy; the rest join as they start.</summary>
public sealed class ScaleComputeTests
{
    private readonly FakeRegions regions = new(TimeProvider.System);

    private RunbookStep ScaleCompute() =>
        FailoverRunbook.Build(FakeRegions.Home, FakeRegions.Away, force: false, new DrPorts(regions, regions, regions, regions, regions), new FailoverPolicy())
            .Steps.Single(s => s.Name == FailoverRunbook.StepNames.ScaleCompute);

    private static RunbookContext Context => new("r", new Dictionary<string, string>(), TimeProvider.System);

    [Fact]
    public async Task One_healthy_instance_of_two_is_enough_when_ready_instances_is_one()
    {
        regions.ReadyInstances = 1;
        regions.Regions[FakeRegions.Away].HealthyAtMost = 1; // the second still boots

        var detail = await ScaleCompute().Execute(Context, default).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, regions.Regions[FakeRegions.Away].Instances); // asked for the full active count
        Assert.Contains("1 of 2 healthy, load balancer healthy; the rest join as they start", detail);
    }

    [Fact]
    public async Task At_full_capacity_it_waits_for_every_active_instance()
    {
        regions.ReadyInstances = 2;
        regions.Regions[FakeRegions.Away].HealthyAtMost = 1;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(600));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ScaleCompute().Execute(Context, cts.Token));

        regions.Regions[FakeRegions.Away].HealthyAtMost = null;
        Assert.Contains("2 of 2 healthy, load balancer healthy", await ScaleCompute().Execute(Context, default).WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task It_is_already_done_only_once_the_full_count_is_asked_for_and_enough_are_healthy()
    {
        regions.ReadyInstances = 1;
        regions.Regions[FakeRegions.Away].Instances = 1; // a warm standby: one healthy instance, desired 1
        Assert.Null(await ScaleCompute().AlreadyDone!(Context, default));

        regions.Regions[FakeRegions.Away].Instances = 2;
        regions.Regions[FakeRegions.Away].HealthyAtMost = 1;
        Assert.Equal("1 of 2 instances healthy already", await ScaleCompute().AlreadyDone!(Context, default));
    }
}
