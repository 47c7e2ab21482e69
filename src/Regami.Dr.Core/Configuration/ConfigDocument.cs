using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Regami.Dr.Core.Configuration;

/// <summary>
/// One configuration text, parsed once and bound section by section: the provider-neutral part
/// by Core, each provider's section (<c>lab:</c>, <c>aws:</c>) and the notifications by the
/// project that owns their options type. Every error names the file, the line and the field.
/// </summary>
/// <remarks>
/// The parsed events keep their positions, so a section bound later still reports the line of
/// the original text: binding replays the section's events instead of re-serializing it.
/// </remarks>
public sealed class ConfigDocument
{
    private readonly IReadOnlyList<ParsingEvent> events;
    private readonly Func<string, int?> locate;
    private readonly Func<int, string, string?> pathAt;
    private readonly Func<string, bool> exists;

    public string FileName { get; }

    private ConfigDocument(string fileName, IReadOnlyList<ParsingEvent> events, Func<string, int?> locate, Func<int, string, string?> pathAt)
    {
        this.pathAt = pathAt;
        exists = field => locate(field) is not null && pathAt(locate(field)!.Value, field.Split('.')[^1].Split('[')[0]) == field;
        FileName = fileName;
        this.events = events;
        this.locate = locate;
    }

    /// <summary>What errors and `config check` call the configuration when no file is given.</summary>
    public const string EmbeddedDefaultsName = "(embedded lab defaults)";

    /// <summary>An empty document: every section takes its defaults.</summary>
    public static ConfigDocument Empty(string name = EmbeddedDefaultsName) => Parse("{}", name);

    /// <summary>
    /// Parses <paramref name="yaml"/>; throws a <see cref="ConfigurationException"/> naming
    /// <paramref name="fileName"/>, the line and, where one applies, the field — never another
    /// exception, whatever the text (binary garbage, tabs, broken syntax, a YAML bomb).
    /// </summary>
    public static ConfigDocument Parse(string yaml, string fileName)
    {
        var list = ReadEvents(yaml, fileName);
        return new ConfigDocument(fileName, list, YamlLocator.For(yaml), YamlLocator.PathAt(yaml));
    }

    /// <summary>
    /// Whether <paramref name="yaml"/> passes <see cref="Parse"/>'s checks (text, syntax, one
    /// mapping document, no duplicate key, nesting and aliases within limits): for code that
    /// builds its own tree from a configuration text, which must not do so otherwise.
    /// </summary>
    public static bool IsWellFormed(string yaml)
    {
        try
        {
            ReadEvents(yaml, "");
            return true;
        }
        catch (ConfigurationException)
        {
            return false;
        }
    }

    private static List<ParsingEvent> ReadEvents(string yaml, string fileName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (yaml.Length > YamlShape.MaxLength)
            throw new ConfigurationException(fileName, null, null, $"is {yaml.Length} characters long; a configuration is a few kilobytes (at most {YamlShape.MaxLength})");
        if (YamlShape.FirstUnprintable(yaml) is { } bad)
            throw new ConfigurationException(fileName, bad.Line, null,
                $"contains the control character U+{bad.Code:X4} at column {bad.Column}: a configuration is a YAML text file (is this a binary file?)");

        var list = new List<ParsingEvent>();
        try
        {
            var parser = new Parser(new StringReader(yaml));
            var depth = 0;
            while (parser.MoveNext())
            {
                var e = parser.Current!;
                list.Add(e);
                // Fail fast: stop reading a pathologically deep text at once.
                if (e is MappingStart or SequenceStart && ++depth > YamlShape.MaxDepth)
                    throw YamlShape.TooDeep(fileName, (int)e.Start.Line, YamlShape.PathAtEnd(list[..^1]));
                if (e is MappingEnd or SequenceEnd) depth--;
            }
        }
        catch (YamlException e)
        {
            throw SyntaxError(yaml, fileName, list, (int)e.Start.Line, YamlErrors.Message(e));
        }
        catch (Exception e) when (e is not ConfigurationException)
        {
            // YamlDotNet's scanner gives up with other exceptions on some broken texts (an unclosed flow mapping).
            throw SyntaxError(yaml, fileName, list, list.Count > 0 ? (int)list[^1].End.Line : 1,
                "is not well-formed YAML from here on (a `{`, `[` or quote left open?)");
        }
        YamlShape.Check(list, fileName);
        return list;
    }

