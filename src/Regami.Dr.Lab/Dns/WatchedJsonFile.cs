using System.Text.Json;

namespace Regami.Dr.Lab.Dns;

/// <summary>
/// A small JSON control file that another process rewrites atomically (temporary file + rename):
/// <see cref="TryReadIfChanged"/> parses it only when its modification time or size changed since
/// the last call, so it can be polled often. A missing file reads as <c>missing</c>; a file that
/// cannot be parsed is reported and read again on the next call even if untouched.
/// </summary>
internal sealed class WatchedJsonFile<T>(string path) where T : class
{
    private static readonly JsonSerializerOptions ReadOptions = new()
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        PropertyNameCaseInsensitive = true,
    };

    private (bool Exists, DateTime WrittenAtUtc, long Length)? _seen;

    public string Path { get; } = path;

    /// <summary>
    /// <c>Unchanged</c> when the file is as last seen; otherwise its parsed value (null when the file
    /// does not exist), or the error that kept it from being read.
    /// </summary>
    public WatchedRead<T> TryReadIfChanged()
    {
        var info = new FileInfo(Path);
        var seen = info.Exists ? (true, info.LastWriteTimeUtc, info.Length) : (false, DateTime.MinValue, 0L);
        if (_seen == seen) return WatchedRead<T>.Unchanged;
        _seen = seen;
        if (!info.Exists) return new WatchedRead<T>(true, null, null);
        try
        {
            var value = JsonSerializer.Deserialize<T>(File.ReadAllText(Path), ReadOptions)
                        ?? throw new JsonException("the file holds null, not an object");
            return new WatchedRead<T>(true, value, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            _seen = null; // try again next time, even if the file is not touched
            return new WatchedRead<T>(true, null, $"{Path}: {e.Message}");
        }
    }
}

/// <summary>One poll of a <see cref="WatchedJsonFile{T}"/>: whether it changed, and its value or error.</summary>
internal readonly record struct WatchedRead<T>(bool Changed, T? Value, string? Error) where T : class
{
    public static WatchedRead<T> Unchanged => new(false, null, null);
}
