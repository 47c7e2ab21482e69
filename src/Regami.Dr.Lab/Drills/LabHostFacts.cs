using System.Runtime.InteropServices;
using Regami.Dr.Core.Drills;

namespace Regami.Dr.Lab.Drills;

/// <summary>This process's runtime, OS and machine, for the drill report.</summary>
public sealed class LabHostFacts : IDrillHostFacts
{
    public DrillEnvironment Describe(string? postgresVersion) => new(
        typeof(LabHostFacts).Assembly.GetName().Version?.ToString() ?? "0",
        postgresVersion,
        RuntimeInformation.FrameworkDescription,
        Environment.MachineName,
        RuntimeInformation.OSDescription,
        Environment.ProcessorCount);
}