    private static ConfigurationException SyntaxError(string yaml, string fileName, List<ParsingEvent> parsed, int line, string problem)
    {
        // YAML indents with spaces only; for a tab, YamlDotNet names the line where the enclosing block began.
        if (YamlShape.FirstTabIndentedLine(yaml, line) is { } tabbed)
            return new ConfigurationException(fileName, tabbed, YamlShape.PathAtEnd(parsed), "is indented with a tab; YAML indents with spaces only");
        return new ConfigurationException(fileName, line > 0 ? line : null, YamlShape.PathAtEnd(parsed), problem);
    }

    /// <summary>The line of a dotted field path such as <c>regions[1].role</c> or <c>lab.dns.port</c>.</summary>
    public int? LineOf(string field) => locate(field);

    /// <summary>Whether the text sets the dotted field (e.g. <c>controller.cooldown</c>), as opposed to leaving it to its default.</summary>
    public bool Mentions(string field) => exists(field);

    /// <summary>Throws the located error for <paramref name="field"/>.</summary>
    public ConfigurationException Error(string field, string problem) => new(FileName, LineOf(field), field, problem);

    /// <summary>
    /// Binds the top-level mapping, without the keys in <paramref name="boundElsewhere"/>, to <typeparamref name="T"/>
    /// (camelCase keys; an unknown key is an error naming its line).
    /// </summary>
    public T BindRoot<T>(IReadOnlySet<string> boundElsewhere) where T : new() =>
        Deserialize<T>(RootWithout(boundElsewhere), prefix: null) ?? new T();

    /// <summary>Binds the top-level section <paramref name="key"/> to <typeparamref name="T"/>; its defaults when absent.</summary>
    public T BindSection<T>(string key) where T : new()
    {
        var section = Section(key);
        return section is null ? new T() : Deserialize<T>(section, key) ?? new T();
    }

    private T? Deserialize<T>(IReadOnlyList<ParsingEvent> slice, string? prefix)
    {
        var deserializer = new DeserializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .WithTypeConverter(new DurationYamlConverter())
            .WithNodeTypeResolver(new ReadOnlyCollectionResolver())
            .WithEnforceRequiredMembers()
            .Build();
        try
        {
            return deserializer.Deserialize<T?>(new ReplayParser(slice));
        }
        catch (YamlException e)
        {
            var line = (int)e.Start.Line;
            if (YamlErrors.UnknownProperty(e) is { } field)
            {
                var path = pathAt(line, field) ?? (prefix is null ? field : $"{prefix}.{field}");
                throw new ConfigurationException(FileName, line > 0 ? line : null, path, YamlErrors.Message(e));
            }
            // A value of the wrong kind: name the field it was given for, what it takes and what it found.
            var at = YamlShape.PathAt(events, e.Start);
            var expected = at is null ? null : YamlErrors.Describe(YamlErrors.TypeAt(typeof(T), prefix is null ? at : at.StartsWith(prefix + ".", StringComparison.Ordinal) ? at[(prefix.Length + 1)..] : null));
            var found = YamlErrors.Describe(YamlShape.EventAt(events, e.Start));
            var problem = expected is not null && found is not null ? $"must be {expected}, found {found}" : YamlErrors.Message(e);
            throw new ConfigurationException(FileName, line > 0 ? line : null, at, problem);
        }
        catch (Exception e) when (e is not ConfigurationException)
        {
            // The binder threw something else: still a located configuration error, never a crash.
            var first = slice.FirstOrDefault(x => x is NodeEvent);
            throw new ConfigurationException(FileName, first is null ? null : (int)first.Start.Line, prefix, $"could not be read: {e.Message}");
        }
    }

    private IReadOnlyList<ParsingEvent>? Section(string key)
    {
        var i = IndexOfTopLevelValue(key);
        if (i < 0) return null;
        var end = EndOfNode(i);
        var slice = new List<ParsingEvent> { new StreamStart(), new DocumentStart() };
        slice.AddRange(events.Skip(i).Take(end - i + 1));
        slice.Add(new DocumentEnd(true));
        slice.Add(new StreamEnd());
        // `lab:` with nothing after it is a null scalar: the section's defaults.
        return slice[2] is Scalar { Value: "" or "~" or "null" } ? null : slice;
    }

    private List<ParsingEvent> RootWithout(IReadOnlySet<string> skip)
    {
        var rootStart = RootStart();
        if (rootStart < 0) return [new StreamStart(), new DocumentStart(), new MappingStart(), new MappingEnd(), new DocumentEnd(true), new StreamEnd()];
        var result = events.Take(rootStart + 1).ToList();
        var i = rootStart + 1;
        // Walk the root's key/value pairs; copy those bound here, leave out the sections bound elsewhere.
        while (i < events.Count && events[i] is not MappingEnd)
        {
            var end = EndOfNode(EndOfNode(i) + 1);
            if (!(events[i] is Scalar key && skip.Contains(key.Value))) result.AddRange(events.Skip(i).Take(end - i + 1));
            i = end + 1;
        }
        result.AddRange(events.Skip(i));
        return result;
    }

