using System.Net;
using Regami.Dr.Lab.Configuration;

namespace Regami.Dr.Lab.Workload;

/// <summary>
/// What the drill workload writes, where, and how fast. Defaults are the embedded lab's: <c>api.regami.test</c>
/// through the DNS server on 127.0.0.1:5353, load balancers on :8080, 50 writes per second, 1 s per write.
/// </summary>
public sealed record WorkloadOptions
{
    /// <summary>The public name the writes go through (an A record of the lab's failover DNS).</summary>
    public string PublicName { get; init; } = "api.regami.test";

    /// <summary>The DNS server asked for <see cref="PublicName"/>.</summary>
    public string DnsAddress { get; init; } = "127.0.0.1";

    public int DnsPort { get; init; } = 5353;

    /// <summary>How long one DNS query may take; a name that does not resolve in time refuses the write (nothing was sent).</summary>
    public TimeSpan DnsTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Port of the load balancer at whichever address the name resolves to.</summary>
    public int LoadBalancerPort { get; init; } = 8080;

    /// <summary>Path the records are POSTed to.</summary>
    public string RecordsPath { get; init; } = "/api/records";

    /// <summary>Writes started per second, on a fixed schedule (not "sleep after each").</summary>
    public double RatePerSecond { get; init; } = 50;

    /// <summary>How long one write may take from name resolution to the answer; after that its outcome is unknown.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Writes in flight at most; the schedule waits for a free slot beyond that.</summary>
    public int MaxInFlight { get; init; } = 64;

    /// <summary>
    /// How late the schedule may fall (a stalled machine, every slot taken) before it drops the missed writes instead of
    /// sending them in a burst.
    /// </summary>
    public TimeSpan MaxScheduleLag { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The first seq written; the workload writes <c>FirstSeq, FirstSeq + 1, …</c>. Pick it above every seq
    /// already in the table, so the set check can read back exactly this range.</summary>
    public long FirstSeq { get; init; } = 1;

    /// <summary>Each payload is <c>{PayloadPrefix}-{seq}</c>.</summary>
    public string PayloadPrefix { get; init; } = "drill";

    /// <summary>
    /// Replaces the DNS lookup (tests, or a provider with its own resolution): returns the address to send the next
    /// write to, or null when the name does not resolve. Null (default) = DnsClient against <see cref="DnsAddress"/>.
    /// </summary>
    public Func<CancellationToken, Task<string?>>? Resolve { get; init; }

    /// <summary>The lab's public name, DNS server and load balancer port.</summary>
    public static WorkloadOptions ForLab(LabOptions lab) => new()
    {
        PublicName = lab.Dns.FullName,
        DnsAddress = lab.Dns.Address,
        DnsPort = lab.Dns.Port,
        LoadBalancerPort = lab.Ports.LoadBalancer,
    };

    /// <summary>Every problem with these options, one sentence each; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(RatePerSecond > 0 && RatePerSecond <= 10_000))
            errors.Add($"ratePerSecond must be between 0 (excluded) and 10000 (found {RatePerSecond})");
        if (RequestTimeout <= TimeSpan.Zero)
            errors.Add($"requestTimeout must be greater than 0 (found {RequestTimeout.TotalSeconds} s)");
        if (DnsTimeout <= TimeSpan.Zero)
            errors.Add($"dnsTimeout must be greater than 0 (found {DnsTimeout.TotalSeconds} s)");
        if (MaxInFlight < 1)
            errors.Add($"maxInFlight must be at least 1 (found {MaxInFlight})");
        if (MaxScheduleLag < TimeSpan.Zero)
            errors.Add($"maxScheduleLag must not be negative (found {MaxScheduleLag.TotalSeconds} s)");
        if (LoadBalancerPort is <= 0 or > 65535)
            errors.Add($"loadBalancerPort must be between 1 and 65535 (found {LoadBalancerPort})");
        if (string.IsNullOrWhiteSpace(RecordsPath) || !RecordsPath.StartsWith('/'))
            errors.Add($"recordsPath must start with '/' (found '{RecordsPath}')");
        if (Resolve is null)
        {
            if (string.IsNullOrWhiteSpace(PublicName))
                errors.Add("publicName is required");
            if (!IPAddress.TryParse(DnsAddress, out _))
                errors.Add($"dnsAddress must be an IP address (found '{DnsAddress}')");
            if (DnsPort is <= 0 or > 65535)
                errors.Add($"dnsPort must be between 1 and 65535 (found {DnsPort})");
        }
        return errors;
    }
}
