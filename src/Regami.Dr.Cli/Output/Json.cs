using System.Text.Json;
using System.Text.Json.Serialization;

namespace Regami.Dr.Cli.Output;

/// <summary>The JSON of `--output json`: camelCase, enums as camelCase strings, nulls kept (scripts rely on the fields).</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static void Write<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));
}
