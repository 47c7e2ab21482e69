using System.Net;
using System.Net.Sockets;
using Regami.Dr.Core.Traffic;

namespace Regami.Dr.Lab.Dns;

/// <summary>
/// What the lab's authoritative DNS server serves and how it health-checks. Defaults are the lab of
/// DESIGN §3: <c>127.0.0.1:5353</c> (UDP and TCP), zone <c>regami.test</c>, <c>api.regami.test</c>
/// with PRIMARY <c>eu-west-3</c> → 127.0.0.2 and SECONDARY <c>eu-central-1</c> → 127.0.0.3, TTL 1 s,
/// each health-checked through its region's load balancer at <c>:8080/health?check=db</c>.
/// </summary>
public sealed record DnsServerOptions
{
    public const int DefaultPort = 5353;
    public const string DefaultZone = "regami.test";

    /// <summary>Where the server listens, on UDP and TCP alike.</summary>
    public IPEndPoint ListenEndPoint { get; init; } = new(IPAddress.Loopback, DefaultPort);

    /// <summary>The zone the server is authoritative for; names outside it are REFUSED.</summary>
    public string Zone { get; init; } = DefaultZone;

    /// <summary>The failover record set; its name must lie inside <see cref="Zone"/>.</summary>
    public FailoverRecordSet RecordSet { get; init; } = new(
        Name: "api." + DefaultZone,
        Ttl: TimeSpan.FromSeconds(1),
        Primary: new FailoverRecord("eu-west-3", "127.0.0.2", HealthCheckIdFor("eu-west-3")),
        Secondary: new FailoverRecord("eu-central-1", "127.0.0.3", HealthCheckIdFor("eu-central-1")));

    /// <summary>The URL each health check probes, by health check id (see <see cref="FailoverRecord.HealthCheckId"/>).</summary>
    public IReadOnlyDictionary<string, Uri> HealthCheckTargets { get; init; } = new Dictionary<string, Uri>
    {
        [HealthCheckIdFor("eu-west-3")] = HealthCheckUrl("127.0.0.2", 8080, new HealthCheckOptions().Path),
        [HealthCheckIdFor("eu-central-1")] = HealthCheckUrl("127.0.0.3", 8080, new HealthCheckOptions().Path),
    };

    /// <summary>Probe interval, failure threshold, timeout and path of every health check.</summary>
    public HealthCheckOptions HealthCheck { get; init; } = new();

    /// <summary>
    /// JSON file of routing controls by region, e.g. <c>{"eu-west-3": true, "eu-central-1": false}</c>;
    /// re-read whenever it changes. A missing file (or null here) means every routing control is on.
    /// </summary>
    public string? RoutingControlsFile { get; init; }

    /// <summary>
    /// JSON file of the health verifications runbooks write (<see cref="Dns.VerifiedHealthyFile"/>): a
    /// new one marks that region's health check healthy at once. Null = no such marks.
    /// </summary>
    public string? VerifiedHealthyFile { get; init; }

    /// <summary>
    /// How often the control files (routing controls, verifications) are looked at between health-check
    /// ticks: a routing change takes effect within this, not within a whole request interval.
    /// </summary>
    public TimeSpan ControlPollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Where the server writes its <see cref="DnsServerStatus"/> after every tick; null = nowhere.</summary>
    public string? StatusFile { get; init; }

    /// <summary>The health check id the defaults use for a region's record: <c>api-{region}</c>.</summary>
    public static string HealthCheckIdFor(string region) => $"api-{region}";

    /// <summary><c>http://{address}:{port}{path}</c>, e.g. <c>http://127.0.0.2:8080/health?check=db</c>.</summary>
    public static Uri HealthCheckUrl(string address, int port, string path) =>
        new($"http://{address}:{port}{(path.StartsWith('/') ? path : "/" + path)}");

    /// <summary>Every problem with these options, one sentence each; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (ListenEndPoint is null)
            errors.Add("listenEndPoint is required");
        else if (ListenEndPoint.Port is <= 0 or > 65535)
            errors.Add($"listen port must be between 1 and 65535 (found {ListenEndPoint.Port})");
        if (string.IsNullOrWhiteSpace(Zone) || Zone.EndsWith('.'))
            errors.Add($"zone must be a domain name without the trailing dot (found '{Zone}')");
        errors.AddRange(HealthCheck.Validate().Select(e => "healthCheck." + e));
        if (ControlPollInterval <= TimeSpan.Zero)
            errors.Add($"controlPollInterval must be positive (found {ControlPollInterval.TotalMilliseconds} ms)");
        errors.AddRange(RecordSet.Validate().Select(e => "recordSet: " + e));
        if (!string.IsNullOrWhiteSpace(Zone) && !string.IsNullOrWhiteSpace(RecordSet.Name)
            && !RecordSet.Name.Equals(Zone, StringComparison.OrdinalIgnoreCase)
            && !RecordSet.Name.EndsWith("." + Zone, StringComparison.OrdinalIgnoreCase))
            errors.Add($"record name '{RecordSet.Name}' is not inside zone '{Zone}'");
        foreach (var record in new[] { RecordSet.Primary, RecordSet.Secondary })
        {
            if (record.HealthCheckId is not { } id) continue;
            if (!HealthCheckTargets.TryGetValue(id, out var target))
                errors.Add($"health check '{id}' of region {record.Region} has no target URL in healthCheckTargets");
            else if (!target.IsAbsoluteUri || (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps))
                errors.Add($"health check '{id}' target must be an absolute http(s) URL (found '{target}')");
        }
        return errors;
    }

    /// <summary>The address the zone's own NS name resolves to: the listen address, or 127.0.0.1 when listening on any.</summary>
    internal IPAddress NameServerAddress =>
        ListenEndPoint.Address.AddressFamily == AddressFamily.InterNetwork && !ListenEndPoint.Address.Equals(IPAddress.Any)
            ? ListenEndPoint.Address
            : IPAddress.Loopback;
}
