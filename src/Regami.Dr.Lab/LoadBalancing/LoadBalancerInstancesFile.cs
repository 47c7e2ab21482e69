using System.Text.Json;
using System.Text.Json.Serialization;

namespace Regami.Dr.Lab.LoadBalancing;

/// <summary>One API instance behind a regional load balancer.</summary>
public sealed record LoadBalancerInstance(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("url")] string Url);

/// <summary>
/// Reads and writes the instances file of a regional load balancer:
/// <c>{"instances":[{"id":"eu-west-3-1","url":"http://127.0.0.2:8081"}, ...]}</c>.
/// </summary>
public static class LoadBalancerInstancesFile
{
    private static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = true };

    private sealed class FileModel
    {
        [JsonPropertyName("instances")]
        public List<LoadBalancerInstance>? Instances { get; set; }
    }

    /// <summary>
    /// Parses the file content. Entries without a usable absolute http(s) URL are skipped,
    /// a missing id defaults to the URL, duplicate ids keep the first entry.
    /// </summary>
    /// <exception cref="JsonException">The content is not valid JSON of the expected shape.</exception>
    public static IReadOnlyList<LoadBalancerInstance> Parse(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }

        var model = JsonSerializer.Deserialize<FileModel>(json, new JsonSerializerOptions
        {
            PropertyNameCaseInsensitive = true,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });

        var result = new List<LoadBalancerInstance>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in model?.Instances ?? [])
        {
            if (entry is null || string.IsNullOrWhiteSpace(entry.Url)
                || !Uri.TryCreate(entry.Url.Trim(), UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                continue;
            }

            var id = string.IsNullOrWhiteSpace(entry.Id) ? entry.Url.Trim() : entry.Id.Trim();
            if (seen.Add(id))
            {
                result.Add(new LoadBalancerInstance(id, entry.Url.Trim()));
            }
        }

        return result;
    }

    /// <summary>Reads the file; a missing file means no instances.</summary>
    public static IReadOnlyList<LoadBalancerInstance> Read(string path)
        => File.Exists(path) ? Parse(File.ReadAllText(path)) : [];

    /// <summary>Serializes a list of instances in the file format.</summary>
    public static string Serialize(IEnumerable<LoadBalancerInstance> instances)
        => JsonSerializer.Serialize(new FileModel { Instances = instances.ToList() }, WriteOptions);

    /// <summary>
    /// Writes the file atomically (temporary file in the same directory, then rename),
    /// so a polling load balancer never sees a half-written file.
    /// </summary>
    public static async Task WriteAsync(string path, IEnumerable<LoadBalancerInstance> instances, CancellationToken ct = default)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            await File.WriteAllTextAsync(tmp, Serialize(instances), ct);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp))
            {
                File.Delete(tmp);
            }
        }
    }
}
