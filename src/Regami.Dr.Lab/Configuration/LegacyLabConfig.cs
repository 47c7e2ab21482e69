using Regami.Dr.Core.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Regami.Dr.Lab.Configuration;

/// <summary>
/// The lab configuration layout from before regami-dr.yaml (lab-only keys at the top level,
/// durations as <c>…Seconds</c> numbers). Such files keep working: they are converted to the
/// new layout in memory, and `regami-dr config convert FILE` prints the converted text.
/// </summary>
public static class LegacyLabConfig
{
    private static readonly string[] LabOnlyKeys = ["ports", "dns", "database", "timeouts"];

    /// <summary>Whether <paramref name="yaml"/> is in the old layout (no provider or lab section, and lab keys at the top).</summary>
    public static bool IsLegacy(string yaml)
    {
        var root = Root(yaml);
        if (root is null || Has(root, "provider") || Has(root, "lab")) return false;
        if (LabOnlyKeys.Any(k => Has(root, k))) return true;
        if (Get(root, "regions") is YamlSequenceNode regions && regions.OfType<YamlMappingNode>().Any(r => Has(r, "address"))) return true;
        return new[] { ("healthCheck", "intervalSeconds"), ("healthCheck", "timeoutSeconds"), ("controller", "intervalSeconds"), ("controller", "cooldownSeconds"),
                       ("controller", "maxLagOnFailoverSeconds"), ("notifications", "repeatSeconds"), ("notifications", "emailTo") }
            .Any(p => Get(root, p.Item1) is YamlMappingNode m && Has(m, p.Item2));
    }

    /// <summary>The same configuration in the regami-dr.yaml layout.</summary>
    public static string Convert(string yaml)
    {
        var root = Root(yaml) ?? new YamlMappingNode();
        var output = new YamlMappingNode { { "provider", "lab" } };
        var lab = new YamlMappingNode();
        Copy(root, "environment", output);
        Copy(root, "replication", output);
        if (Get(root, "regions") is YamlSequenceNode regions)
        {
            var neutral = new YamlSequenceNode();
            var addresses = new YamlMappingNode();
            foreach (var r in regions.OfType<YamlMappingNode>())
            {
                var region = new YamlMappingNode();
                Copy(r, "name", region);
                Copy(r, "role", region);
                neutral.Add(region);
                if (Get(r, "name") is YamlScalarNode name && Get(r, "address") is { } address) addresses.Add(name.Value!, address);
            }
            output.Add("regions", neutral);
            if (addresses.Children.Count > 0) lab.Add("addresses", addresses);
        }
        Copy(root, "compute", output);
        if (Get(root, "healthCheck") is YamlMappingNode hc)
            output.Add("healthCheck", Renamed(hc, ("intervalSeconds", "requestInterval", true), ("timeoutSeconds", "timeout", true)));
        var rpoGuard = new YamlMappingNode();
        if (Get(root, "controller") is YamlMappingNode c)
        {
            var controller = new YamlMappingNode();
            var endpoint = new YamlMappingNode();
            foreach (var (k, v) in c.Children)
            {
                var key = ((YamlScalarNode)k).Value;
                switch (key)
                {
                    case "address" or "port": endpoint.Add(key, v); break;
                    case "intervalSeconds": controller.Add("interval", Seconds(v)); break;
                    case "cooldownSeconds": controller.Add("cooldown", Seconds(v)); break;
                    case "maxLagOnFailoverSeconds": rpoGuard.Add("maxLag", Seconds(v)); break;
                    case "maxLagBytesOnFailover": rpoGuard.Add("maxLagBytes", v); break;
                    default: controller.Add(k, v); break;
                }
            }
            if (controller.Children.Count > 0) output.Add("controller", controller);
            if (endpoint.Children.Count > 0) lab.Add("controller", endpoint);
        }
        if (rpoGuard.Children.Count > 0) output.Add("rpoGuard", rpoGuard);
        if (Get(root, "notifications") is YamlMappingNode n)
        {
            var notifications = Renamed(n, ("file", "filePath", false), ("emailTo", "defaultEmailRecipients", false), ("repeatSeconds", "repeatInterval", true));
            if (Get(notifications, "smtp") is YamlMappingNode smtp)
            {
                var renamed = Renamed(smtp, ("security", "useTls", false));
                if (Get(renamed, "useTls") is YamlScalarNode tls)
                    tls.Value = tls.Value switch { "starttls" => "StartTls", "ssl" => "SslOnConnect", _ => "None" };
                notifications.Children[new YamlScalarNode("smtp")] = renamed;
            }
            if (Get(notifications, "filePath") is YamlScalarNode { Value: "" }) notifications.Children.Remove(new YamlScalarNode("filePath"));
            output.Add("notifications", notifications);
        }
        Copy(root, "ports", lab);
        Copy(root, "dns", lab);
        Copy(root, "database", lab);
        if (Get(root, "timeouts") is YamlMappingNode t)
            lab.Add("timeouts", Renamed(t, ("labUpSeconds", "labUp", true), ("processStopSeconds", "processStop", true)));
        if (lab.Children.Count > 0) output.Add("lab", lab);
        var writer = new StringWriter();
        new YamlStream(new YamlDocument(output)).Save(writer, assignAnchors: false);
        return writer.ToString().Replace("\n...\n", "\n").TrimEnd('.', '\n', '\r') + "\n";
    }

    private static YamlMappingNode Renamed(YamlMappingNode m, params (string From, string To, bool Seconds)[] renames)
    {
        var result = new YamlMappingNode();
        foreach (var (k, v) in m.Children)
        {
            var key = ((YamlScalarNode)k).Value;
            var rename = renames.FirstOrDefault(r => r.From == key);
            if (rename.From is null) result.Add(k, v);
            else result.Add(rename.To, rename.Seconds ? Seconds(v) : v);
        }
        return result;
    }

    /// <summary>A number of seconds becomes a duration with its unit (the new layout's spelling).</summary>
    private static YamlNode Seconds(YamlNode v) => v is YamlScalarNode s ? new YamlScalarNode($"{s.Value}s") : v;

    private static void Copy(YamlMappingNode from, string key, YamlMappingNode to)
    {
        if (Get(from, key) is { } v) to.Add(key, v);
    }

    private static YamlNode? Get(YamlMappingNode m, string key) => m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
    private static bool Has(YamlMappingNode m, string key) => m.Children.ContainsKey(new YamlScalarNode(key));

    private static YamlMappingNode? Root(string yaml)
    {
        // Building a tree is recursive: a text the loader refuses (too deep, a YAML bomb, binary) is
        // not loaded here; the real parse reports it with its line.
        if (!ConfigDocument.IsWellFormed(yaml)) return null;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            return stream.Documents.Count > 0 ? stream.Documents[0].RootNode as YamlMappingNode : null;
        }
        catch (YamlException)
        {
            return null; // the real parse reports the syntax error with its line
        }
    }
}
