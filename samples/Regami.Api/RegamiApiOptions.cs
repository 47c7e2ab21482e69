using Npgsql;

namespace Regami.Api;

/// <summary>Thrown when required configuration is missing or invalid; the message names the key.</summary>
public sealed class RegamiApiConfigurationException : InvalidOperationException
{
    public RegamiApiConfigurationException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Validated settings read from the <c>Regami</c> configuration section.</summary>
internal sealed class RegamiApiOptions
{
    public const string RegionKey = "Regami:Region";
    public const string ConnectionStringKey = "Regami:ConnectionString";
    public const string InstanceIdKey = "Regami:InstanceId";

    public required string Region { get; init; }
    /// <summary>Connection string for request traffic (pooled, defaults Timeout=2, Command Timeout=2).</summary>
    public required string ConnectionString { get; init; }
    /// <summary>Connection string for <c>/health?check=db</c> (no pooling, Timeout=1, Command Timeout=1, no cancel wait).</summary>
    public required string HealthConnectionString { get; init; }
    public required string InstanceId { get; init; }

    public static RegamiApiOptions FromConfiguration(IConfiguration configuration)
    {
        var region = configuration[RegionKey];
        if (string.IsNullOrWhiteSpace(region))
            throw new RegamiApiConfigurationException(
                $"Missing required configuration '{RegionKey}' (command line --{RegionKey}=eu-west-3 or environment variable Regami__Region).");

        var raw = configuration[ConnectionStringKey];
        if (string.IsNullOrWhiteSpace(raw))
            throw new RegamiApiConfigurationException(
                $"Missing required configuration '{ConnectionStringKey}' (command line \"--{ConnectionStringKey}=Host=...;Port=...;Username=...;Database=regami\" or environment variable Regami__ConnectionString).");

        NpgsqlConnectionStringBuilder main;
        NpgsqlConnectionStringBuilder health;
        try
        {
            main = new NpgsqlConnectionStringBuilder(raw);
            health = new NpgsqlConnectionStringBuilder(raw);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            throw new RegamiApiConfigurationException(
                $"Invalid configuration '{ConnectionStringKey}': not a valid Npgsql connection string ({ex.Message}).", ex);
        }

        region = region.Trim();
        var explicitKeys = ExplicitKeys(raw);
        // A hung database must not hang requests: short defaults unless the operator chose otherwise.
        if (!explicitKeys.Contains("timeout")) main.Timeout = 2;
        if (!explicitKeys.Contains("commandtimeout")) main.CommandTimeout = 2;
        if (!explicitKeys.Contains("cancellationtimeout")) main.CancellationTimeout = 500;
        if (!explicitKeys.Contains("applicationname")) main.ApplicationName = $"regami-api-{region}";

        // The health probe must answer within ~1 s whatever the database does: always short.
        health.Pooling = false;
        health.Timeout = 1;
        health.CommandTimeout = 1;
        health.CancellationTimeout = -1;
        health.ApplicationName = $"regami-api-health-{region}";

        var instance = configuration[InstanceIdKey];
        if (string.IsNullOrWhiteSpace(instance))
            instance = Guid.NewGuid().ToString("N")[..8];

        return new RegamiApiOptions
        {
            Region = region,
            ConnectionString = main.ConnectionString,
            HealthConnectionString = health.ConnectionString,
            InstanceId = instance.Trim(),
        };
    }

    /// <summary>Keys present in the raw connection string, lower-cased without spaces ("Command Timeout" → "commandtimeout").</summary>
    private static HashSet<string> ExplicitKeys(string raw)
    {
        var generic = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = raw };
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (string key in generic.Keys)
            keys.Add(key.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant());
        return keys;
    }
}
