using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Regami.Dr.Core.Ports;
using Regami.Dr.Lab.Dns;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Lab.Provider;

/// <summary>The lab's traffic: the failover DNS server's routing controls, and real requests through the public name.</summary>
public sealed class LabTrafficPort(LabEnvironment env) : ITrafficPort
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };

    public TimeSpan WorstCaseSwitchTime =>
        env.Options.HealthCheck.RequestInterval * (env.Options.HealthCheck.FailureThreshold + 1)
            + env.Options.HealthCheck.Timeout + TimeSpan.FromSeconds(env.Options.Dns.TtlSeconds + 2);

    public Task<IReadOnlyDictionary<string, bool>> GetRoutingControlsAsync(CancellationToken ct)
    {
        var stored = LabJson.Read<Dictionary<string, bool>>(env.Paths.RoutingControlsFile) ?? [];
        IReadOnlyDictionary<string, bool> all = env.Options.Regions.ToDictionary(r => r.Name, r => stored.GetValueOrDefault(r.Name, true));
        return Task.FromResult(all);
    }

    public async Task SetRoutingControlAsync(string region, bool on, CancellationToken ct)
    {
        using var _ = await env.Store.LockAsync(TimeSpan.FromSeconds(30), ct);
        var controls = new Dictionary<string, bool>(await GetRoutingControlsAsync(ct)) { [region] = on };
        RoutingControlsFile.Write(env.Paths.RoutingControlsFile, controls);
    }

    public async Task<string> MarkHealthyAsync(string region, string evidence, CancellationToken ct)
    {
        using var _ = await env.Store.LockAsync(TimeSpan.FromSeconds(30), ct);
        VerifiedHealthyFile.Write(env.Paths.VerifiedHealthyFile, region, new HealthVerification(env.Time.GetUtcNow(), evidence));
        return $"the lab DNS counts {region}'s health check healthy at once (verification written; it looks every 0.1 s)";
    }

    public async Task<string?> ResolveActiveRegionAsync(CancellationToken ct)
    {
        var address = await DnsProbe.QueryAsync(env.Options.Dns, ct);
        return env.Options.Regions.FirstOrDefault(r => r.Address == address)?.Name;
    }

    public async Task<PublicWriteResult> WriteThroughPublicNameAsync(string payload, CancellationToken ct)
    {
        var address = await DnsProbe.QueryAsync(env.Options.Dns, ct);
        if (address is null) return new PublicWriteResult(false, null, null, null, $"{env.Options.Dns.FullName} did not resolve");
        // Verification writes use negative sequence numbers so they never collide with a workload's.
        var seq = -env.Time.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            using var response = await Http.PostAsJsonAsync($"http://{address}:{env.Options.Ports.LoadBalancer}/api/records", new { seq, payload }, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
                return new PublicWriteResult(false, address, null, (int)response.StatusCode, $"write through {address} answered {(int)response.StatusCode}: {Truncate(body)}");
            var region = JsonNode.Parse(body)?["region"]?.GetValue<string>();
            return new PublicWriteResult(true, address, region, (int)response.StatusCode, $"write seq {seq} through {env.Options.Dns.FullName} ({address}) committed in {region}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            if (ct.IsCancellationRequested) throw;
            return new PublicWriteResult(false, address, null, null, $"write through {address} failed: {e.Message}");
        }
    }

    private static string Truncate(string s) => s.Length <= 200 ? s : s[..200] + "…";
}
