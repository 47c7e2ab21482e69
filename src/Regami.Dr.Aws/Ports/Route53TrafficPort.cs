using System.Net.Http.Json;
using Regami.Dr.Aws.Configuration;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Providers;
using Regami.Dr.Core.Traffic;

namespace Regami.Dr.Aws.Ports;

/// <summary>One region's Route 53 health check: what its checkers see, and whether it is inverted (our routing control).</summary>
public sealed record HealthCheckState(string Region, string HealthCheckId, bool Inverted, int Checkers, int CheckersHealthy, IReadOnlyList<ProbeResult> Observations)
{
    /// <summary>Route 53's rule: an endpoint is healthy when more than 18% of its checkers see it healthy.</summary>
    public bool EndpointHealthy => Checkers > 0 && CheckersHealthy > Checkers * 0.18;

    /// <summary>What Route 53 acts on: an inverted check reads the other way round.</summary>
    public bool EffectiveHealthy => EndpointHealthy != Inverted;
}

/// <summary>A failover record of the public name and the health check it carries.</summary>
public sealed record FailoverRecord(string SetIdentifier, string Failover, string? HealthCheckId, string? Target, long? Ttl);

/// <summary>
/// Traffic on Route 53: PRIMARY/SECONDARY failover records, each with its region's health check.
/// The routing control is <c>update-health-check --inverted</c> on the region's check (an
/// inverted check reads unhealthy, so Route 53 answers with the other record) — Route 53 ARC's
/// routing controls do the same with safety rules, and need an ARC cluster (not emulated by moto).
/// </summary>
public sealed class Route53TrafficPort(AwsContext aws, IReadOnlyList<string> regions, HealthCheckOptions healthCheck, HttpClient? http = null) : ITrafficPort
{
    public async Task<HealthCheckState> HealthCheckAsync(string region, CancellationToken ct)
    {
        var check = InvertedAsync(region, ct);
        var status = aws.CallAsync(aws.Commands.GetHealthCheckStatus(region), ct);
        var inverted = await check;
        var observations = ((await status)["HealthCheckObservations"]?.AsArray() ?? []).Select(o =>
        {
            var report = o?["StatusReport"]?["Status"]?.GetValue<string>() ?? "";
            var vantage = $"{o?["Region"]?.GetValue<string>() ?? "route53"}/{o?["IPAddress"]?.GetValue<string>() ?? "?"}";
            return new ProbeResult(region, vantage, report.StartsWith("Success", StringComparison.OrdinalIgnoreCase), report);
        }).ToList();
        return new HealthCheckState(region, aws.Section.Region(region).HealthCheckId, inverted, observations.Count, observations.Count(o => o.Succeeded), observations);
    }

    public async Task<IReadOnlyDictionary<string, bool>> GetRoutingControlsAsync(CancellationToken ct)
    {
        var checks = await Task.WhenAll(regions.Select(async r => (Region: r, Inverted: await InvertedAsync(r, ct))));
        return checks.ToDictionary(c => c.Region, c => !c.Inverted);
    }

    /// <summary>Whether the region's health check is inverted: its routing control is off.</summary>
    private async Task<bool> InvertedAsync(string region, CancellationToken ct) =>
        (await aws.CallAsync(aws.Commands.GetHealthCheck(region), ct))["HealthCheck"]?["HealthCheckConfig"]?["Inverted"]?.GetValue<bool>() ?? false;

    public async Task SetRoutingControlAsync(string region, bool on, CancellationToken ct) =>
        await aws.Api.CallAsync(aws.Commands.SetRoutingControl(region, on), ct);

    /// <summary>
    /// Route 53's checkers decide a health check's status; there is no call that marks one healthy
    /// (with ARC, a routing-control health check IS the control, and route-traffic already turned it on).
    /// </summary>
    public Task<string> MarkHealthyAsync(string region, string evidence, CancellationToken ct) =>
        Task.FromResult($"Route 53 counts {region} healthy when its checkers pass (nothing can mark a health check healthy; with ARC routing-control health checks the control already did)");

