using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Tests.Drills;

namespace Regami.Dr.Core.Tests.Runbooks;

public sealed class FailbackRunbookTests
{
    [Fact]
    public void The_home_regions_compute_is_asked_for_first_and_takes_traffic_only_after_the_single_writer_assertion()
    {
        var regions = new FakeRegions(TimeProvider.System);
        var steps = FailbackRunbook.Build(FakeRegions.Home, FakeRegions.Away, new DrPorts(regions, regions, regions, regions, regions), new FailoverPolicy())
            .Steps.ToList();
        var names = steps.Select(s => s.Name).ToList();

        Assert.Equal(FailoverRunbook.StepNames.StartCompute, names[0]);
        Assert.Equal(FakeRegions.Home, steps[0].Region);
        Assert.Contains("while its database is rebuilt", steps[0].Description);
        Assert.Equal(FailbackRunbook.StepNames.RebuildAsStandby, names[1]);
        Assert.True(names.IndexOf(SwitchoverRunbook.StepNames.AssertSingleWriter) < names.IndexOf(SwitchoverRunbook.StepNames.MoveTraffic));
        Assert.Equal(names.Count, names.Distinct().Count()); // journal names stay unique
    }
}
