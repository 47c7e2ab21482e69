using System.CommandLine;
using Regami.Dr.Cli.Providers;
using Regami.Dr.Core.Configuration;

namespace Regami.Dr.Cli.Commands;

/// <summary>`regami-dr config check|convert`: validate regami-dr.yaml; convert an old lab file to it.</summary>
public static class ConfigCommand
{
    public static Command Create(GlobalOptions g)
    {
        var config = new Command("config", "The configuration file, regami-dr.yaml (schema: schemas/regami-dr.schema.json).");

        var check = new Command("check", "Validate the configuration (--config FILE, else the one in use) and say which provider and file it uses; exit 2 naming file, line and field when it is wrong.");
        check.SetAction((parse, ct) =>
        {
            var loaded = g.Configuration(parse);
            ProviderFactory.Create(loaded, g.StateRoot(parse), TimeProvider.System); // binds and checks the provider's section too
            if (parse.GetValue(g.Output) == OutputFormat.Json)
                Output.Json.Write(new { valid = true, source = loaded.Source, provider = loaded.Config.Provider, regions = loaded.Config.Regions.Select(r => new { r.Name, r.Role }) });
            else Console.WriteLine($"{loaded.Source}: valid (provider {loaded.Config.Provider}; {string.Join(", ", loaded.Config.Regions.Select(r => $"{r.Name} {r.Role}"))}).");
            return Task.FromResult(ExitCodes.Ok);
        });

        var file = new Argument<string>("file") { Description = "A lab configuration file in the layout from before regami-dr.yaml" };
        var convert = new Command("convert", "Print an old lab configuration file in the regami-dr.yaml layout (the file itself is not changed).") { file };
        convert.SetAction((parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path)) throw new ConfigurationException(path, null, null, "file not found");
            var text = File.ReadAllText(path);
            if (!Providers.Lab.LabProvider.IsLegacy(text))
            {
                Console.Error.WriteLine($"regami-dr: {path} is already in the regami-dr.yaml layout; printed unchanged.");
                Console.Write(text);
                return Task.FromResult(ExitCodes.Ok);
            }
            Console.Write(Providers.Lab.LabProvider.ConvertLegacy(text));
            return Task.FromResult(ExitCodes.Ok);
        });

        config.Subcommands.Add(check);
        config.Subcommands.Add(convert);
        return config;
    }
}
