using System.Security.Cryptography;

namespace Regami.Dr.Server.Api;

/// <summary>
/// The token mutating API calls need. Generated at first start into the state directory with
/// mode 0600; never logged or printed (`cat` the file to use it).
/// </summary>
public sealed class BearerToken
{
    private readonly byte[] expected;

    private BearerToken(string token) => expected = System.Text.Encoding.UTF8.GetBytes(token);

    public static BearerToken LoadOrCreate(string file)
    {
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
            using (var stream = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            using (var writer = new StreamWriter(stream)) writer.Write(token);
        }
        return new BearerToken(File.ReadAllText(file).Trim());
    }

    /// <summary>Constant-time comparison of an Authorization header's bearer token.</summary>
    public bool Accepts(string? authorizationHeader)
    {
        const string prefix = "Bearer ";
        if (authorizationHeader is null || !authorizationHeader.StartsWith(prefix, StringComparison.Ordinal)) return false;
        var given = System.Text.Encoding.UTF8.GetBytes(authorizationHeader[prefix.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
