using System.Net;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Regami.Dr.Lab.Configuration;

/// <summary>
/// Reads a lab configuration file (YAML, camelCase keys), and validates it before anything runs.
/// Every error names the file, the line and the field.
/// </summary>
public static class LabOptionsLoader
{
    public const string EmbeddedName = "(embedded lab defaults)";

    public static LabOptions Load(string? path)
    {
        if (path is null)
        {
            var defaults = new LabOptions();
            Validate(defaults, EmbeddedName, null);
            return defaults;
        }
        if (!File.Exists(path))
            throw new ConfigurationException(path, null, null, "file not found");
        return Parse(File.ReadAllText(path), path);
    }

    public static LabOptions Parse(string yaml, string fileName)
    {
        var deserializer = new DeserializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .Build();
        LabOptions options;
        try
        {
            options = deserializer.Deserialize<LabOptions?>(yaml) ?? new LabOptions();
        }
        catch (YamlException e)
        {
            throw new ConfigurationException(fileName, (int)e.Start.Line, FieldOf(e), Inner(e));
        }
        Validate(options, fileName, yaml);
        return options;
    }

    private static string? FieldOf(YamlException e)
    {
        // YamlDotNet says "Property 'x' not found on type '...'" for unknown keys.
        var msg = Inner(e);
        var start = msg.IndexOf("Property '", StringComparison.Ordinal);
        if (start < 0) return null;
        start += "Property '".Length;
        var end = msg.IndexOf('\'', start);
        return end > start ? msg[start..end] : null;
    }

    private static string Inner(Exception e)
    {
        while (e.InnerException is not null && e.Message.StartsWith("(Line", StringComparison.Ordinal)) e = e.InnerException;
        var msg = e.Message;
        // Drop YamlDotNet's "(Line: 3, Col: 5, Idx: 20) - (...): " prefix, we print our own location.
        var dash = msg.IndexOf("): ", StringComparison.Ordinal);
        return msg.StartsWith("(Line", StringComparison.Ordinal) && dash > 0 ? msg[(dash + 3)..] : msg;
    }

