using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Providers;
using Regami.Dr.Probes;

namespace Regami.Dr.Server.Controller;

/// <summary>Region health from our own probes: every region's health URL from every vantage point, in parallel.</summary>
public sealed class ProbingHealthSource(IReadOnlyList<HealthTarget> targets, HttpHealthProber prober) : IHealthSource
{
    public IReadOnlyList<HealthTarget> Targets => targets;

    public async Task<IReadOnlyList<ProbeResult>> ProbeAsync(CancellationToken ct) =>
        await Task.WhenAll(targets.Select(async t =>
        {
            var r = await prober.ProbeAsync(t.Url, ct);
            return new ProbeResult(t.Region, t.Vantage, r.Succeeded, r.Reason);
        }));
}
