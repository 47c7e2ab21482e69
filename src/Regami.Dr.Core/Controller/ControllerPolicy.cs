using Regami.Dr.Core.Runbooks;

namespace Regami.Dr.Core.Controller;

/// <summary>
/// The controller: how often it looks, and when it may fail over on its own. Bound from
/// <c>controller:</c> in regami-dr.yaml; its RPO guard is the configuration's <c>rpoGuard:</c>.
/// Plan defaults; <see cref="Lab"/> scales time down.
/// </summary>
public sealed record ControllerPolicy
{
    /// <summary>`lab up` starts a controller (`regami-dr monitor`) unless this is false or --no-controller is given.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Time between two ticks (observe, decide, act).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    public bool AutomaticFailover { get; init; } = true;

    /// <summary>The RPO guard (set from the configuration's <c>rpoGuard:</c>, not from this section).</summary>
    [YamlDotNet.Serialization.YamlIgnore]
    public RpoGuardPolicy RpoGuard { get; init; } = new();

    /// <summary>No second automatic failover within this time of the last one (anti-flapping).</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Start the standby region's compute as soon as the primary is suspect (its first failed check), while
    /// detection runs on, so a failover finds the compute up instead of starting it from zero; scaled back
    /// once the primary has been calm for <see cref="PrewarmHold"/>. Costs compute during flaps, never safety:
    /// the standby's instances serve nothing until the failover promotes its database and routes traffic.
    /// On by default (the plan's standby stays cold until the primary is suspect). It was opt-in for a while
    /// after a db-hang drill whose controller never failed over; the cause was the RPO guard, not the
    /// pre-warm: a "bytes / ? s" lag sample it could never pass (fixed by LagSample.BoundedBy).
    /// </summary>
    public bool PrewarmOnSuspect { get; init; } = true;

    /// <summary>How long the primary must pass every check again before pre-warmed standby compute is scaled back.</summary>
    public TimeSpan PrewarmHold { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A region is unhealthy when more than this share of its vantage points say so (0.5 = a majority).</summary>
    public double UnhealthyVantageShare { get; init; } = 0.5;

    /// <summary>
    /// The leader lease's time to live: five ticks (at least 2 s), so a leader renewing every tick
    /// survives a few slow ones, and a dead or paused one is replaced within seconds.
    /// </summary>
    [YamlDotNet.Serialization.YamlIgnore]
    public TimeSpan LeaseTtl => Interval * 5 > TimeSpan.FromSeconds(2) ? Interval * 5 : TimeSpan.FromSeconds(2);

    /// <summary>local (a lock file, one controller) or etcd (controllers in several regions).</summary>
    public string Lease { get; init; } = "local";

    public string EtcdEndpoint { get; init; } = "http://127.0.0.1:2379";

    /// <summary>Vantage points probing each region.</summary>
    public List<string> Vantages { get; init; } = ["local"];

    /// <summary>The lab rehearses faster than the plan: 60 s between automatic failovers.</summary>
    public static ControllerPolicy Lab { get; } = new() { Cooldown = TimeSpan.FromSeconds(60) };

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Interval <= TimeSpan.Zero || Interval > TimeSpan.FromMinutes(10)) errors.Add("interval must be greater than 0 and at most 10m");
        if (Cooldown < TimeSpan.Zero) errors.Add("cooldown must not be negative");
        if (PrewarmHold < TimeSpan.Zero) errors.Add("prewarmHold must not be negative");
        if (UnhealthyVantageShare is < 0 or >= 1) errors.Add("unhealthyVantageShare must be in [0, 1)");
        if (Lease is not ("local" or "etcd")) errors.Add($"lease must be local or etcd (found '{Lease}')");
        if (Lease == "etcd" && !Uri.TryCreate(EtcdEndpoint, UriKind.Absolute, out _)) errors.Add("etcdEndpoint must be an absolute URL such as http://127.0.0.1:2379");
        if (Vantages is not { Count: > 0 }) errors.Add("vantages needs at least one vantage point");
        return errors;
    }

    public FailoverPolicy ToFailoverPolicy() => new() { RpoGuard = RpoGuard };
}
