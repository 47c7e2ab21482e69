using System.Diagnostics;
using Regami.Dr.Core.Controller;

namespace Regami.Dr.Server.Controller;

/// <summary>Probes a region's health check URL like Route 53 does: 2xx/3xx within the timeout passes.</summary>
public sealed class HttpHealthProber(HttpClient http, TimeSpan timeout)
{
    public async Task<ProbeResult> ProbeAsync(HealthTarget target, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using var response = await http.GetAsync(target.Url, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            var code = (int)response.StatusCode;
            return new ProbeResult(target.Region, target.Vantage, code is >= 200 and < 400, $"HTTP {code} in {sw.ElapsedMilliseconds} ms");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ProbeResult(target.Region, target.Vantage, false, $"no answer within {timeout.TotalMilliseconds:0} ms");
        }
        catch (HttpRequestException e)
        {
            return new ProbeResult(target.Region, target.Vantage, false, e.InnerException?.Message ?? e.Message);
        }
    }
}
