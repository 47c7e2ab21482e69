namespace Regami.Dr.Core.Controller;

/// <summary>When the controller may fail over on its own. Plan defaults; the lab scales time down.</summary>
public sealed record ControllerPolicy
{
    public bool AutomaticFailover { get; init; } = true;

    /// <summary>The RPO guard: largest last-known replica lag at which an automatic failover may go ahead.</summary>
    public TimeSpan MaxLagOnFailover { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A second bound in bytes (seconds of lag lie on an idle primary; bytes do not).</summary>
    public long MaxLagBytesOnFailover { get; init; } = 256L * 1024 * 1024;

    /// <summary>A lag sample older than this counts as unknown.</summary>
    public TimeSpan MaxLagSampleAge { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>No second automatic failover within this time of the last one (anti-flapping).</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>A region is unhealthy when more than this share of its vantage points say so (0.5 = a majority).</summary>
    public double UnhealthyVantageShare { get; init; } = 0.5;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxLagOnFailover < TimeSpan.Zero) errors.Add("maxLagOnFailover must not be negative");
        if (MaxLagBytesOnFailover < 0) errors.Add("maxLagBytesOnFailover must not be negative");
        if (Cooldown < TimeSpan.Zero) errors.Add("cooldown must not be negative");
        if (UnhealthyVantageShare is < 0 or >= 1) errors.Add("unhealthyVantageShare must be in [0, 1)");
        return errors;
    }

    public Runbooks.FailoverPolicy ToFailoverPolicy() => new()
    {
        MaxLagOnFailover = MaxLagOnFailover,
        MaxLagBytesOnFailover = MaxLagBytesOnFailover,
        MaxLagSampleAge = MaxLagSampleAge,
    };
}
