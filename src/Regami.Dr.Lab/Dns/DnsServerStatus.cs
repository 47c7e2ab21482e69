using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Regami.Dr.Core.Traffic;

namespace Regami.Dr.Lab.Dns;

/// <summary>
/// What the DNS server answers and why, as written to its status file after every tick
/// (camelCase JSON). <c>regami-dr status</c> reads it with <see cref="TryRead"/>.
/// </summary>
public sealed record DnsServerStatus
{
    /// <summary><c>running</c> while the server serves; <c>stopped</c> once it has released its sockets.</summary>
    public required string State { get; init; }

    /// <summary>Process id of the server (check it is alive before trusting a <c>running</c> state).</summary>
    public required int Pid { get; init; }

    /// <summary>e.g. <c>127.0.0.1:5353</c> (UDP and TCP).</summary>
    public required string Listen { get; init; }

    public required string Zone { get; init; }

    /// <summary>The failover name, e.g. <c>api.regami.test</c>.</summary>
    public required string Name { get; init; }

    public required int TtlSeconds { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>What a query for <see cref="Name"/> gets right now.</summary>
    public required DnsAnswerStatus Answer { get; init; }

    /// <summary>The PRIMARY and the SECONDARY record, in that order.</summary>
    public required IReadOnlyList<DnsRecordStatus> Records { get; init; }

    /// <summary>Routing controls by region as last read (regions not listed are on).</summary>
    public required IReadOnlyDictionary<string, bool> RoutingControls { get; init; }

    public string? RoutingControlsFile { get; init; }

    /// <summary>Why the routing-controls file could not be used (the last good state stays in force); null when fine.</summary>
    public string? RoutingControlsError { get; init; }

    public required DnsHealthCheckSettings HealthCheck { get; init; }

    /// <summary>Queries answered since start (all names, all outcomes).</summary>
    public long QueriesAnswered { get; init; }

    /// <summary>Status-file writes or other tick steps that failed since start (the last one in <see cref="LastError"/>).</summary>
    public long Errors { get; init; }

    public string? LastError { get; init; }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Keep "→" and quotes readable in the file; it is never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Reads a status file; null when it is missing, being replaced or not a status file.</summary>
    public static DnsServerStatus? TryRead(string path)
    {
        try
        {
            if (!File.Exists(path)) return null;
            return JsonSerializer.Deserialize<DnsServerStatus>(File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Writes the file atomically: a temporary file in the same directory, then a rename over the old one.</summary>
    public void WriteAtomically(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
        File.Move(temp, full, overwrite: true);
    }
}

/// <summary>The answered record and the sentence explaining it.</summary>
public sealed record DnsAnswerStatus(
    FailoverRole Role,
    string Region,
    string Address,
    FailoverSituation Situation,
    string Reason);

/// <summary>One failover record and its health.</summary>
/// <param name="Healthy">The health check's own status (true when the record has none).</param>
/// <param name="RoutingControlOn">The region's routing control.</param>
/// <param name="EffectiveHealthy">What routing used: healthy and routing control on.</param>
/// <param name="LastChangeAt">When the health check's status last changed; null = never since start.</param>
public sealed record DnsRecordStatus(
    FailoverRole Role,
    string Region,
    string Address,
    string? HealthCheckId,
    string? Target,
    bool Healthy,
    bool RoutingControlOn,
    bool EffectiveHealthy,
    int ConsecutiveFailures,
    int ConsecutiveSuccesses,
    int FailureThreshold,
    DateTimeOffset? LastCheckedAt,
    string? LastReason,
    DateTimeOffset? LastChangeAt,
    string Explanation);

public sealed record DnsHealthCheckSettings(double RequestIntervalSeconds, int FailureThreshold, double TimeoutSeconds, string Path);
