namespace Regami.Dr.Core.Ports;

/// <summary>
/// Facts about the host and process Core runs in. Core does no I/O, so it asks this port instead
/// of <c>Environment</c>: the runbook journal and lease record the process, the drill report the
/// machine. Tests can pass fixed values.
/// </summary>
public interface IHostFacts
{
    int ProcessId { get; }

    string MachineName { get; }

    string UserName { get; }
}
