using System.CommandLine;
using Regami.Dr.Lab;

namespace Regami.Dr.Cli;

/// <summary>Options every command understands, and how a command gets its lab environment.</summary>
public sealed class GlobalOptions
{
    public Option<string?> StateDir { get; } = new("--state-dir")
    {
        Description = "Lab state directory (default: $REGAMI_DR_STATE, else $XDG_STATE_HOME/regami-dr or ~/.local/state/regami-dr; /var/lib/regami-dr as root)",
        Recursive = true,
    };

    public Option<string?> Config { get; } = new("--config")
    {
        Description = "Lab configuration file (YAML). Default: the embedded lab. Once a lab exists it keeps the configuration it was created with.",
        Recursive = true,
    };

    public Option<OutputFormat> Output { get; } = new("--output", "-o")
    {
        Description = "Output format: text (default) or json",
        Recursive = true,
        DefaultValueFactory = _ => OutputFormat.Text,
    };

    public LabEnvironment Environment(ParseResult parse) =>
        LabEnvironment.Create(parse.GetValue(StateDir), parse.GetValue(Config), TimeProvider.System, SelfInvocation.Current());
}

public enum OutputFormat { Text, Json }

/// <summary>Exit codes of the command-line contract (DESIGN §4).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Unsafe = 3;
    public const int Interrupted = 130;
}
