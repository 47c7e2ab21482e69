using System.Security.Cryptography;
using System.Text;

namespace Regami.Dr.Core.Notifications;

/// <summary>
/// The short id of an alert key, for <c>regami-dr alerts ack ID</c>: the first 8 hex digits of the
/// SHA-256 of the key's UTF-8 bytes. Stable across processes and versions (unlike
/// <see cref="string.GetHashCode()"/>), so a controller restart does not change what people type.
/// </summary>
public static class AlertId
{
    /// <summary>Number of hex digits in an id.</summary>
    public const int Length = 8;

    public static string For(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return Convert.ToHexStringLower(hash[..(Length / 2)]);
    }
}
