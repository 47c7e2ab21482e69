using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Regami.Dr.Core.Configuration;

/// <summary>
/// What a configuration text must be before anything builds a tree from it or binds it: text,
/// one YAML document whose top is a mapping, no key twice, no alias to an anchor not yet defined,
/// and within limits that keep a hostile or broken file from exhausting the stack or the CPU
/// (deep nesting overflows recursive readers; aliases of aliases — a "billion laughs" — multiply
/// every walk over the tree). Works on the parser's flat list of events, never recursively.
/// </summary>
internal static class YamlShape
{
    /// <summary>A configuration is a few kilobytes; this is three orders of magnitude more.</summary>
    public const int MaxLength = 1024 * 1024;

    /// <summary>Nesting deeper than this is refused (the deepest real key, e.g. notifications.contacts[0].name, is 4).</summary>
    public const int MaxDepth = 64;

    /// <summary>Nodes after expanding every alias; a full configuration has a few hundred.</summary>
    public const int MaxNodes = 10_000;

    /// <summary>The first character a YAML text may not contain (YAML 1.2 §5.1: C0/C1 controls but tab, LF, CR and NEL, non-characters, lone surrogates).</summary>
    public static (int Line, int Column, int Code)? FirstUnprintable(string text)
    {
        var line = 1;
        var column = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            column++;
            if (c == '\n') { line++; column = 0; continue; }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            var bad = c switch
            {
                '\t' or '\r' or '\u0085' => false,
                < ' ' => true,
                >= '\u007f' and <= '\u009f' => true,
                '\ufffe' or '\uffff' => true,
                _ => char.IsSurrogate(c),
            };
            if (bad) return (line, column, c);
        }
        return null;
    }

    /// <summary>The first line at or after <paramref name="fromLine"/> whose indentation holds a tab.</summary>
    public static int? FirstTabIndentedLine(string text, int fromLine)
    {
        var lines = text.Split('\n');
        for (var i = Math.Max(0, fromLine - 1); i < lines.Length; i++)
        {
            var content = lines[i].TrimStart(' ', '\t').TrimEnd('\r');
            var indentation = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            if (content.Length > 0 && !content.StartsWith('#') && lines[i].AsSpan(0, indentation).Contains('\t')) return i + 1;
        }
        return null;
    }

    /// <summary>Refuses what <see cref="ConfigDocument"/> must not bind: throws a located <see cref="ConfigurationException"/>.</summary>
    public static void Check(IReadOnlyList<ParsingEvent> events, string file)
    {
        var documents = events.OfType<DocumentStart>().ToArray();
        if (documents.Length > 1)
            throw new ConfigurationException(file, Line(documents[1]), null,
                $"holds {documents.Length} YAML documents (the second starts here); a configuration is one document");

        long nodes = 0;
        var anchors = new Dictionary<string, (long Size, int Height)>(StringComparer.Ordinal);
        foreach (var step in Walk(events))
        {
            if (step.Depth == 1 && step.Event is NodeEvent top && top is not MappingStart && !(top is Scalar { Value: "" } s && s.Style == ScalarStyle.Plain))
                throw new ConfigurationException(file, Line(top), null, "the configuration must be a mapping of keys (e.g. `provider: lab`)");

            switch (step.Event)
            {
                case AnchorAlias alias:
                    if (!anchors.TryGetValue(alias.Value.Value, out var target))
                        throw new ConfigurationException(file, Line(alias), step.Path, $"refers to the anchor &{alias.Value.Value}, which is not defined before it");
                    nodes += target.Size;
                    if (step.Depth - 1 + target.Height > MaxDepth) throw TooDeep(file, Line(alias), step.Path);
                    Grow(step.Parent, target.Height);
                    break;
                case Scalar scalar:
                    nodes++;
                    if (!scalar.Anchor.IsEmpty) anchors[scalar.Anchor.Value] = (1, 1);
                    Grow(step.Parent, 1);
                    if (step.IsKey && step.Parent is { } map)
                    {
                        map.Seen ??= new Dictionary<string, int>(StringComparer.Ordinal);
                        if (!map.Seen.TryAdd(scalar.Value, Line(scalar) ?? 0))
                            throw new ConfigurationException(file, Line(scalar), step.Path,
                                $"is given twice (first on line {map.Seen[scalar.Value]}); a key may appear only once");
                    }
                    break;
                case MappingStart or SequenceStart:
                    nodes++;
                    if (step.Depth > MaxDepth) throw TooDeep(file, Line(step.Event), step.Path);
                    step.Opened!.NodesAtStart = nodes - 1;
                    break;
                case MappingEnd or SequenceEnd when step.Closed is { } closed:
                    var height = closed.ChildHeight + 1;
                    if (closed.Anchor is { } anchor) anchors[anchor] = (nodes - closed.NodesAtStart, height);
                    Grow(step.Parent, height);
                    break;
            }
            if (nodes > MaxNodes)
                throw new ConfigurationException(file, Line(step.Event), step.Path,
                    $"expands to more than {MaxNodes} nodes{(anchors.Count > 0 ? " through its aliases (*name)" : "")}; a configuration has a few hundred: refused before anything reads it");
        }
    }

    /// <summary>The error for nesting beyond <see cref="MaxDepth"/>, naming where it starts (the first four levels of its path).</summary>
    public static ConfigurationException TooDeep(string file, int? line, string? path)
    {
        var parts = path is null ? [] : System.Text.RegularExpressions.Regex.Matches(path, @"[^.\[]+|\[\d+\]").Select(m => m.Value).Take(4).ToArray();
        var field = parts.Length == 0 ? null : string.Concat(parts.Select((p, i) => i == 0 || p.StartsWith('[') ? p : "." + p));
        return new(file, line, field, $"nests deeper than {MaxDepth} levels; a configuration nests 4 or 5: refused before anything reads it");
    }

    /// <summary>The dotted path of the node (or key) that starts at <paramref name="at"/>; null when none does.</summary>
    public static string? PathAt(IReadOnlyList<ParsingEvent> events, Mark at)
    {
        foreach (var step in Walk(events))
            if (step.Event is NodeEvent or AnchorAlias && step.Event.Start.Line == at.Line && step.Event.Start.Column == at.Column)
                return step.Path;
        return null;
    }

    /// <summary>The node found at <paramref name="at"/>, if any.</summary>
    public static ParsingEvent? EventAt(IReadOnlyList<ParsingEvent> events, Mark at) =>
        events.FirstOrDefault(e => e is NodeEvent or AnchorAlias && e.Start.Line == at.Line && e.Start.Column == at.Column);

    /// <summary>The path being read when the events stop (a syntax error cut them short): the innermost open key or item.</summary>
    public static string? PathAtEnd(IReadOnlyList<ParsingEvent> events)
    {
        Frame? open = null;
        foreach (var step in Walk(events)) open = step.Innermost;
        if (open is null) return null;
        return open.IsMapping
            ? open.AtKey ? open.Path : Join(open.Path, open.Key)
            : $"{open.Path}[{open.Index}]";
    }

    private static void Grow(Frame? parent, int childHeight)
    {
        if (parent is not null && childHeight > parent.ChildHeight) parent.ChildHeight = childHeight;
    }

    private static int? Line(ParsingEvent e) => e.Start.Line > 0 ? (int)e.Start.Line : null;

    private static string Join(string? path, string? key) => path is null ? key ?? "?" : $"{path}.{key ?? "?"}";

    /// <summary>One open mapping or sequence while walking the events.</summary>
    internal sealed class Frame(bool isMapping, string? path, string? anchor)
    {
        public bool IsMapping { get; } = isMapping;
        public string? Path { get; } = path;
        public string? Anchor { get; } = anchor;
        /// <summary>Sequences: the index of the next item.</summary>
        public int Index { get; set; }
        /// <summary>Mappings: the next node is a key.</summary>
        public bool AtKey { get; set; } = true;
        /// <summary>Mappings: the key whose value comes next (or came last).</summary>
        public string? Key { get; set; }
        public long NodesAtStart { get; set; }
        public int ChildHeight { get; set; }
        public Dictionary<string, int>? Seen { get; set; }
    }

    /// <param name="Event">The event.</param>
    /// <param name="Path">For a node: its dotted path (a key's path is the path of its value).</param>
    /// <param name="IsKey">The node is a mapping's key.</param>
    /// <param name="Depth">Nesting of the node: 1 for the document's top node.</param>
    /// <param name="Parent">The mapping or sequence the node (or the closed collection) is in.</param>
    /// <param name="Opened">The frame a mapping or sequence start opens.</param>
    /// <param name="Closed">The frame an end closes.</param>
    /// <param name="Innermost">The innermost open frame after this event.</param>
    internal readonly record struct Step(ParsingEvent Event, string? Path, bool IsKey, int Depth, Frame? Parent, Frame? Opened, Frame? Closed, Frame? Innermost);

    /// <summary>The events with their paths, iteratively (no recursion, whatever the nesting).</summary>
    internal static IEnumerable<Step> Walk(IReadOnlyList<ParsingEvent> events)
    {
        var stack = new Stack<Frame>();
        foreach (var e in events)
        {
            var parent = stack.Count > 0 ? stack.Peek() : null;
            switch (e)
            {
                case MappingEnd or SequenceEnd:
                    if (stack.Count == 0) continue;
                    var closed = stack.Pop();
                    var outer = stack.Count > 0 ? stack.Peek() : null;
                    Advance(outer);
                    yield return new Step(e, closed.Path, false, stack.Count + 1, outer, null, closed, outer);
                    break;
                case NodeEvent or AnchorAlias:
                    var isKey = parent is { IsMapping: true, AtKey: true };
                    string? path;
                    if (parent is null) path = null;
                    else if (isKey) path = Join(parent.Path, (e as Scalar)?.Value);
                    else if (parent.IsMapping) path = Join(parent.Path, parent.Key);
                    else path = $"{parent.Path}[{parent.Index}]";
                    if (isKey) parent!.Key = (e as Scalar)?.Value;
                    if (e is MappingStart or SequenceStart)
                    {
                        var anchor = ((NodeEvent)e).Anchor;
                        var opened = new Frame(e is MappingStart, path, anchor.IsEmpty ? null : anchor.Value);
                        stack.Push(opened);
                        yield return new Step(e, path, isKey, stack.Count, parent, opened, null, opened);
                    }
                    else
                    {
                        Advance(parent);
                        yield return new Step(e, path, isKey, stack.Count + 1, parent, null, null, parent);
                    }
                    break;
                default:
                    yield return new Step(e, null, false, stack.Count, parent, null, null, parent);
                    break;
            }
        }

        static void Advance(Frame? frame)
        {
            if (frame is null) return;
            if (frame.IsMapping) frame.AtKey = !frame.AtKey;
            else frame.Index++;
        }
    }
}
