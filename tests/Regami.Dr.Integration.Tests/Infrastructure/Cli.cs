using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Regami.Dr.Integration.Tests.Infrastructure;

public sealed record CliResult(int ExitCode, string StandardOutput, string StandardError)
{
    public JsonElement Json => JsonDocument.Parse(StandardOutput).RootElement;
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";
}

/// <summary>Runs the real `regami-dr` program (the CLI project's build output) as a separate process.</summary>
public static class CliProcess
{
    public static string RepoRoot { get; } = FindRepoRoot();

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static string CliDirectory => Path.Combine(RepoRoot, "src", "Regami.Dr.Cli", "bin", Configuration, "net10.0");
    public static string CliDll => Path.Combine(CliDirectory, "regami-dr.dll");

    public static async Task<CliResult> RunAsync(IEnumerable<string> args, TimeSpan? timeout = null, string? runAsUser = null,
        IReadOnlyDictionary<string, string>? env = null, string? cliDll = null)
    {
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var psi = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (runAsUser is not null)
        {
            psi.FileName = "runuser";
            foreach (var a in new[] { "-u", runAsUser, "--", dotnet }) psi.ArgumentList.Add(a);
        }
        else psi.FileName = dotnet;
        psi.ArgumentList.Add(cliDll ?? CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["COLUMNS"] = "200";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;

        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"regami-dr {string.Join(' ', psi.ArgumentList)} did not finish in time; stderr so far: {await stderr}");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "RegamiDr.slnx"))) return d.FullName;
        throw new InvalidOperationException("cannot find the repository root (RegamiDr.slnx) above " + AppContext.BaseDirectory);
    }
}

/// <summary>Polls a condition until it holds or a deadline passes (never a fixed sleep).</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it is true; throws naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        HoldsAsync(condition, ok => ok, timeout, what);

    public static async Task<T> HoldsAsync<T>(Func<Task<T>> probe, Func<T, bool> until, TimeSpan within, string what)
    {
        var sw = Stopwatch.StartNew();
        T last = await probe();
        while (!until(last))
        {
            if (sw.Elapsed > within) throw new TimeoutException($"{what}: not true within {within.TotalSeconds:0.#} s; last value: {Describe(last)}");
            await Task.Delay(200);
            last = await probe();
        }
        return last;
    }

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        CliResult r => r.ToString(),
        _ => value.ToString() ?? "",
    };
}
