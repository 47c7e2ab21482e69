using System.Net;
using System.Net.Http.Json;
using Regami.Dr.Core.Drills;

namespace Regami.Dr.Lab.Drills;

/// <summary>Health, a write and a read back through the lab's public name, resolved by its DNS server as a client would.</summary>
public sealed class LabSmokeTests(LabEnvironment env) : IPublicNameSmokeTests
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    public async Task<IReadOnlyList<DrillCheck>> RunAsync(CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = RequestTimeout };
        var address = await DnsProbe.QueryAsync(env.Options.Dns, ct);
        var baseUrl = $"http://{address}:{env.Options.Ports.LoadBalancer}";
        var checks = new List<DrillCheck>();
        try
        {
            using var health = await http.GetAsync(baseUrl + "/health?check=db", ct);
            checks.Add(new(DrillCheckNames.SmokeHealth, health.IsSuccessStatusCode, $"GET /health?check=db via {address}: {(int)health.StatusCode}"));
            // A negative seq never collides with the workload's.
            var seq = -env.Time.GetUtcNow().ToUnixTimeMilliseconds();
            using var write = await http.PostAsJsonAsync(baseUrl + "/api/records", new { seq, payload = "drill smoke test" }, ct);
            checks.Add(new(DrillCheckNames.SmokeWrite, write.StatusCode == HttpStatusCode.Created, $"POST /api/records seq {seq}: {(int)write.StatusCode}"));
            using var read = await http.GetAsync($"{baseUrl}/api/records/{seq}", ct);
            checks.Add(new(DrillCheckNames.SmokeReadBack, read.IsSuccessStatusCode, $"GET /api/records/{seq}: {(int)read.StatusCode}"));
        }
        catch (HttpRequestException e)
        {
            checks.Add(new(DrillCheckNames.SmokePublicNameAnswers, false, $"{baseUrl}: {e.Message}"));
        }
        return checks;
    }
}
