namespace Regami.Dr.Core.Drills;

/// <summary>What the drill ran on (versions, machine, OS), for the report: host facts stay out of Core.</summary>
public interface IDrillHostFacts : Ports.IHostFacts
{
    DrillEnvironment Describe(string? postgresVersion);
}
