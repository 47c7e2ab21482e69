using System.Diagnostics;
using System.Text;

namespace Regami.Dr.Lab.Processes;

/// <summary>The result of an external program that ran to completion.</summary>
public sealed record CommandResult(string Command, int ExitCode, string StandardOutput, string StandardError, TimeSpan Duration);

/// <summary>An external program failed: carries the command line and the program's own words.</summary>
public sealed class CommandFailedException(CommandResult result)
    : Core.Providers.ProviderException($"`{result.Command}` exited {result.ExitCode}: {FirstLines(result.StandardError.Length > 0 ? result.StandardError : result.StandardOutput)}")
{
    public CommandResult Result { get; } = result;
    private static string FirstLines(string text) => string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(4));
}

/// <summary>
/// Runs programs to completion. PostgreSQL refuses to run as root, so when we are root its
/// programs are run as the <c>postgres</c> system user through <c>runuser</c>.
/// </summary>
public sealed class CommandRunner(bool runPostgresAsPostgresUser)
{
    public bool RunsAsPostgresUser { get; } = runPostgresAsPostgresUser;

    public Task<CommandResult> RunPostgresAsync(string program, IEnumerable<string> args, TimeSpan timeout, CancellationToken ct, bool check = true)
    {
        var argList = args.ToList();
        return RunsAsPostgresUser
            ? RunAsync("runuser", ["-u", "postgres", "--", program, .. argList], timeout, ct, check)
            : RunAsync(program, argList, timeout, ct, check);
    }

    public async Task<CommandResult> RunAsync(string program, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct, bool check = true)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            // runuser and the server binaries must not inherit a cwd postgres cannot enter (e.g. /root).
            WorkingDirectory = "/",
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var display = string.Join(' ', new[] { program }.Concat(args).Select(Quote));
        var sw = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CommandFailedException(new CommandResult(display, 127, "", $"cannot start {program}: {e.Message}", sw.Elapsed));
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutCts.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            if (ct.IsCancellationRequested) throw;
            throw new CommandFailedException(new CommandResult(display, -1, stdout.ToString(), $"timed out after {timeout.TotalSeconds:0.#} s. {stderr}", sw.Elapsed));
        }
        process.WaitForExit(); // flush async readers
        var result = new CommandResult(display, process.ExitCode, stdout.ToString(), stderr.ToString(), sw.Elapsed);
        if (check && result.ExitCode != 0) throw new CommandFailedException(result);
        return result;
    }

    private static string Quote(string s) => s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./=:,@".Contains(c)) ? s : $"'{s.Replace("'", "'\\''")}'";
}