    private int RootStart()
    {
        for (var i = 0; i < events.Count; i++) if (events[i] is MappingStart) return i;
        return -1;
    }

    private int IndexOfTopLevelValue(string key)
    {
        var rootStart = RootStart();
        if (rootStart < 0) return -1;
        var i = rootStart + 1;
        while (i < events.Count && events[i] is not MappingEnd)
        {
            var k = events[i];
            var valueAt = EndOfNode(i) + 1;
            if (k is Scalar s && s.Value == key) return valueAt;
            i = EndOfNode(valueAt) + 1;
        }
        return -1;
    }

    /// <summary>Index of the last event of the node that starts at <paramref name="start"/>.</summary>
    private int EndOfNode(int start)
    {
        if (events[start] is not (MappingStart or SequenceStart)) return start;
        var depth = 0;
        for (var i = start; i < events.Count; i++)
        {
            if (events[i] is MappingStart or SequenceStart) depth++;
            else if (events[i] is MappingEnd or SequenceEnd && --depth == 0) return i;
        }
        return events.Count - 1;
    }

    /// <summary>Feeds recorded events (with their original positions) to a deserializer.</summary>
    private sealed class ReplayParser(IReadOnlyList<ParsingEvent> events) : IParser
    {
        private int index = -1;
        public ParsingEvent? Current => index >= 0 && index < events.Count ? events[index] : null;
        public bool MoveNext() => ++index < events.Count;
    }
}

/// <summary>Durations in YAML: <c>30s</c>, <c>5m</c>, <c>1h</c>, a number of seconds, or ISO 8601.</summary>
internal sealed class DurationYamlConverter : IYamlTypeConverter
{
    public bool Accepts(Type type) => type == typeof(TimeSpan) || type == typeof(TimeSpan?);

    public object? ReadYaml(IParser parser, Type type, ObjectDeserializer rootDeserializer)
    {
        var scalar = parser.Consume<Scalar>();
        if (type == typeof(TimeSpan?) && scalar.Value is "" or "~" or "null") return null;
        if (DurationText.TryParse(scalar.Value, out var value)) return value;
        throw new YamlException(scalar.Start, scalar.End, $"'{scalar.Value}' is not a duration (examples: 30s, 5m, 1h, 250ms, PT15M)");
    }

    public void WriteYaml(IEmitter emitter, object? value, Type type, ObjectSerializer serializer) =>
        emitter.Emit(new Scalar(value is TimeSpan t ? DurationText.Format(t) : ""));
}

/// <summary>Options types expose read-only collections; YAML fills them with the mutable ones behind.</summary>
internal sealed class ReadOnlyCollectionResolver : INodeTypeResolver
{
    public bool Resolve(NodeEvent? nodeEvent, ref Type currentType)
    {
        if (!currentType.IsInterface || !currentType.IsGenericType) return false;
        var definition = currentType.GetGenericTypeDefinition();
        var args = currentType.GetGenericArguments();
        if (definition == typeof(IReadOnlyList<>) || definition == typeof(IReadOnlyCollection<>) || definition == typeof(IEnumerable<>))
        {
            currentType = typeof(List<>).MakeGenericType(args);
            return true;
        }
        if (definition == typeof(IReadOnlyDictionary<,>))
        {
            currentType = typeof(Dictionary<,>).MakeGenericType(args);
            return true;
        }
        return false;
    }
}

internal static class YamlErrors
{
    /// <summary>The type bound at <paramref name="path"/> (dotted, with [i] for list items) below <paramref name="root"/>; null when unknown.</summary>
    public static Type? TypeAt(Type root, string? path)
    {
        if (path is null) return null;
        var type = root;
        foreach (var part in path.Split('.'))
        {
            var name = part;
            var items = 0;
            while (name.EndsWith(']') && name.LastIndexOf('[') is var open and > 0)
            {
                items++;
                name = name[..open];
            }
            type = Member(type, name);
            for (var i = 0; i < items && type is not null; i++) type = ElementOf(type);
            if (type is null) return null;
        }
        return type;

        static Type? Member(Type type, string name)
        {
            if (DictionaryValue(type) is { } value) return value; // a dictionary's key is data, not a property
            var property = type.GetProperties().FirstOrDefault(p => p.CanWrite && string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
            return property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        }
    }

    private static Type? DictionaryValue(Type type) =>
        type.IsGenericType && type.GetGenericArguments().Length == 2 && typeof(System.Collections.IEnumerable).IsAssignableFrom(type)
            ? type.GetGenericArguments()[1]
            : null;

    private static Type? ElementOf(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericArguments().Length == 1 && typeof(System.Collections.IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0]
        : null;

    /// <summary>What a value of <paramref name="type"/> looks like in the file, for "must be …".</summary>
    public static string? Describe(Type? type)
    {
        if (type is null) return null;
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(TimeSpan)) return "a duration (30s, 5m, 1h, 250ms, PT15M)";
        if (type == typeof(int) || type == typeof(long)) return "a whole number";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return "a number";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(string)) return "a single value";
        if (type.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(type));
        if (DictionaryValue(type) is not null) return "a mapping of names to values";
        if (ElementOf(type) is not null) return "a list";
        return type.IsClass ? "a mapping of keys" : null;
    }

