using System.Runtime.InteropServices;

namespace Regami.Dr.Lab.Processes;

/// <summary>The few POSIX calls .NET does not expose: signals other than SIGKILL, and the effective uid.</summary>
public static partial class Posix
{
    public const int SIGKILL = 9, SIGTERM = 15, SIGCONT = 18, SIGSTOP = 19, SIGINT = 2;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int sig);

    /// <summary>Gives a path to the postgres system user (as root, PostgreSQL and its tools run as postgres).</summary>
    public static void ChownToPostgres(string path, bool recursive)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("chown") { UseShellExecute = false, RedirectStandardError = true };
        if (recursive) psi.ArgumentList.Add("-R");
        psi.ArgumentList.Add("postgres:postgres");
        psi.ArgumentList.Add(path);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new State.LabException($"chown postgres {path} failed: {err.Trim()}");
    }

    /// <summary>Effective uid 0 (.NET answers it from geteuid).</summary>
    public static bool IsRoot => Environment.IsPrivilegedProcess;

    /// <summary>Sends a signal; false when the process does not exist (or is not ours).</summary>
    public static bool Signal(int pid, int signal) => pid > 0 && SysKill(pid, signal) == 0;

    public static bool Exists(int pid) => pid > 0 && (SysKill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1 /* EPERM: exists, not ours */);

    /// <summary>Process state letter from /proc (R, S, T = stopped, Z = zombie...), null when gone.</summary>
    public static char? State(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length ? stat[close + 2] : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Alive = exists and not a zombie.</summary>
    public static bool IsAlive(int pid) => State(pid) is { } s && s != 'Z' && s != 'X';

    public static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim(); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }
}
