using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Regami.Dr.Aws.Cli;

/// <summary>What one CLI invocation gave back. Stderr is for the error line only: never printed or stored whole.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr, string? RequestId);

/// <summary>How a command line reaches the AWS CLI. Cancelling the token kills what runs the call.</summary>
public interface IAwsCliTransport : IDisposable
{
    /// <summary>"process" or "server", for the announcement and the benchmarks.</summary>
    string Mode { get; }

    Task<CliRun> RunAsync(IReadOnlyList<string> args, CancellationToken ct);

    /// <summary>The CLI's version line (aws-cli/2.9.19 …) as this transport can tell it cheaply; null = ask `aws --version`.</summary>
    Task<string?> VersionAsync(CancellationToken ct);
}

/// <summary>Which transport <c>aws.cliMode</c> asks for.</summary>
public static class AwsCliTransports
{
    /// <summary>
    /// <c>server</c>: the CLI's own driver kept running (needs a CLI that is a Python script, as
    /// Debian's awscli is); <c>process</c>: one process per call (any CLI v2, e.g. AWS's bundled
    /// installer); <c>auto</c>: server when the CLI allows it, else process.
    /// </summary>
    public static IAwsCliTransport Create(string mode, AwsCliBinary binary) => mode switch
    {
        "process" => new ProcessPerCallTransport(binary.Path),
        "server" => LongLivedCliTransport.For(binary.Path) ?? throw new Core.Providers.ProviderException(
            $"aws.cliMode: server needs an AWS CLI that runs on Python (Debian's awscli); {binary.Path} is not one — use cliMode: process") { ExitCode = 2 },
        _ => (IAwsCliTransport?)LongLivedCliTransport.For(binary.Path) ?? new ProcessPerCallTransport(binary.Path),
    };
}

/// <summary>
/// One `aws` process per call: simple and works with any CLI v2 build, but every call pays the
/// CLI's start-up (≈ 0.5–1.5 s on our machines, see bench/RESULTS.md). <c>--debug</c> is on only
/// so AWS's request id can be read from the response headers in stderr.
/// </summary>
public sealed partial class ProcessPerCallTransport(string path) : IAwsCliTransport
{
    public string Mode => "process";

    public async Task<CliRun> RunAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--debug");
        psi.Environment["AWS_PAGER"] = "";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {path}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        var errors = await stderr;
        return new CliRun(process.ExitCode, await stdout, errors, RequestIds().Matches(errors).LastOrDefault()?.Groups[1].Value);
    }

    public void Dispose() { }

    public Task<string?> VersionAsync(CancellationToken ct) => Task.FromResult<string?>(null);

    // --debug prints the response headers as a Python dict: {'x-amzn-requestid': '…'} (RDS, Route 53, ECS, SNS…) or 'x-amz-request-id' (S3).
    [GeneratedRegex(@"'x-amzn?-request-?id': '([^']+)'", RegexOptions.IgnoreCase)]
    private static partial Regex RequestIds();
}

/// <summary>
/// The AWS CLI v2's own driver (<c>awscli.clidriver</c>), started once by the interpreter of the
/// installed <c>aws</c> script and fed one command line per call over stdin (see
/// aws_cli_server.py): the same argument parsing, signing and error handling as the `aws`
/// command, without its start-up on every call. A small pool serves parallel calls; a call that
/// times out kills its process, and the next call starts a fresh one. Request ids come from the
/// CLI's own after-call event, not from debug output.
/// </summary>
public sealed class LongLivedCliTransport : IAwsCliTransport
{
    private const int PoolSize = 3;
    private readonly string interpreter;
    private readonly Lazy<string> script;
    private readonly SemaphoreSlim slots = new(PoolSize, PoolSize);
    private readonly Stack<ServerProcess> idle = new();
    private readonly List<ServerProcess> all = [];
    private int nextId;

    private LongLivedCliTransport(string interpreter)
    {
        this.interpreter = interpreter;
        script = new Lazy<string>(WriteScript);
    }

    public string Mode => "server";

