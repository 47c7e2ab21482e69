using System.Text.RegularExpressions;
using Regami.Dr.Core.Providers;

namespace Regami.Dr.Aws.Cli;

/// <summary>How a failed call failed: decides retries and exit codes.</summary>
public enum AwsFailureKind
{
    /// <summary>AWS answered with an error about the request or the resource (DBInstanceNotFound, InvalidParameterValue…).</summary>
    Service,
    /// <summary>Throttling, RequestLimitExceeded, 5xx: worth retrying.</summary>
    Transient,
    /// <summary>Missing, expired or rejected credentials, or an unknown profile.</summary>
    Credentials,
    /// <summary>The endpoint could not be reached (network, DNS, region down).</summary>
    Unreachable,
    /// <summary>The call did not finish within the call timeout.</summary>
    Timeout,
    /// <summary>The CLI refused its own input (exit 252): a bug in how we call it.</summary>
    Usage,
}

/// <summary>
/// A failed AWS call, with AWS's own error code and message first ("DBInstanceNotFound: DBInstance
/// regami-db not found"), then the operation and region that failed: the shape Npgsql gives
/// PostgreSQL's errors. Never carries credentials.
/// </summary>
public sealed partial class AwsServiceException : ProviderException
{
    public AwsServiceException(AwsCall call, AwsFailureKind kind, string code, string message, string? requestId = null)
        : base($"{code}: {message} ({call.Service} {call.Operation} in {call.Region}{(requestId is null ? "" : $", request id {requestId}")})")
    {
        Call = call;
        Kind = kind;
        Code = code;
        AwsMessage = message;
        RequestId = requestId;
        // Credentials, a resource the configuration names that does not exist, or our own bad
        // input are environment/configuration problems (exit 2); everything else failed (exit 1).
        ExitCode = kind is AwsFailureKind.Credentials or AwsFailureKind.Usage || IsNotFound ? 2 : 1;
    }

    public AwsCall Call { get; }
    public AwsFailureKind Kind { get; }
    public string Code { get; }
    public string AwsMessage { get; }
    public string? RequestId { get; }

    public bool IsTransient => Kind is AwsFailureKind.Transient or AwsFailureKind.Unreachable;

    /// <summary>A resource the configuration names does not exist (a configuration problem: exit 2).</summary>
    public bool IsNotFound => Code.EndsWith("NotFound", StringComparison.Ordinal) || Code.EndsWith("NotFoundFault", StringComparison.Ordinal)
        || Code is "NoSuchHealthCheck" or "NoSuchHostedZone" or "ServiceNotFoundException" or "ClusterNotFoundException" or "ResourceNotFoundException";

    private static readonly HashSet<string> TransientCodes =
    [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded", "TooManyRequestsException",
        "RequestThrottled", "RequestThrottledException", "PriorRequestNotComplete", "ServiceUnavailable", "ServiceUnavailableException",
        "InternalFailure", "InternalError", "InternalServerError", "InternalServiceError", "ServerException", "RequestTimeout", "RequestTimeoutException",
        "SlowDown", "EC2ThrottledException", "BandwidthLimitExceeded", "ProvisionedThroughputExceededException",
    ];

    private static readonly HashSet<string> CredentialCodes =
    [
        "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch",
        "AuthFailure", "InvalidAccessKeyId", "AccessDenied", "AccessDeniedException", "NoCredentials", "ProfileNotFound", "InvalidSignatureException",
    ];

    /// <summary>Reads the CLI's stderr (and exit code) into an exception; the one place that knows the CLI's error wording.</summary>
    public static AwsServiceException FromCli(AwsCall call, int exitCode, string stderr, string? requestId)
    {
        var m = ServiceError().Matches(stderr).LastOrDefault();
        if (m is not null)
        {
            var code = m.Groups["code"].Value;
            var message = m.Groups["message"].Value.Trim();
            var kind = TransientCodes.Contains(code) || code.StartsWith('5') && code.Length == 3 ? AwsFailureKind.Transient
                : CredentialCodes.Contains(code) ? AwsFailureKind.Credentials
                : AwsFailureKind.Service;
            return new AwsServiceException(call, kind, code, message, requestId);
        }
        var lastLine = LastMeaningfulLine(stderr);
        if (lastLine.Contains("Unable to locate credentials", StringComparison.Ordinal) || lastLine.Contains("Error when retrieving credentials", StringComparison.Ordinal))
            return new AwsServiceException(call, AwsFailureKind.Credentials, "NoCredentials", lastLine, requestId);
        if (lastLine.Contains("config profile", StringComparison.Ordinal) && lastLine.Contains("could not be found", StringComparison.Ordinal))
            return new AwsServiceException(call, AwsFailureKind.Credentials, "ProfileNotFound", lastLine, requestId);
        if (lastLine.Contains("Could not connect to the endpoint URL", StringComparison.Ordinal) || lastLine.Contains("Connect timeout", StringComparison.Ordinal)
            || lastLine.Contains("Read timeout", StringComparison.Ordinal) || lastLine.Contains("Connection was closed", StringComparison.Ordinal))
            return new AwsServiceException(call, AwsFailureKind.Unreachable, "EndpointUnreachable", lastLine, requestId);
        if (exitCode == 252)
            return new AwsServiceException(call, AwsFailureKind.Usage, "CliUsage", lastLine, requestId);
        if (HttpStatus().Match(stderr) is { Success: true } h && h.Groups[1].Value.StartsWith('5'))
            return new AwsServiceException(call, AwsFailureKind.Transient, h.Groups[1].Value, lastLine, requestId);
        return new AwsServiceException(call, AwsFailureKind.Service, $"CliExit{exitCode}", lastLine.Length > 0 ? lastLine : "the AWS CLI failed without a message", requestId);
    }

    private static string LastMeaningfulLine(string stderr) =>
        stderr.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0 && !DebugLine().IsMatch(l)) ?? "";

    // "An error occurred (DBInstanceNotFound) when calling the DescribeDBInstances operation: DBInstance x not found."
    // and "... operation (reached max retries: 2): Rate exceeded"
    [GeneratedRegex(@"An error occurred \((?<code>[^)]+)\) when calling the (?<op>\w+) operation(?: \(reached max retries: \d+\))?: (?<message>.*)")]
    private static partial Regex ServiceError();

    // Lines of --debug output start with a timestamp: "2026-11-29 12:15:21,148 - MainThread - ..."
    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ - ")]
    private static partial Regex DebugLine();

    [GeneratedRegex(@"Response code: (\d{3})|HTTP Status Code: (\d{3})")]
    private static partial Regex HttpStatus();
}
