namespace Regami.Dr.Store;

/// <summary>Facts about the host the state lives on.</summary>
public static class HostFacts
{
    /// <summary>Whether this process runs as root (the state directory defaults differ).</summary>
    public static bool IsRoot => Environment.IsPrivilegedProcess;
}
