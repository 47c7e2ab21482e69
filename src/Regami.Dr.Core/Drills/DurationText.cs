namespace Regami.Dr.Core.Drills;

/// <summary>Durations on the command line: 90 (seconds), 90s, 15m, 1h, or ISO 8601 (PT15M).</summary>
public static class DurationText
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        text = text.Trim();
        if (text.StartsWith("P", StringComparison.OrdinalIgnoreCase))
        {
            try { value = System.Xml.XmlConvert.ToTimeSpan(text.ToUpperInvariant()); return value >= TimeSpan.Zero; }
            catch (FormatException) { return false; }
        }
        var unit = text.Length > 0 && char.IsLetter(text[^1]) ? char.ToLowerInvariant(text[^1]) : 's';
        var number = char.IsLetter(text.LastOrDefault()) ? text[..^1] : text;
        if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 0 || double.IsInfinity(n))
            return false;
        double? seconds = unit switch { 's' => n, 'm' => n * 60, 'h' => n * 3600, _ => null };
        if (seconds is null) return false;
        value = TimeSpan.FromSeconds(seconds.Value);
        return true;
    }
}
