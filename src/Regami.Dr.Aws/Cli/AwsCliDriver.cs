using System.Diagnostics;
using System.Text.Json.Nodes;
using Polly;
using Polly.Retry;
using Regami.Dr.Core.Providers;

namespace Regami.Dr.Aws.Cli;

/// <summary>
/// Drives AWS CLI v2: <c>--output json --no-cli-pager --region R</c>, the request in a 0600
/// temporary file passed with <c>--cli-input-json</c> (nothing from the request on the command
/// line, no secret anywhere), the CLI's standard credential chain. Each attempt has the call
/// timeout; throttling, 5xx and unreachable endpoints are retried with exponential backoff
/// (Polly). How the command line reaches the CLI is the transport's business: a process per call,
/// or the CLI's own driver kept running (<see cref="LongLivedCliTransport"/>).
/// </summary>
public sealed class AwsCliDriver : IAwsApi, IDisposable
{
    private readonly AwsCliBinary binary;
    private readonly IAwsCliTransport transport;
    private readonly AwsCliSettings settings;
    private readonly IAwsCallObserver? observer;
    private readonly ResiliencePipeline retry;
    private readonly TimeProvider time;

    public AwsCliDriver(AwsCliBinary binary, IAwsCliTransport transport, AwsCliSettings settings, TimeProvider time, IAwsCallObserver? observer = null, int maxRetryAttempts = 3, TimeSpan? retryDelay = null)
    {
        this.binary = binary;
        this.transport = transport;
        this.settings = settings;
        this.observer = observer;
        this.time = time;
        retry = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<AwsServiceException>(e => e.IsTransient),
                MaxRetryAttempts = Math.Max(1, maxRetryAttempts),
                Delay = retryDelay ?? TimeSpan.FromMilliseconds(500),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();
    }

    public AwsCliSettings Settings => settings;

    public string TransportMode => transport.Mode;

    public void Dispose() => transport.Dispose();

    public async Task<AwsResponse> CallAsync(AwsCall call, CancellationToken ct)
    {
        await binary.EnsureUsableAsync(transport, ct);
        var started = time.GetTimestamp();
        try
        {
            var response = await retry.ExecuteAsync(async token => await AttemptAsync(call, token), ct);
            if (observer is not null) await observer.ObservedAsync(call, response, null, time.GetElapsedTime(started), ct);
            return response;
        }
        catch (AwsServiceException e)
        {
            if (observer is not null) await observer.ObservedAsync(call, null, e, time.GetElapsedTime(started), CancellationToken.None);
            throw;
        }
    }

    private async Task<AwsResponse> AttemptAsync(AwsCall call, CancellationToken ct)
    {
        var inputFile = Path.Combine(Path.GetTempPath(), $"regami-dr-aws-{Guid.NewGuid():N}.json");
        // Owner-only from the first byte: the request may name resources an SRE considers sensitive.
        await using (var f = new FileStream(inputFile, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        await using (var w = new StreamWriter(f))
            await w.WriteAsync(call.InputJson);
        try
        {
            var args = new List<string> { call.Service, call.Operation, "--region", call.Region, "--output", "json", "--no-cli-pager", "--cli-input-json", "file://" + inputFile };
            if (settings.Profile.Length > 0) args.AddRange(["--profile", settings.Profile]);
            if (settings.EndpointUrl.Length > 0) args.AddRange(["--endpoint-url", settings.EndpointUrl]);

            var started = time.GetTimestamp();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(settings.CallTimeout);
            CliRun run;
            try
            {
                run = await transport.RunAsync(args, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new AwsServiceException(call, AwsFailureKind.Timeout, "CallTimeout",
                    $"{call.ApiName} did not answer within {settings.CallTimeout.TotalSeconds:0.#} s (aws.callTimeout); the call was killed and its effect is unknown");
            }
            var duration = time.GetElapsedTime(started);
            if (run.ExitCode != 0) throw AwsServiceException.FromCli(call, run.ExitCode, run.Stderr, run.RequestId);
            return new AwsResponse(run.Stdout.Trim().Length == 0 ? null : JsonNode.Parse(run.Stdout), run.RequestId, duration);
        }
        finally
        {
            File.Delete(inputFile);
        }
    }

}

/// <summary>
/// The AWS CLI binary this installation uses: the configured path, else /usr/bin/aws (Debian's
/// awscli, v2). Never "the first aws on PATH": a Python v1 CLI is often there first. Checked once:
/// it exists and says aws-cli/2.
/// </summary>
public sealed class AwsCliBinary(string configuredPath, Action<string>? announce = null)
{
    public const string DefaultPath = "/usr/bin/aws";
    public const string InstallHint = "install it with `apt-get install -y awscli` (Debian 12 ships v2), or set aws.cliPath to an AWS CLI v2 binary";

    private readonly SemaphoreSlim gate = new(1, 1);
    private string? version;

    public string Path { get; } = string.IsNullOrWhiteSpace(configuredPath) ? DefaultPath : configuredPath;

    /// <summary>The version line (aws-cli/2.9.19 …) once checked.</summary>
    public string? Version => version;

    public async Task<string> EnsureUsableAsync(CancellationToken ct) => await EnsureUsableAsync(null, ct);

    /// <summary>Checks the binary once; a transport that knows the version (the kept-running driver) saves the `--version` process.</summary>
    public async Task<string> EnsureUsableAsync(IAwsCliTransport? transport, CancellationToken ct)
    {
        if (version is not null) return version;
        await gate.WaitAsync(ct);
        try
        {
            if (version is not null) return version;
            if (!File.Exists(Path))
                throw new ProviderException($"the AWS CLI was not found at {Path}: {InstallHint}") { ExitCode = 2 };
            var text = transport is null ? null : await transport.VersionAsync(ct);
            if (text is null)
            {
                var psi = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                psi.ArgumentList.Add("--version");
                using var p = Process.Start(psi) ?? throw new ProviderException($"could not start {Path}") { ExitCode = 2 };
                text = (await p.StandardOutput.ReadToEndAsync(ct)) + (await p.StandardError.ReadToEndAsync(ct));
                await p.WaitForExitAsync(ct);
            }
            var line = text.Trim().Split('\n')[0].Trim();
            if (!line.StartsWith("aws-cli/2", StringComparison.Ordinal))
                throw new ProviderException($"{Path} is {(line.Length > 0 ? line.Split(' ')[0] : "not an AWS CLI")}; regami-dr needs AWS CLI v2: {InstallHint}") { ExitCode = 2 };
            version = line.Split(' ')[0];
            announce?.Invoke($"AWS CLI {Path} ({version})");
            return version;
        }
        finally { gate.Release(); }
    }
}
