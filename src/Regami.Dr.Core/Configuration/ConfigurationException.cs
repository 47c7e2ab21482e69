namespace Regami.Dr.Core.Configuration;

/// <summary>A configuration problem, located as precisely as we can: file, line, field.</summary>
public sealed class ConfigurationException(string file, int? line, string? field, string problem)
    : Exception(Format(file, line, field, problem))
{
    public string File { get; } = file;
    public int? Line { get; } = line;
    public string? Field { get; } = field;
    public string Problem { get; } = problem;

    private static string Format(string file, int? line, string? field, string problem) =>
        $"{file}{(line is { } l ? $":{l}" : "")}: {(field is null ? "" : $"field '{field}': ")}{problem}";
}
