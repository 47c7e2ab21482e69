using Regami.Dr.Core.Ports;

namespace Regami.Dr.Store;

/// <summary>
/// The host facts of this process, read from <see cref="Environment"/>. In Store because both
/// the controller (Server) and the command (Cli) reference it, and Core may not read them.
/// </summary>
public sealed class ProcessHostFacts : IHostFacts
{
    public static readonly ProcessHostFacts Current = new();

    private ProcessHostFacts() { }

    public int ProcessId => Environment.ProcessId;

    public string MachineName => Environment.MachineName;

    public string UserName => Environment.UserName;

    /// <summary>Whether this process runs as root (the state directory defaults differ).</summary>
    public static bool IsRoot => Environment.IsPrivilegedProcess;
}
