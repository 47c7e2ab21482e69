using System.Text.Json.Nodes;
using Regami.Dr.Aws.Cli;
using Regami.Dr.Aws.Configuration;

namespace Regami.Dr.Aws.Ports;

/// <summary>What every AWS port shares: the API, the commands built from the configuration, the clock.</summary>
public sealed class AwsContext(IAwsApi api, AwsCommands commands, TimeProvider time)
{
    public IAwsApi Api { get; } = api;
    public AwsCommands Commands { get; } = commands;
    public AwsSection Section => Commands.Section;
    public TimeProvider Time { get; } = time;

    public async Task<JsonNode> CallAsync(AwsCall call, CancellationToken ct) =>
        (await Api.CallAsync(call, ct)).Body ?? new JsonObject();

    /// <summary>A mutating call, described for a step's journal line: operation, region, request id, duration.</summary>
    public async Task<string> ActAsync(AwsCall call, CancellationToken ct)
    {
        var r = await Api.CallAsync(call, ct);
        return Describe(call, r);
    }

    public static string Describe(AwsCall call, AwsResponse r) =>
        $"{call.Service} {call.ApiName} in {call.Region}, request {r.RequestId ?? "(no id)"}, {r.Duration.TotalSeconds:0.00} s";
}
