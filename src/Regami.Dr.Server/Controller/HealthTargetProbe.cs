using Regami.Dr.Core.Controller;
using Regami.Dr.Probes;

namespace Regami.Dr.Server.Controller;

/// <summary>The controller probes its health targets with the shared <see cref="HttpHealthProber"/>.</summary>
public static class HealthTargetProbe
{
    /// <summary>One probe of <paramref name="target"/>'s URL, as the result the region health history records.</summary>
    public static async Task<ProbeResult> ProbeAsync(this HttpHealthProber prober, HealthTarget target, CancellationToken ct)
    {
        var probe = await prober.ProbeAsync(target.Url, ct);
        return new ProbeResult(target.Region, target.Vantage, probe.Succeeded, probe.Reason);
    }
}
