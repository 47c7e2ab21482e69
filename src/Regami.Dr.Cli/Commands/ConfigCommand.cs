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

        var tfFile = new Argument<string>("outputs") { Description = "`terraform output -json` of deploy/terraform, as a file, or - for standard input", DefaultValueFactory = _ => "-" };
        var environment = new Option<string>("--environment") { Description = "The environment's name in status and reports", DefaultValueFactory = _ => "production" };
        var outFile = new Option<string?>("--out") { Description = "Write the configuration to this file instead of standard output (never over an existing file without --force)" };
        var force = new Option<bool>("--force") { Description = "With --out: replace an existing file" };
        var fromTerraform = new Command("from-terraform",
            "Write regami-dr.yaml for provider: aws from deploy/terraform's outputs (`terraform output -json | regami-dr config from-terraform`): the estate's names "
            + "with the plan's numbers, validated before it is written; exit 2 naming the missing output field.") { tfFile, environment, outFile, force };
        fromTerraform.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(tfFile)!;
            var source = path == "-" ? "standard input" : path;
            if (path != "-" && !File.Exists(path)) throw new CliException($"{path}: file not found; give the file `terraform output -json > FILE` wrote, or - for standard input", ExitCodes.Usage);
            var json = path == "-" ? await Console.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(path, ct);
            string yaml;
            try { yaml = Regami.Dr.Aws.Configuration.TerraformOutputs.ToYaml(json, source, parse.GetValue(environment)!); }
            catch (Regami.Dr.Aws.Configuration.TerraformOutputsException e) { throw new CliException(e.Message, ExitCodes.Usage); }
            if (parse.GetValue(outFile) is not { } target) { Console.Write(yaml); return ExitCodes.Ok; }
            if (File.Exists(target) && !parse.GetValue(force))
                throw new CliException($"{target} exists; nothing was written (add --force to replace it)", ExitCodes.Usage);
            // Written aside, then moved into place: an interrupted write never leaves half a configuration.
            var temp = target + ".tmp";
            await File.WriteAllTextAsync(temp, yaml, ct);
            File.Move(temp, target, overwrite: true);
            Console.Error.WriteLine($"regami-dr: wrote {target} (provider aws, {parse.GetValue(environment)}); check it with `regami-dr config check --config {target}`");
            return ExitCodes.Ok;
        });

        config.Subcommands.Add(check);
        config.Subcommands.Add(convert);
        config.Subcommands.Add(fromTerraform);
        return config;
    }
}