    public async Task<IReadOnlyList<FailoverRecord>> FailoverRecordsAsync(CancellationToken ct)
    {
        var body = await aws.CallAsync(aws.Commands.ListFailoverRecords(), ct);
        var name = aws.Section.Route53.CanonicalRecordName;
        return (body["ResourceRecordSets"]?.AsArray() ?? [])
            .Where(r => string.Equals(r?["Name"]?.GetValue<string>(), name, StringComparison.OrdinalIgnoreCase) && r?["Failover"] is not null)
            .Select(r => new FailoverRecord(
                r!["SetIdentifier"]?.GetValue<string>() ?? "",
                r["Failover"]!.GetValue<string>(),
                r["HealthCheckId"]?.GetValue<string>(),
                r["ResourceRecords"]?[0]?["Value"]?.GetValue<string>() ?? r["AliasTarget"]?["DNSName"]?.GetValue<string>(),
                r["TTL"]?.GetValue<long>()))
            .ToList();
    }

    /// <summary>
    /// The region Route 53 answers with, by its own failover rule: PRIMARY when its check is
    /// healthy, else SECONDARY when its check is healthy, else PRIMARY. Computed from the records
    /// and checks (not a DNS lookup: resolvers cache for the TTL, and an emulator serves no DNS).
    /// </summary>
    public async Task<string?> ResolveActiveRegionAsync(CancellationToken ct)
    {
        var records = await FailoverRecordsAsync(ct);
        var byCheck = regions.ToDictionary(r => aws.Section.Region(r).HealthCheckId, r => r);
        string? RegionOf(FailoverRecord? r) => r?.HealthCheckId is { } id && byCheck.TryGetValue(id, out var region) ? region : null;
        var primary = RegionOf(records.FirstOrDefault(r => r.Failover == "PRIMARY"));
        var secondary = RegionOf(records.FirstOrDefault(r => r.Failover == "SECONDARY"));
        if (primary is null) return secondary;
        if ((await HealthCheckAsync(primary, ct)).EffectiveHealthy) return primary;
        if (secondary is not null && (await HealthCheckAsync(secondary, ct)).EffectiveHealthy) return secondary;
        return primary;
    }

    public async Task<PublicWriteResult> WriteThroughPublicNameAsync(string payload, CancellationToken ct)
    {
        var region = await ResolveActiveRegionAsync(ct);
        if (aws.Section.PublicCheckUrl.Length == 0 || http is null)
            return new PublicWriteResult(true, aws.Section.Route53.RecordName, region, null,
                "NOT verified: no aws.publicCheckUrl is configured, so no write was sent through the public name (Route 53 answers " + (region ?? "nothing") + ")");
        try
        {
            using var response = await http.PostAsJsonAsync(aws.Section.PublicCheckUrl, new { payload }, ct);
            return new PublicWriteResult(response.IsSuccessStatusCode, aws.Section.PublicCheckUrl, region, (int)response.StatusCode,
                $"POST {aws.Section.PublicCheckUrl} answered {(int)response.StatusCode}");
        }
        catch (HttpRequestException e)
        {
            return new PublicWriteResult(false, aws.Section.PublicCheckUrl, region, null, $"POST {aws.Section.PublicCheckUrl} failed: {e.Message}");
        }
    }

    /// <summary>Route 53 needs threshold × interval to flip a check, then resolvers hold the old answer for the TTL.</summary>
    public TimeSpan WorstCaseSwitchTime => healthCheck.RequestInterval * healthCheck.FailureThreshold + aws.Section.Route53.Ttl + TimeSpan.FromSeconds(30);
}

/// <summary>The controller's view of region health on AWS: Route 53's own checkers, one result per checker.</summary>
public sealed class Route53HealthSource(Route53TrafficPort traffic, IReadOnlyList<string> regions) : IHealthSource
{
    public async Task<IReadOnlyList<ProbeResult>> ProbeAsync(CancellationToken ct)
    {
        var states = await Task.WhenAll(regions.Select(r => traffic.HealthCheckAsync(r, ct)));
        // An inverted check is a region whose routing control is off: Route 53 treats it as
        // unhealthy, and so does the controller (it is not where clients can be served).
        return states.SelectMany(s => s.Observations.Count == 0
            ? [new ProbeResult(s.Region, "route53", false, "no checker observations")]
            : s.Observations.Select(o => s.Inverted ? o with { Succeeded = !o.Succeeded, Reason = "inverted (routing control off): " + o.Reason } : o)).ToList();
    }
}
