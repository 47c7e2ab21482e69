namespace Regami.Dr.Server.Notifications;

/// <summary>How secrets look in logs, messages and <c>ToString()</c>: never in full.</summary>
internal static class Secrets
{
    public const string Mask = "***";

    /// <summary>
    /// A webhook URL carries its token in the path (Slack: <c>/services/T…/B…/secret</c>), so only
    /// the scheme and host are shown: <c>https://hooks.slack.com/***</c>.
    /// </summary>
    public static string MaskUrl(string? url) =>
        url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? MaskUrl(uri) : Mask;

    public static string MaskUrl(Uri uri) =>
        uri.IsAbsoluteUri ? $"{uri.Scheme}://{uri.Authority}/{Mask}" : Mask;

    public static string MaskValue(string? secret) => secret is null ? "(none)" : Mask;

    /// <summary>The first <paramref name="max"/> characters of a response body, on one line.</summary>
    public static string Excerpt(string? body, int max = 200)
    {
        if (string.IsNullOrEmpty(body)) return "(empty body)";
        var oneLine = string.Join(' ', body.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return oneLine.Length <= max ? oneLine : oneLine[..max] + "…";
    }
}
