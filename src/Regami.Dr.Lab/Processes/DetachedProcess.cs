using System.Diagnostics;
using Regami.Dr.Core.Polling;

namespace Regami.Dr.Lab.Processes;

/// <summary>
/// Starts long-lived lab processes (API instances, load balancers, DNS server) so that they
/// outlive the command that started them: new session (setsid), stdin from /dev/null, output
/// appended to a log file. Returns the pid, which the lab state records at once.
/// </summary>
public static class DetachedProcess
{
    public static int Start(string program, IReadOnlyList<string> args, string logFile, IReadOnlyDictionary<string, string>? environment = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        // `sh -c '... & echo $!'`: the background child is not a group leader, so setsid execs in
        // place and $! is the pid of the real program.
        var command = string.Join(' ', new[] { program }.Concat(args).Select(ShellQuote));
        var script = $"setsid {command} </dev/null >>{ShellQuote(logFile)} 2>&1 & echo $!";
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = "/" };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        // From "/", .NET's default host would watch its content root for configuration changes, recursively: over the
        // whole file system that is ≈ 2.5 s of CPU at every start of an API instance, load balancer, DNS server or
        // controller (measured on the lab: 3.4–3.8 s to a healthy /health from "/", 1.1–1.2 s without the watch).
        // These daemons take their configuration from arguments and the state directory, never from files that change.
        psi.Environment["DOTNET_hostBuilder__reloadConfigOnChange"] = "false";
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var sh = Process.Start(psi) ?? throw new InvalidOperationException("cannot start /bin/sh");
        var output = sh.StandardOutput.ReadToEnd();
        sh.WaitForExit();
        if (!int.TryParse(output.Trim(), out var pid))
            throw new InvalidOperationException($"could not start {program}: {output}");
        return pid;
    }

    /// <summary>SIGTERM, wait up to <paramref name="grace"/>, then SIGKILL. True when it is gone.</summary>
    public static async Task<bool> StopAsync(int pid, TimeSpan grace, CancellationToken ct)
    {
        if (!Posix.IsAlive(pid)) return true;
        Posix.Signal(pid, Posix.SIGCONT); // a stopped (SIGSTOP) process cannot act on SIGTERM
        Posix.Signal(pid, Posix.SIGTERM);
        if (await WaitGoneAsync(pid, grace, ct)) return true;
        Posix.Signal(pid, Posix.SIGKILL);
        return await WaitGoneAsync(pid, TimeSpan.FromSeconds(2), ct);
    }

    private static Task<bool> WaitGoneAsync(int pid, TimeSpan timeout, CancellationToken ct) =>
        Poll.UntilAsync(_ => Task.FromResult(!Posix.IsAlive(pid)), timeout, TimeSpan.FromMilliseconds(50), TimeProvider.System, ct);

    public static string ShellQuote(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./=:,@".Contains(c)) ? s : $"'{s.Replace("'", "'\\''")}'";
}
