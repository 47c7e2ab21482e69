using System.Text.Json;
using System.Text.Json.Nodes;

namespace Regami.Dr.Aws.Cli;

/// <summary>
/// One AWS API call as the AWS CLI spells it: service, operation (kebab-case), region and the
/// request as the API's own JSON (what <c>--cli-input-json</c> takes). Built by
/// <see cref="AwsCommands"/>, executed by an <see cref="IAwsApi"/>, printed by a dry run — one
/// description, so the commands a dry run shows are the ones that run.
/// </summary>
public sealed record AwsCall(string Service, string Operation, string Region, JsonObject Input)
{
    /// <summary>True for calls that change something (audited, and listed by a dry run as actions).</summary>
    public bool Mutates => !(Operation.StartsWith("describe-", StringComparison.Ordinal) || Operation.StartsWith("get-", StringComparison.Ordinal)
        || Operation.StartsWith("list-", StringComparison.Ordinal));

    /// <summary>The API operation name (DescribeDBInstances), as AWS error messages and CloudTrail name it.</summary>
    public string ApiName => string.Concat(Operation.Split('-').Select(w => w switch
    {
        "db" => "DB",
        _ => char.ToUpperInvariant(w[0]) + w[1..],
    }));

    public string InputJson => Input.ToJsonString(CompactJson);

    /// <summary>The exact command line, quoted for a POSIX shell (no credentials are ever part of it).</summary>
    public string Render(AwsCliSettings settings)
    {
        var parts = new List<string> { "aws", Service, Operation, "--region", Region };
        if (settings.Profile.Length > 0) parts.AddRange(["--profile", settings.Profile]);
        if (settings.EndpointUrl.Length > 0) parts.AddRange(["--endpoint-url", settings.EndpointUrl]);
        parts.AddRange(["--cli-input-json", ShellQuote(InputJson)]);
        return string.Join(' ', parts);
    }

    public override string ToString() => $"{Service} {Operation} ({Region})";

    // Relaxed escaping: the rendered command must read as typed ('<' stays '<'); it is shell-quoted, never embedded in HTML.
    private static readonly JsonSerializerOptions CompactJson = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}

/// <summary>How every call is made: which profile and endpoint (never credentials: the CLI's own chain supplies them).</summary>
public sealed record AwsCliSettings(string Profile, string EndpointUrl, TimeSpan CallTimeout);

/// <summary>A call's answer: the response JSON (null when the operation returns nothing), AWS's request id, and how long it took.</summary>
public sealed record AwsResponse(JsonNode? Body, string? RequestId, TimeSpan Duration);

/// <summary>
/// The seam between the ports and the wire: the CLI driver implements it today; an SDK-based one
/// can replace it without touching a port.
/// </summary>
public interface IAwsApi
{
    Task<AwsResponse> CallAsync(AwsCall call, CancellationToken ct);
}

/// <summary>Told about every call that completed or failed (the audit trail records them).</summary>
public interface IAwsCallObserver
{
    Task ObservedAsync(AwsCall call, AwsResponse? response, AwsServiceException? error, TimeSpan duration, CancellationToken ct);
}
