using System.Globalization;

namespace Regami.Dr.Core.Runbooks.Journal;

/// <summary>Run ids: the kind, the start time in UTC and a short random suffix, e.g. <c>failover-20261124T213000Z-ab12</c>.</summary>
public static class RunId
{
    /// <summary>Builds a run id. <paramref name="kind"/> must be lowercase letters, digits and dashes.</summary>
    public static string Create(string kind, DateTimeOffset startedAt, ushort suffix)
    {
        if (!IsValidKind(kind))
            throw new ArgumentException($"runbook kind '{kind}' must be lowercase letters, digits and dashes (e.g. failover)", nameof(kind));
        return string.Create(CultureInfo.InvariantCulture, $"{kind}-{startedAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{suffix:x4}");
    }

    /// <summary>True for a non-empty kind of lowercase ASCII letters, digits and dashes.</summary>
    public static bool IsValidKind(string? kind) =>
        !string.IsNullOrEmpty(kind) && kind.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
}
