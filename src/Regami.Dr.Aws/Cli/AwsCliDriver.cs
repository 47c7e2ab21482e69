using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Polly;
using Polly.Retry;
using Regami.Dr.Core.Providers;

namespace Regami.Dr.Aws.Cli;

/// <summary>
/// Drives AWS CLI v2 as a subprocess, one process per call: <c>--output json --no-cli-pager
/// --region R</c>, the request in a 0600 temporary file passed with <c>--cli-input-json</c>
/// (nothing from the request on the command line, no secret anywhere), the CLI's standard
/// credential chain. Each attempt has the call timeout; throttling, 5xx and unreachable
/// endpoints are retried with exponential backoff (Polly). <c>--debug</c> is on only so that
/// AWS's request id can be read from the response headers: stderr is parsed for the id and the
/// error line, then dropped — it is never printed or stored.
/// </summary>
public sealed partial class AwsCliDriver : IAwsApi
{
    private readonly AwsCliBinary binary;
    private readonly AwsCliSettings settings;
    private readonly IAwsCallObserver? observer;
    private readonly ResiliencePipeline retry;
    private readonly TimeProvider time;

    public AwsCliDriver(AwsCliBinary binary, AwsCliSettings settings, TimeProvider time, IAwsCallObserver? observer = null, int maxRetryAttempts = 3, TimeSpan? retryDelay = null)
    {
        this.binary = binary;
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

    public async Task<AwsResponse> CallAsync(AwsCall call, CancellationToken ct)
    {
        await binary.EnsureUsableAsync(ct);
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
            var psi = new ProcessStartInfo(binary.Path)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { call.Service, call.Operation, "--region", call.Region, "--output", "json", "--no-cli-pager", "--debug", "--cli-input-json", "file://" + inputFile })
                psi.ArgumentList.Add(a);
            if (settings.Profile.Length > 0) { psi.ArgumentList.Add("--profile"); psi.ArgumentList.Add(settings.Profile); }
            if (settings.EndpointUrl.Length > 0) { psi.ArgumentList.Add("--endpoint-url"); psi.ArgumentList.Add(settings.EndpointUrl); }
            psi.Environment["AWS_PAGER"] = "";

            var started = time.GetTimestamp();
            using var process = Process.Start(psi) ?? throw new AwsServiceException(call, AwsFailureKind.Usage, "CliNotStarted", $"could not start {binary.Path}");
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(settings.CallTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                ct.ThrowIfCancellationRequested();
                throw new AwsServiceException(call, AwsFailureKind.Timeout, "CallTimeout",
                    $"{call.ApiName} did not answer within {settings.CallTimeout.TotalSeconds:0.#} s (aws.callTimeout); the call was killed and its effect is unknown");
            }
            var output = await stdout;
            var errors = await stderr;
            var requestId = RequestIds().Matches(errors).LastOrDefault()?.Groups[1].Value;
            var duration = time.GetElapsedTime(started);
            if (process.ExitCode != 0) throw AwsServiceException.FromCli(call, process.ExitCode, errors, requestId);
            return new AwsResponse(output.Trim().Length == 0 ? null : JsonNode.Parse(output), requestId, duration);
        }
        finally
        {
            File.Delete(inputFile);
        }
    }

    // --debug prints the response headers as a Python dict: {'x-amzn-requestid': '…'} (RDS, Route 53, ECS, SNS…) or 'x-amz-request-id' (S3).
    [GeneratedRegex(@"'x-amzn?-request-?id': '([^']+)'", RegexOptions.IgnoreCase)]
    private static partial Regex RequestIds();
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

    public async Task<string> EnsureUsableAsync(CancellationToken ct)
    {
        if (version is not null) return version;
        await gate.WaitAsync(ct);
        try
        {
            if (version is not null) return version;
            if (!File.Exists(Path))
                throw new ProviderException($"the AWS CLI was not found at {Path}: {InstallHint}") { ExitCode = 2 };
            var psi = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("--version");
            using var p = Process.Start(psi) ?? throw new ProviderException($"could not start {Path}") { ExitCode = 2 };
            var text = (await p.StandardOutput.ReadToEndAsync(ct)) + (await p.StandardError.ReadToEndAsync(ct));
            await p.WaitForExitAsync(ct);
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
