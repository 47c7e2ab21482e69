using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Regami.Dr.Aws.Tests.Moto;

/// <summary>
/// Runs the AWS CLI v2 against moto for tests (setting up an estate, asserting what the provider
/// did): <c>aws ARGS --endpoint-url E --output json --no-cli-pager --region R</c>, arguments
/// through <see cref="ProcessStartInfo.ArgumentList"/> (no shell), dummy credentials, and none of
/// the developer's own AWS configuration (every <c>AWS_*</c> variable is dropped and the config
/// and credentials files are empty ones). Returns the parsed JSON output.
/// </summary>
/// <remarks>
/// Each call is a Python process: ≈ 0.4–1.3 s, about one CPU-second. Run independent calls side by
/// side (<see cref="Task.WhenAll(Task[])"/>).
/// </remarks>
public sealed class AwsCliRunner
{
    /// <summary>Where Debian's <c>awscli</c> package puts the v2 CLI. A Python v1 <c>aws</c> may come first on PATH, so the path is explicit.</summary>
    public const string DefaultCliPath = "/usr/bin/aws";

    public const string AccessKeyId = "testing";
    public const string SecretAccessKey = "testing";

    // Values never to show in an error message (the argument after these flags).
    private static readonly HashSet<string> SecretFlags = new(StringComparer.Ordinal) { "--master-user-password" };

    // Empty config and credentials files, one pair per test process.

    /// <param name="endpoint">moto's endpoint (<see cref="MotoServer.Endpoint"/>).</param>
    /// <param name="cliPath">The CLI; default env AWS_CLI_V2, else <see cref="DefaultCliPath"/>.</param>
    /// <param name="callTimeout">How long one call may take before its process is killed (default 60 s).</param>
    public AwsCliRunner(Uri endpoint, string? cliPath = null, TimeSpan? callTimeout = null)
    {
        TestAwsEnvironment.Apply();
        Endpoint = endpoint;
        CliPath = cliPath ?? FindCli();
        CallTimeout = callTimeout ?? TimeSpan.FromSeconds(60);
        server = Servers.GetOrAdd(CliPath, path => new Lazy<Regami.Dr.Aws.Cli.LongLivedCliTransport?>(() => Regami.Dr.Aws.Cli.LongLivedCliTransport.For(path)));
    }

    public Uri Endpoint { get; }

    /// <summary>The CLI's own driver kept running, when the CLI is Debian's Python one; else each call starts `aws`.</summary>
    private readonly Lazy<Regami.Dr.Aws.Cli.LongLivedCliTransport?> server;

    /// <summary>One pool of kept-running CLIs per binary for the whole test run (they end with the test process: their stdin closes).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Regami.Dr.Aws.Cli.LongLivedCliTransport?>> Servers = new();

    public string CliPath { get; }

    public TimeSpan CallTimeout { get; }

    /// <summary>Env AWS_CLI_V2, else <see cref="DefaultCliPath"/>, whether or not it exists (what a configuration names).</summary>
    public static string ConfiguredCliPath =>
        Environment.GetEnvironmentVariable("AWS_CLI_V2") is { Length: > 0 } configured ? configured : DefaultCliPath;

    /// <summary><see cref="ConfiguredCliPath"/>; throws with the install line when it does not exist.</summary>
    public static string FindCli()
    {
        var path = ConfiguredCliPath;
        return File.Exists(path) ? path
            : throw new InvalidOperationException(
                $"AWS CLI v2 not found at {path}: install the Debian package awscli (apt-get install -y --no-install-recommends awscli) or set AWS_CLI_V2");
    }

    /// <summary>Runs <c>aws ARGS</c> in <paramref name="region"/>; see <see cref="RunAsync(string, IReadOnlyList{string}, CancellationToken)"/>.</summary>
    public Task<JsonNode> RunAsync(string region, params string[] args) => RunAsync(region, args, CancellationToken.None);

    /// <summary>
    /// Runs <c>aws ARGS</c> in <paramref name="region"/> and returns its JSON output (an empty
    /// object for commands that print nothing, e.g. <c>cloudwatch put-metric-data</c> or an
    /// empty <c>sqs receive-message</c>). Throws <see cref="AwsCliException"/> with the CLI's
    /// stderr when it exits non-zero, <see cref="TimeoutException"/> after <see cref="CallTimeout"/>.
    /// </summary>
    public async Task<JsonNode> RunAsync(string region, IReadOnlyList<string> args, CancellationToken ct)
    {
        if (server.Value is { } transport)
        {
            // The same CLI v2, kept running: the estate's ~22 calls no longer pay its start-up each.
            var all = args.Concat(["--endpoint-url", Endpoint.GetLeftPart(UriPartial.Authority), "--output", "json", "--no-cli-pager", "--region", region]).ToList();
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(CallTimeout);
            Regami.Dr.Aws.Cli.CliRun run;
            try { run = await transport.RunAsync(all, limit.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"`{Describe(region, args)}` did not finish within {CallTimeout.TotalSeconds} s");
            }
            if (run.ExitCode != 0) throw new AwsCliException(Describe(region, args), run.ExitCode, run.Stderr.Trim());
            return string.IsNullOrWhiteSpace(run.Stdout) ? new JsonObject() : JsonNode.Parse(run.Stdout) ?? new JsonObject();
        }
        var info = StartInfo(region, args);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {CliPath}");
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CallTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* just exited */ }
            await process.WaitForExitAsync(CancellationToken.None);
            ct.ThrowIfCancellationRequested();
            throw new TimeoutException($"`{Describe(region, args)}` did not finish within {CallTimeout.TotalSeconds} s");
        }
        var output = await stdout;
        var errors = await stderr;
        if (process.ExitCode != 0) throw new AwsCliException(Describe(region, args), process.ExitCode, errors.Trim());
        return string.IsNullOrWhiteSpace(output) ? new JsonObject() : JsonNode.Parse(output) ?? new JsonObject();
    }

    private ProcessStartInfo StartInfo(string region, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo(CliPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var arg in new[] { "--endpoint-url", Endpoint.GetLeftPart(UriPartial.Authority), "--output", "json", "--no-cli-pager", "--region", region })
            info.ArgumentList.Add(arg);

        // The test process's AWS environment (dummy credentials, none of the developer's set-up): one definition, TestAwsEnvironment.
        foreach (var (key, value) in TestAwsEnvironment.Variables()) info.Environment[key] = value;
        return info;
    }

    /// <summary>The command as text for messages, secrets replaced by <c>***</c>.</summary>
    private static string Describe(string region, IReadOnlyList<string> args)
    {
        var shown = new List<string>(args.Count);
        for (var i = 0; i < args.Count; i++)
            shown.Add(i > 0 && SecretFlags.Contains(args[i - 1]) ? "***" : args[i]);
        return $"aws {string.Join(' ', shown)} --region {region}";
    }
}

/// <summary>The AWS CLI exited non-zero; <see cref="Stderr"/> holds its error (e.g. <c>An error occurred (DBInstanceNotFound) …</c>).</summary>
public sealed class AwsCliException(string command, int exitCode, string stderr)
    : Exception($"`{command}` exited with code {exitCode}: {stderr}")
{
    public string Command { get; } = command;
    public int ExitCode { get; } = exitCode;
    public string Stderr { get; } = stderr;
}
