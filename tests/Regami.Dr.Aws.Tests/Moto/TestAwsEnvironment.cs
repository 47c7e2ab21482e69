namespace Regami.Dr.Aws.Tests.Moto;

/// <summary>
/// The AWS environment every CLI this test process starts inherits: moto's dummy credentials and
/// none of the developer's own AWS set-up (profile, region, endpoint, session token, config files),
/// so the provider under test meets the standard credential chain exactly as it would in production.
/// </summary>
public static class TestAwsEnvironment
{
    private static readonly Lazy<bool> Applied = new(() =>
    {
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("AWS_", StringComparison.OrdinalIgnoreCase)))
            Environment.SetEnvironmentVariable(key, null);
        var dir = Directory.CreateTempSubdirectory("regami-aws-env-");
        File.WriteAllText(Path.Combine(dir.FullName, "config"), "");
        File.WriteAllText(Path.Combine(dir.FullName, "credentials"), "");
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", AwsCliRunner.AccessKeyId);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", AwsCliRunner.SecretAccessKey);
        Environment.SetEnvironmentVariable("AWS_CONFIG_FILE", Path.Combine(dir.FullName, "config"));
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", Path.Combine(dir.FullName, "credentials"));
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        Environment.SetEnvironmentVariable("AWS_CLI_AUTO_PROMPT", "off");
        Environment.SetEnvironmentVariable("AWS_PAGER", "");
        var noProxy = Environment.GetEnvironmentVariable("NO_PROXY");
        // moto is on loopback: a developer's HTTP(S)_PROXY must not apply to it.
        Environment.SetEnvironmentVariable("NO_PROXY", string.IsNullOrEmpty(noProxy) ? "127.0.0.1,localhost" : $"{noProxy},127.0.0.1,localhost");
        Environment.SetEnvironmentVariable("no_proxy", Environment.GetEnvironmentVariable("NO_PROXY"));
        return true;
    });

    public static void Apply() => _ = Applied.Value;

    /// <summary>The same variables for a child process started with its own environment (the CLI under test).</summary>
    public static IReadOnlyDictionary<string, string> Variables()
    {
        Apply();
        return Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => ((string)e.Key).StartsWith("AWS_", StringComparison.Ordinal) || (string)e.Key is "NO_PROXY" or "no_proxy")
            .ToDictionary(e => (string)e.Key, e => (string)e.Value!);
    }
}