    /// <summary>Checks every rule; throws for the first broken one with its location.</summary>
    public static void Validate(LabOptions o, string fileName, string? yaml)
    {
        var locate = yaml is null ? (Func<string, int?>)(_ => null) : YamlLocator.For(yaml);
        void Fail(string field, string problem) => throw new ConfigurationException(fileName, locate(field), field, problem);

        if (o.Regions.Count != 2) Fail("regions", $"the lab has exactly two regions (found {o.Regions.Count})");
        if (o.Regions.Count(r => r.IsPrimary) != 1) Fail("regions", "exactly one region must have role: primary");
        for (var i = 0; i < o.Regions.Count; i++)
        {
            var r = o.Regions[i];
            if (string.IsNullOrWhiteSpace(r.Name)) Fail($"regions[{i}].name", "is required");
            if (r.Role is not ("primary" or "standby")) Fail($"regions[{i}].role", $"must be primary or standby (found '{r.Role}')");
            if (!IsLoopback(r.Address)) Fail($"regions[{i}].address", $"must be an IPv4 address in 127.0.0.0/8 (found '{r.Address}'): the lab binds only to loopback");
        }
        if (o.Regions.Count == 2 && o.Regions[0].Name == o.Regions[1].Name) Fail("regions[1].name", "region names must differ");
        if (o.Regions.Count == 2 && o.Regions[0].Address == o.Regions[1].Address) Fail("regions[1].address", "each region needs its own address");
        if (o.Replication.Mode is not ("async" or "sync")) Fail("replication.mode", $"must be async or sync (found '{o.Replication.Mode}')");
        CheckPort(o.Ports.Postgres, "ports.postgres");
        CheckPort(o.Ports.LoadBalancer, "ports.loadBalancer");
        CheckPort(o.Ports.FirstInstance, "ports.firstInstance");
        CheckPort(o.Dns.Port, "dns.port");
        if (o.Ports.LoadBalancer >= o.Ports.FirstInstance && o.Ports.LoadBalancer < o.Ports.FirstInstance + o.Compute.MaxInstances)
            Fail("ports.loadBalancer", "collides with the API instance port range");
        if (o.Compute.MaxInstances is < 1 or > 64) Fail("compute.maxInstances", "must be between 1 and 64");
        if (o.Compute.ActiveInstances < 1 || o.Compute.ActiveInstances > o.Compute.MaxInstances)
            Fail("compute.activeInstances", $"must be between 1 and compute.maxInstances ({o.Compute.MaxInstances})");
        if (o.Compute.StandbyInstances < 0 || o.Compute.StandbyInstances > o.Compute.MaxInstances)
            Fail("compute.standbyInstances", $"must be between 0 and compute.maxInstances ({o.Compute.MaxInstances})");
        if (!IsLoopback(o.Dns.Address)) Fail("dns.address", $"must be an IPv4 address in 127.0.0.0/8 (found '{o.Dns.Address}')");
        if (string.IsNullOrWhiteSpace(o.Dns.Zone)) Fail("dns.zone", "is required");
        if (string.IsNullOrWhiteSpace(o.Dns.RecordName)) Fail("dns.recordName", "is required");
        if (o.Dns.TtlSeconds is < 0 or > 86400) Fail("dns.ttlSeconds", "must be between 0 and 86400");
        if (o.HealthCheck.IntervalSeconds is <= 0 or > 600) Fail("healthCheck.intervalSeconds", "must be > 0 and ≤ 600");
        if (o.HealthCheck.FailureThreshold is < 1 or > 10) Fail("healthCheck.failureThreshold", "must be between 1 and 10 (as Route 53)");
        if (o.HealthCheck.TimeoutSeconds <= 0 || o.HealthCheck.TimeoutSeconds > o.HealthCheck.IntervalSeconds)
            Fail("healthCheck.timeoutSeconds", $"must be > 0 and ≤ healthCheck.intervalSeconds ({o.HealthCheck.IntervalSeconds}): a probe may not overlap the next one");
        if (!o.HealthCheck.Path.StartsWith('/')) Fail("healthCheck.path", "must start with /");
        if (string.IsNullOrWhiteSpace(o.Database.Name)) Fail("database.name", "is required");
        if (o.Timeouts.LabUpSeconds <= 0) Fail("timeouts.labUpSeconds", "must be > 0");
        if (o.Timeouts.ProcessStopSeconds <= 0) Fail("timeouts.processStopSeconds", "must be > 0");
        if (o.Controller.Address.Length > 0 && !IsLoopback(o.Controller.Address)) Fail("controller.address", $"must be an IPv4 address in 127.0.0.0/8 (found '{o.Controller.Address}')");
        CheckPort(o.Controller.Port, "controller.port");
        if (o.Controller.IntervalSeconds is <= 0 or > 600) Fail("controller.intervalSeconds", "must be > 0 and ≤ 600");
        if (o.Controller.MaxLagOnFailoverSeconds < 0) Fail("controller.maxLagOnFailoverSeconds", "must not be negative");
        if (o.Controller.CooldownSeconds < 0) Fail("controller.cooldownSeconds", "must not be negative");
        if (o.Controller.Lease is not ("local" or "etcd")) Fail("controller.lease", $"must be local or etcd (found '{o.Controller.Lease}')");
        if (o.Controller.Lease == "etcd" && !Uri.TryCreate(o.Controller.EtcdEndpoint, UriKind.Absolute, out _)) Fail("controller.etcdEndpoint", "must be an absolute URL such as http://127.0.0.1:2379");
        if (o.Controller.Vantages.Count == 0) Fail("controller.vantages", "needs at least one vantage point");
        if (o.Notifications.RepeatSeconds <= 0) Fail("notifications.repeatSeconds", "must be > 0");
        foreach (var (name, url) in o.Notifications.ChatWebhooks)
            if (!Uri.TryCreate(url, UriKind.Absolute, out _)) Fail($"notifications.chatWebhooks.{name}", "must be an absolute URL");
        if (o.Notifications.Smtp is { } smtp && string.IsNullOrWhiteSpace(smtp.Host)) Fail("notifications.smtp.host", "is required when smtp is set");

        void CheckPort(int port, string field)
        {
            if (port is < 1024 or > 65535) Fail(field, $"must be between 1024 and 65535 (found {port}); ports below 1024 need root");
        }
    }

    private static bool IsLoopback(string address) =>
        IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && ip.GetAddressBytes()[0] == 127;
}

/// <summary>Finds the line of a dotted field path (e.g. <c>regions[1].address</c>) in a YAML text.</summary>
internal static class YamlLocator
{
    public static Func<string, int?> For(string yaml)
    {
        YamlNode? root = null;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            root = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
        }
        catch (YamlException) { }
        return path => root is null ? null : Find(root, path);
    }

    private static int? Find(YamlNode node, string path)
    {
        var current = node;
        int? line = null;
        foreach (var part in path.Split('.'))
        {
            var name = part;
            int? index = null;
            var bracket = part.IndexOf('[');
            if (bracket > 0)
            {
                name = part[..bracket];
                index = int.Parse(part[(bracket + 1)..part.IndexOf(']')]);
            }
            if (current is not YamlMappingNode map) return line;
            var entry = map.Children.FirstOrDefault(kv => kv.Key is YamlScalarNode k && k.Value == name);
            if (entry.Key is null) return line ?? (int)map.Start.Line;
            line = (int)entry.Key.Start.Line;
            current = entry.Value;
            if (index is { } i)
            {
                if (current is YamlSequenceNode seq && i < seq.Children.Count)
                {
                    current = seq.Children[i];
                    line = (int)current.Start.Line;
                }
                else return line;
            }
        }
        return line;
    }
}
