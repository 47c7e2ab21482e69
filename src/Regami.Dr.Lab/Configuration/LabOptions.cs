using Regami.Dr.Core.Topology;

namespace Regami.Dr.Lab.Configuration;

// Option records of the local lab. Bound from YAML (camelCase keys) and validated once,
// before anything starts; every timing carries its unit in its name.

public sealed class LabOptions
{
    public string Environment { get; set; } = "lab";
    public ReplicationOptions Replication { get; set; } = new();
    public List<RegionOptions> Regions { get; set; } =
    [
        new() { Name = "eu-west-3", Role = "primary", Address = "127.0.0.2" },
        new() { Name = "eu-central-1", Role = "standby", Address = "127.0.0.3" },
    ];
    public PortOptions Ports { get; set; } = new();
    public ComputeOptions Compute { get; set; } = new();
    public DnsOptions Dns { get; set; } = new();
    public HealthCheckConfig HealthCheck { get; set; } = new();
    public DatabaseOptions Database { get; set; } = new();
    public TimeoutOptions Timeouts { get; set; } = new();
    public ControllerConfig Controller { get; set; } = new();
    public NotificationsConfig Notifications { get; set; } = new();

    public RegionOptions PrimaryRegion => Regions.First(r => r.IsPrimary);
    public RegionOptions StandbyRegion => Regions.First(r => !r.IsPrimary);
    public RegionOptions? FindRegion(string name) => Regions.FirstOrDefault(r => r.Name == name);
}

public sealed class ReplicationOptions
{
    /// <summary>async (default) or sync.</summary>
    public string Mode { get; set; } = "async";
    public ReplicationMode ParsedMode => Mode.Equals("sync", StringComparison.OrdinalIgnoreCase) ? ReplicationMode.Sync : ReplicationMode.Async;
}

public sealed class RegionOptions
{
    public string Name { get; set; } = "";
    /// <summary>The role the region has when the lab is first created: primary or standby.</summary>
    public string Role { get; set; } = "standby";
    /// <summary>Loopback address the region's servers bind (127.0.0.0/8).</summary>
    public string Address { get; set; } = "";
    public bool IsPrimary => Role.Equals("primary", StringComparison.OrdinalIgnoreCase);
}

public sealed class PortOptions
{
    public int Postgres { get; set; } = 5432;
    public int LoadBalancer { get; set; } = 8080;
    /// <summary>API instance i (1-based) of a region listens on FirstInstance + i - 1.</summary>
    public int FirstInstance { get; set; } = 8081;
}

public sealed class ComputeOptions
{
    /// <summary>Instances the region that takes traffic runs.</summary>
    public int ActiveInstances { get; set; } = 2;
    /// <summary>Instances a standby region runs until it is failed over to (the plan's stopped service).</summary>
    public int StandbyInstances { get; set; } = 0;
    public int MaxInstances { get; set; } = 8;
}

public sealed class DnsOptions
{
    public string Address { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 5353;
    public string Zone { get; set; } = "regami.test";
    public string RecordName { get; set; } = "api";
    public int TtlSeconds { get; set; } = 1;
    public string FullName => $"{RecordName}.{Zone}";
}

public sealed class HealthCheckConfig
{
    public double IntervalSeconds { get; set; } = 1;
    public int FailureThreshold { get; set; } = 3;
    public double TimeoutSeconds { get; set; } = 1;
    public string Path { get; set; } = "/health?check=db";
}

public sealed class DatabaseOptions
{
    public string Name { get; set; } = "regami";
    public string User { get; set; } = "postgres";
    /// <summary>Directory of PostgreSQL's server programs; empty = find PostgreSQL 15 (or newer) by itself.</summary>
    public string BinDirectory { get; set; } = "";
}

public sealed class TimeoutOptions
{
    /// <summary>How long `lab up` waits for everything to be healthy.</summary>
    public double LabUpSeconds { get; set; } = 60;
    public double ProcessStopSeconds { get; set; } = 10;
}

public sealed class ControllerConfig
{
    /// <summary>`lab up` starts a controller (`regami-dr monitor`) unless this is false or --no-controller is given.</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>Address of the controller's API, dashboard and /metrics; empty = the DNS server's address.</summary>
    public string Address { get; set; } = "";
    public int Port { get; set; } = 7480;
    public double IntervalSeconds { get; set; } = 1;
    public bool AutomaticFailover { get; set; } = true;
    /// <summary>The RPO guard of automatic failovers (the plan's RPO: 300 s).</summary>
    public double MaxLagOnFailoverSeconds { get; set; } = 300;
    public long MaxLagBytesOnFailover { get; set; } = 256L * 1024 * 1024;
    /// <summary>No second automatic failover within this time (the plan has 15 min; the lab rehearses faster).</summary>
    public double CooldownSeconds { get; set; } = 60;
    /// <summary>local (a lock file, one controller) or etcd (controllers in several regions).</summary>
    public string Lease { get; set; } = "local";
    public string EtcdEndpoint { get; set; } = "http://127.0.0.1:2379";
    /// <summary>Vantage points probing each region; the lab probes from each region's address.</summary>
    public List<string> Vantages { get; set; } = ["local"];
}

public sealed class NotificationsConfig
{
    public bool Console { get; set; } = true;
    /// <summary>JSON lines file of every delivery; empty = alerts.jsonl in the state directory.</summary>
    public string File { get; set; } = "";
    /// <summary>Slack-compatible incoming webhooks by name (a secret: never printed).</summary>
    public Dictionary<string, string> ChatWebhooks { get; set; } = [];
    public SmtpConfig? Smtp { get; set; }
    public List<string> EmailTo { get; set; } = [];
    public double RepeatSeconds { get; set; } = 30;
}

public sealed class SmtpConfig
{
    public string Host { get; set; } = "";
    public int Port { get; set; } = 25;
    public string From { get; set; } = "regami-dr@localhost";
    public string Security { get; set; } = "none";
    public string? Username { get; set; }
    public string? Password { get; set; }
}