    /// <summary>What was found in the file, for "…, found …".</summary>
    public static string? Describe(ParsingEvent? found) => found switch
    {
        Scalar s => $"'{(s.Value.Length > 60 ? s.Value[..60] + "…" : s.Value)}'",
        MappingStart => "a mapping",
        SequenceStart => "a list",
        AnchorAlias a => $"an alias (*{a.Value.Value})",
        _ => null,
    };

    /// <summary>YamlDotNet says "Property 'x' not found on type '...'" for an unknown key.</summary>
    public static string? UnknownProperty(YamlException e)
    {
        var msg = Message(e);
        var start = msg.IndexOf("Property '", StringComparison.Ordinal);
        if (start < 0) return null;
        start += "Property '".Length;
        var end = msg.IndexOf('\'', start);
        return end > start ? msg[start..end] : null;
    }

    public static string Message(Exception e)
    {
        while (e.InnerException is not null && e.Message.StartsWith("(Line", StringComparison.Ordinal)) e = e.InnerException;
        var msg = e.Message;
        // Drop YamlDotNet's "(Line: 3, Col: 5, Idx: 20) - (...): " prefix: we print our own location.
        var dash = msg.IndexOf("): ", StringComparison.Ordinal);
        msg = msg.StartsWith("(Line", StringComparison.Ordinal) && dash > 0 ? msg[(dash + 3)..] : msg;
        var onType = msg.IndexOf(" not found on type '", StringComparison.Ordinal);
        return onType > 0 ? msg[..onType] + " is not a known key here" : msg;
    }
}

/// <summary>Finds the line of a dotted field path (e.g. <c>regions[1].address</c>) in a YAML text.</summary>
internal static class YamlLocator
{
    public static Func<string, int?> For(string yaml)
    {
        YamlNode? root = null;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            root = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
        }
        catch (YamlException) { }
        return path => root is null ? null : Find(root, path);
    }

    /// <summary>The dotted path of the key <paramref name="key"/> written on <paramref name="line"/>.</summary>
    public static Func<int, string, string?> PathAt(string yaml)
    {
        YamlNode? root = null;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            root = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
        }
        catch (YamlException) { }
        return (line, key) => root is null ? null : Search(root, null, line, key);
    }

    private static string? Search(YamlNode node, string? path, int line, string key)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode ks) continue;
                    var here = path is null ? ks.Value : $"{path}.{ks.Value}";
                    if (ks.Value == key && ks.Start.Line == line) return here;
                    if (Search(v, here, line, key) is { } found) return found;
                }
                return null;
            case YamlSequenceNode seq:
                for (var i = 0; i < seq.Children.Count; i++)
                    if (Search(seq.Children[i], $"{path}[{i}]", line, key) is { } found) return found;
                return null;
            default:
                return null;
        }
    }

    private static int? Find(YamlNode node, string path)
    {
        var current = node;
        int? line = null;
        foreach (var part in path.Split('.'))
        {
            var name = part;
            int? index = null;
            var bracket = part.IndexOf('[');
            if (bracket > 0)
            {
                name = part[..bracket];
                index = int.Parse(part[(bracket + 1)..part.IndexOf(']')]);
            }
            if (current is not YamlMappingNode map) return line;
            var entry = map.Children.FirstOrDefault(kv => kv.Key is YamlScalarNode k && k.Value == name);
            if (entry.Key is null) return line ?? (int)map.Start.Line;
            line = (int)entry.Key.Start.Line;
            current = entry.Value;
            if (index is { } i)
            {
                if (current is YamlSequenceNode seq && i < seq.Children.Count)
                {
                    current = seq.Children[i];
                    line = (int)current.Start.Line;
                }
                else return line;
            }
        }
        return line;
    }
}
