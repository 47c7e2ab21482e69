using System.Globalization;

namespace Regami.Dr.Core.Configuration;

/// <summary>
/// Durations as people write them, in the configuration and on the command line: 90 (seconds),
/// 90s, 1.5s, 15m, 1h, 7d, or ISO 8601 (PT15M). One parser, so a value means the same everywhere.
/// </summary>
public static class DurationText
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (text is null) return false;
        text = text.Trim();
        if (text.Length == 0) return false;
        if (text.StartsWith('P') || text.StartsWith('p'))
        {
            try { value = System.Xml.XmlConvert.ToTimeSpan(text.ToUpperInvariant()); return value >= TimeSpan.Zero; }
            catch (FormatException) { return false; }
        }
        var unit = char.IsLetter(text[^1]) ? char.ToLowerInvariant(text[^1]) : 's';
        var number = char.IsLetter(text[^1]) ? text[..^1] : text;
        if (unit == 's' && number.EndsWith('m')) { unit = 'µ'; number = number[..^1]; } // "ms"
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < 0 || double.IsInfinity(n) || double.IsNaN(n))
            return false;
        double? seconds = unit switch { 'µ' => n / 1000, 's' => n, 'm' => n * 60, 'h' => n * 3600, 'd' => n * 86400, _ => null };
        if (seconds is null) return false;
        value = TimeSpan.FromSeconds(seconds.Value);
        return true;
    }

    /// <summary>The shortest exact spelling TryParse reads back: 1s, 90s, 15m, 1h, 250ms.</summary>
    public static string Format(TimeSpan value)
    {
        if (value.Ticks % TimeSpan.TicksPerSecond != 0) return $"{value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";
        var s = (long)value.TotalSeconds;
        if (s != 0 && s % 3600 == 0) return $"{s / 3600}h";
        if (s != 0 && s % 60 == 0) return $"{s / 60}m";
        return $"{s}s";
    }
}
