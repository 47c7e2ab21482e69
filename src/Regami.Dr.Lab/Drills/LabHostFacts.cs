using System.Runtime.InteropServices;
using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Ports;

namespace Regami.Dr.Lab.Drills;

/// <summary>This process's runtime, OS and machine, for the drill report; the process facts come from the one host-facts port.</summary>
public sealed class LabHostFacts(IHostFacts process) : IDrillHostFacts
{
    public int ProcessId => process.ProcessId;
    public string MachineName => process.MachineName;
    public string UserName => process.UserName;

    public DrillEnvironment Describe(string? postgresVersion) => new(
        typeof(LabHostFacts).Assembly.GetName().Version?.ToString() ?? "0",
        postgresVersion,
        RuntimeInformation.FrameworkDescription,
        process.MachineName,
        RuntimeInformation.OSDescription,
        Environment.ProcessorCount);
}
