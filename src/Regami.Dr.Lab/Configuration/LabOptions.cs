using System.Net;
using Regami.Dr.Core.Alarms;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Traffic;

namespace Regami.Dr.Lab.Configuration;

/// <summary>
/// The <c>lab:</c> section of regami-dr.yaml: where the local lab's servers listen. Everything the
/// plan says (regions and roles, health checks, controller, RPO guard…) is in the neutral part.
/// </summary>
public sealed class LabSection
{
    /// <summary>Loopback address (127.0.0.0/8) each region's servers bind, by region name.</summary>
    public Dictionary<string, string> Addresses { get; set; } = new()
    {
        ["eu-west-3"] = "127.0.0.2",
        ["eu-central-1"] = "127.0.0.3",
    };
    public PortOptions Ports { get; set; } = new();
    public DnsOptions Dns { get; set; } = new();
    public DatabaseOptions Database { get; set; } = new();
    public TimeoutOptions Timeouts { get; set; } = new();
    /// <summary>Where the controller's API, dashboard and /metrics listen.</summary>
    public ControllerEndpointOptions Controller { get; set; } = new();
}

public sealed class PortOptions
{
    public int Postgres { get; set; } = 5432;
    public int LoadBalancer { get; set; } = 8080;
    /// <summary>API instance i (1-based) of a region listens on FirstInstance + i - 1.</summary>
    public int FirstInstance { get; set; } = 8081;
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
    public TimeSpan LabUp { get; set; } = TimeSpan.FromSeconds(60);
    public TimeSpan ProcessStop { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class ControllerEndpointOptions
{
    /// <summary>Address of the controller's API; empty = the DNS server's address.</summary>
    public string Address { get; set; } = "";
    public int Port { get; set; } = 7480;
}

/// <summary>A region as the lab runs it: its name and first role from the plan, its address from <c>lab:</c>.</summary>
public sealed record RegionOptions(string Name, string Role, string Address)
{
    public bool IsPrimary => Role.Equals("primary", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// What the lab runs on: the neutral configuration and the <c>lab:</c> section, read together.
/// Forwards to the bound options types; copies nothing.
/// </summary>
public sealed class LabOptions(DrConfiguration config, LabSection lab)
{
    public DrConfiguration Config { get; } = config;
    public LabSection Lab { get; } = lab;

    public string Environment => Config.Environment;
    public IReadOnlyList<RegionOptions> Regions { get; } =
        config.Regions.Select(r => new RegionOptions(r.Name, r.Role, lab.Addresses.GetValueOrDefault(r.Name, ""))).ToList();
    public PortOptions Ports => Lab.Ports;
    public ComputeConfig Compute => Config.Compute;
    public DnsOptions Dns => Lab.Dns;
    public HealthCheckOptions HealthCheck => Config.HealthCheck;
    public DatabaseOptions Database => Lab.Database;
    public TimeoutOptions Timeouts => Lab.Timeouts;
    public ControllerPolicy Controller => Config.Controller;
    public AlarmPolicy Alarms => Config.Alarms;
    public ReplicationConfig Replication => Config.Replication;

    public RegionOptions PrimaryRegion => Regions.First(r => r.IsPrimary);
    public RegionOptions StandbyRegion => Regions.First(r => !r.IsPrimary);
    public RegionOptions? FindRegion(string name) => Regions.FirstOrDefault(r => r.Name == name);

    /// <summary>The embedded defaults: the lab of the design.</summary>
    public static LabOptions Defaults() => From(ConfigDocument.Empty(), new DrConfiguration());

    /// <summary>Binds <c>lab:</c> and checks it against the neutral part; errors name file, line and field.</summary>
    public static LabOptions From(ConfigDocument doc, DrConfiguration config)
    {
        var lab = doc.BindSection<LabSection>("lab");
        var o = new LabOptions(config, lab);
        void Fail(string field, string problem) => throw doc.Error(field, problem);

        foreach (var r in config.Regions)
        {
            if (!lab.Addresses.TryGetValue(r.Name, out var address))
                Fail("lab.addresses", $"has no address for region {r.Name} (e.g. `{r.Name}: 127.0.0.2`)");
            else if (!IsLoopback(address))
                Fail($"lab.addresses.{r.Name}", $"must be an IPv4 address in 127.0.0.0/8 (found '{address}'): the lab binds only to loopback");
        }
        foreach (var name in lab.Addresses.Keys.Where(n => config.FindRegion(n) is null))
            Fail($"lab.addresses.{name}", $"names no region of `regions:` ({string.Join(", ", config.Regions.Select(r => r.Name))})");
        if (o.Regions[0].Address == o.Regions[1].Address) Fail($"lab.addresses.{o.Regions[1].Name}", "each region needs its own address");
        CheckPort(lab.Ports.Postgres, "lab.ports.postgres");
        CheckPort(lab.Ports.LoadBalancer, "lab.ports.loadBalancer");
        CheckPort(lab.Ports.FirstInstance, "lab.ports.firstInstance");
        CheckPort(lab.Dns.Port, "lab.dns.port");
        CheckPort(lab.Controller.Port, "lab.controller.port");
        if (lab.Ports.LoadBalancer >= lab.Ports.FirstInstance && lab.Ports.LoadBalancer < lab.Ports.FirstInstance + config.Compute.MaxInstances)
            Fail("lab.ports.loadBalancer", "collides with the API instance port range");
        if (!IsLoopback(lab.Dns.Address)) Fail("lab.dns.address", $"must be an IPv4 address in 127.0.0.0/8 (found '{lab.Dns.Address}')");
        if (string.IsNullOrWhiteSpace(lab.Dns.Zone)) Fail("lab.dns.zone", "is required");
        if (string.IsNullOrWhiteSpace(lab.Dns.RecordName)) Fail("lab.dns.recordName", "is required");
        if (lab.Dns.TtlSeconds is < 0 or > 86400) Fail("lab.dns.ttlSeconds", "must be between 0 and 86400");
        // Resolvers may keep the old answer for a whole TTL after the switch: a TTL beyond the RTO breaks the objective by itself.
        if (TimeSpan.FromSeconds(lab.Dns.TtlSeconds) > config.Targets.Rto)
            Fail("lab.dns.ttlSeconds", $"{lab.Dns.TtlSeconds} s is longer than targets.rto ({DurationText.Format(config.Targets.Rto)}): clients could resolve the failed region for longer than the recovery objective");
        if (string.IsNullOrWhiteSpace(lab.Database.Name)) Fail("lab.database.name", "is required");
        if (lab.Timeouts.LabUp <= TimeSpan.Zero) Fail("lab.timeouts.labUp", "must be greater than 0");
        if (lab.Timeouts.ProcessStop <= TimeSpan.Zero) Fail("lab.timeouts.processStop", "must be greater than 0");
        if (lab.Controller.Address.Length > 0 && !IsLoopback(lab.Controller.Address))
            Fail("lab.controller.address", $"must be an IPv4 address in 127.0.0.0/8 (found '{lab.Controller.Address}')");
        return o;

        void CheckPort(int port, string field)
        {
            if (port is < 1024 or > 65535) Fail(field, $"must be between 1024 and 65535 (found {port}); ports below 1024 need root");
        }
    }

    private static bool IsLoopback(string address) =>
        IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && ip.GetAddressBytes()[0] == 127;
}
