namespace Regami.Dr.Core.Topology;

/// <summary>The plan's data residency: the EU regions, where every region of the estate must be.</summary>
public static class Residency
{
    public static readonly IReadOnlyList<string> EuRegions =
        ["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2"];
}
