using System.Text.Json;

namespace Regami.Dr.Lab.Dns;

/// <summary>
/// The lab's stand-in for Route 53 ARC routing controls: a JSON object of region → on/off, e.g.
/// <c>{"eu-west-3": true, "eu-central-1": false}</c>. A missing file means every control is on.
/// <see cref="Refresh"/> re-reads it only when its modification time or size changed; a file that
/// cannot be parsed leaves the last good state in force and is reported in <see cref="Error"/>.
/// </summary>
public sealed class RoutingControlsFile
{
    private static readonly IReadOnlyDictionary<string, bool> AllOn = new Dictionary<string, bool>();

    private readonly WatchedJsonFile<Dictionary<string, bool>>? _file;

    public RoutingControlsFile(string? path)
    {
        Path = string.IsNullOrWhiteSpace(path) ? null : System.IO.Path.GetFullPath(path);
        _file = Path is null ? null : new WatchedJsonFile<Dictionary<string, bool>>(Path);
    }

    /// <summary>The file's full path; null when routing controls are not configured (all on).</summary>
    public string? Path { get; }

    /// <summary>Routing controls by region; regions not listed are on.</summary>
    public IReadOnlyDictionary<string, bool> Current { get; private set; } = AllOn;

    /// <summary>Why the file was last rejected; null when the last read succeeded.</summary>
    public string? Error { get; private set; }

    /// <summary>Re-reads the file if it changed since the last call. Returns true when <see cref="Current"/> changed.</summary>
    public bool Refresh()
    {
        if (_file?.TryReadIfChanged() is not { Changed: true } read) return false;
        if (read.Error is { } error)
        {
            // Keep the last good state.
            Error = $"{error} (keeping the previous routing controls)";
            return false;
        }
        Error = null;
        IReadOnlyDictionary<string, bool> next = read.Value ?? AllOn;
        var changed = !SameControls(Current, next);
        Current = next;
        return changed;
    }

    /// <summary>Writes routing controls atomically (temporary file + rename), for the CLI and tests.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, bool> controls)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(controls, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>"eu-west-3 on, eu-central-1 off", or "all on" — for logs.</summary>
    public static string Describe(IReadOnlyDictionary<string, bool> controls) =>
        controls.Count == 0
            ? "all on"
            : string.Join(", ", controls.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {(c.Value ? "on" : "off")}"));

    private static bool SameControls(IReadOnlyDictionary<string, bool> a, IReadOnlyDictionary<string, bool> b)
    {
        // A region that is absent is on, so {"x": true} and {} route the same way.
        var regions = a.Keys.Union(b.Keys);
        return regions.All(r => a.GetValueOrDefault(r, true) == b.GetValueOrDefault(r, true));
    }
}
