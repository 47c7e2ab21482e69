using System.Text.Json;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Lab.Dns;

/// <summary>What a runbook wrote when it verified a region healthy: when, and on what evidence.</summary>
public sealed record HealthVerification(DateTimeOffset At, string Evidence);

/// <summary>
/// The lab's stand-in for "a Route 53 ARC routing control is the record's health": a JSON object of
/// region → the last <see cref="HealthVerification"/> a runbook wrote, e.g.
/// <c>{"eu-central-1": {"at": "2026-11-30T01:02:03.456+00:00", "evidence": "…"}}</c>. The DNS server
/// marks a region's health check healthy once per <b>new</b> verification (one it has not seen
/// before), so a stale entry never overrides probes, and a restarted server acts on none of the old ones.
/// </summary>
public sealed class VerifiedHealthyFile
{
    private readonly WatchedJsonFile<Dictionary<string, HealthVerification>>? _file;
    private Dictionary<string, HealthVerification> _acted = new(StringComparer.Ordinal);

    /// <summary>Reads the file once: what it already holds counts as seen (acted on by a previous server, or too old to matter).</summary>
    public VerifiedHealthyFile(string? path)
    {
        Path = string.IsNullOrWhiteSpace(path) ? null : System.IO.Path.GetFullPath(path);
        _file = Path is null ? null : new WatchedJsonFile<Dictionary<string, HealthVerification>>(Path);
        TakeNew();
    }

    public string? Path { get; }

    /// <summary>Why the file was last rejected; null when the last read succeeded.</summary>
    public string? Error { get; private set; }

    /// <summary>The verifications written since the last call, by region (empty when nothing new).</summary>
    public IReadOnlyDictionary<string, HealthVerification> TakeNew()
    {
        if (_file?.TryReadIfChanged() is not { Changed: true } read) return new Dictionary<string, HealthVerification>();
        Error = read.Error;
        if (read.Error is not null) return new Dictionary<string, HealthVerification>();
        var now = read.Value ?? new Dictionary<string, HealthVerification>();
        var fresh = now.Where(v => !_acted.TryGetValue(v.Key, out var seen) || seen != v.Value).ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
        _acted = new Dictionary<string, HealthVerification>(now, StringComparer.Ordinal);
        return fresh;
    }

    /// <summary>Records a verification of <paramref name="region"/> atomically (<see cref="LabJson.WriteAtomically{T}"/>), keeping the other regions' entries.</summary>
    public static void Write(string path, string region, HealthVerification verification)
    {
        var full = System.IO.Path.GetFullPath(path);
        Dictionary<string, HealthVerification> all;
        try
        {
            all = LabJson.Read<Dictionary<string, HealthVerification>>(full) ?? [];
        }
        catch (JsonException)
        {
            all = []; // an unreadable file holds nothing worth keeping: only the newest verification matters
        }
        all[region] = verification;
        LabJson.WriteAtomically(full, all);
    }
}