    /// <summary>The transport for <paramref name="cliPath"/> when it is a Python script importing awscli.clidriver; else null.</summary>
    public static LongLivedCliTransport? For(string cliPath)
    {
        try
        {
            using var reader = new StreamReader(cliPath);
            var first = reader.ReadLine() ?? "";
            if (!first.StartsWith("#!", StringComparison.Ordinal) || !first.Contains("python", StringComparison.Ordinal)) return null;
            var rest = reader.ReadToEnd();
            if (!rest.Contains("awscli.clidriver", StringComparison.Ordinal)) return null;
            var parts = first[2..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // "#!/usr/bin/env python3" names the interpreter second.
            var interpreter = parts.Length > 1 && parts[0].EndsWith("/env", StringComparison.Ordinal) ? parts[1] : parts[0];
            return new LongLivedCliTransport(interpreter);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The driver reports its version when it starts: one server is started (and kept) to ask it.</summary>
    public async Task<string?> VersionAsync(CancellationToken ct)
    {
        await slots.WaitAsync(ct);
        try
        {
            ServerProcess? server;
            lock (idle) server = idle.Count > 0 ? idle.Peek() : null;
            if (server is null)
            {
                server = await StartAsync(ct);
                lock (idle) idle.Push(server);
            }
            return server.Version;
        }
        finally { slots.Release(); }
    }

    public async Task<CliRun> RunAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        await slots.WaitAsync(ct);
        ServerProcess? server = null;
        try
        {
            lock (idle) server = idle.Count > 0 ? idle.Pop() : null;
            server ??= await StartAsync(ct);
            var id = Interlocked.Increment(ref nextId);
            var request = new JsonObject { ["id"] = id, ["args"] = new JsonArray([.. args.Select(a => (JsonNode)a!)]) };
            CliRun run;
            try
            {
                run = await server.AskAsync(request.ToJsonString(), ct);
            }
            catch
            {
                // Timed out or broken: this process may be stuck mid-call; never reuse it.
                server.Kill();
                server = null;
                throw;
            }
            lock (idle) idle.Push(server);
            server = null;
            return run;
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task<ServerProcess> StartAsync(CancellationToken ct)
    {
        var psi = new ProcessStartInfo(interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add(script.Value);
        psi.Environment["AWS_PAGER"] = "";
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {interpreter}");
        // Drain stderr so the pipe never fills; it is not used (every call's stderr comes back in its response).
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var server = new ServerProcess(process);
        lock (all) all.Add(server);
        var ready = await process.StandardOutput.ReadLineAsync(ct);
        if (ready is null || !ready.Contains("\"ready\"", StringComparison.Ordinal))
        {
            server.Kill();
            throw new InvalidOperationException($"the AWS CLI driver did not start under {interpreter}");
        }
        server.Version = JsonNode.Parse(ready)?["version"]?.GetValue<string>();
        return server;
    }

    private static string WriteScript()
    {
        using var resource = typeof(LongLivedCliTransport).Assembly.GetManifestResourceStream("Regami.Dr.Aws.aws_cli_server.py")
            ?? throw new InvalidOperationException("aws_cli_server.py is not embedded");
        var path = Path.Combine(Path.GetTempPath(), $"regami-dr-aws-cli-{Environment.ProcessId}-{Guid.NewGuid():N}.py");
        using (var f = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            resource.CopyTo(f);
        return path;
    }

    public void Dispose()
    {
        lock (all) foreach (var s in all) s.Kill();
        if (script.IsValueCreated) File.Delete(script.Value);
    }

    private sealed class ServerProcess(Process process)
    {
        public string? Version { get; set; }

        public async Task<CliRun> AskAsync(string request, CancellationToken ct)
        {
            await process.StandardInput.WriteLineAsync(request.AsMemory(), ct);
            await process.StandardInput.FlushAsync(ct);
            var line = await process.StandardOutput.ReadLineAsync(ct) ?? throw new IOException("the AWS CLI driver exited");
            var r = JsonNode.Parse(line)!;
            return new CliRun(r["rc"]?.GetValue<int>() ?? 255, r["stdout"]?.GetValue<string>() ?? "", r["stderr"]?.GetValue<string>() ?? "",
                r["requestIds"]?.AsArray().LastOrDefault()?.GetValue<string>());
        }

        public void Kill()
        {
            try { if (!process.HasExited) process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.Dispose();
        }
    }
}
