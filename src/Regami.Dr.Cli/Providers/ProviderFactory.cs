using Regami.Dr.Cli.Providers.Lab;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Providers;

namespace Regami.Dr.Cli.Providers;

/// <summary>One configuration text with where it came from, parsed and its neutral part validated.</summary>
public sealed record LoadedConfiguration(ConfigDocument Document, DrConfiguration Config, string? Text, string Source);

/// <summary>
/// The one place the CLI chooses an environment: it reads regami-dr.yaml and builds the bundle of
/// the provider it names. Everything provider-specific below Cli lives in <c>Providers/&lt;name&gt;/</c>.
/// </summary>
public static class ProviderFactory
{
    public const string ConfigFileName = "regami-dr.yaml";

    /// <summary>
    /// <paramref name="configFile"/> when given, else the copy an environment keeps in its state
    /// directory (it keeps the configuration it was created with), else the embedded lab defaults.
    /// </summary>
    public static LoadedConfiguration Load(string? configFile, string stateRoot, Action<string> warn)
    {
        string? path = configFile;
        if (path is null && File.Exists(Path.Combine(stateRoot, ConfigFileName))) path = Path.Combine(stateRoot, ConfigFileName);
        if (path is null && File.Exists(LabProvider.LegacyConfigCopy(stateRoot))) path = LabProvider.LegacyConfigCopy(stateRoot);
        if (path is null)
        {
            var empty = ConfigDocument.Empty();
            return new LoadedConfiguration(empty, DrConfiguration.From(empty), null, ConfigDocument.EmbeddedDefaultsName);
        }
        if (!File.Exists(path)) throw new ConfigurationException(path, null, null, "file not found");
        var text = File.ReadAllText(path);
        var name = path;
        if (LabProvider.IsLegacy(text))
        {
            // Old lab files keep working: converted in memory, with a pointer to the converted text.
            if (path != LabProvider.LegacyConfigCopy(stateRoot))
                warn($"{path} uses the lab layout from before regami-dr.yaml; it still works. Convert it with `regami-dr config convert {path} > {ConfigFileName}`.");
            text = LabProvider.ConvertLegacy(text);
            name = $"{path} (converted from the old lab layout; `regami-dr config convert {path}` shows the text)";
        }
        var doc = ConfigDocument.Parse(text, name);
        return new LoadedConfiguration(doc, DrConfiguration.From(doc), text, path);
    }

    public static ProviderBundle Create(LoadedConfiguration config, string stateRoot, TimeProvider time) => config.Config.Provider switch
    {
        "lab" => LabProvider.Bundle(LabProvider.Environment(config, stateRoot, time), time),
        "aws" => Aws.AwsCliProvider.Bundle(config, stateRoot, time),
        // DrConfiguration.From refuses providers that are not implemented; this is the guard behind it.
        var other => throw new ConfigurationException(config.Source, config.Document.LineOf("provider"), "provider", $"the '{other}' provider is not available in this version of regami-dr"),
    };
}
