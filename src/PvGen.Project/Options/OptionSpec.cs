namespace PvGen.Project.Options;

/// <summary>What an option's value is; the resolver parses and checks every kind the same way for the command line and pvgen.json.</summary>
public enum OptionKind
{
    /// <summary>On/off: a bare <c>--flag</c>; <c>true</c>/<c>false</c> in pvgen.json.</summary>
    Flag,

    Text,

    /// <summary>A file or directory: relative to the working directory on the command line, to the file's directory in pvgen.json.</summary>
    Path,

    Integer,

    /// <summary>One of <see cref="OptionSpec.Choices"/> (or an alias of one).</summary>
    Choice,

    /// <summary>Repeatable; comma-separated too when <see cref="OptionSpec.SplitCommas"/>.</summary>
    TextList,

    PathList,

    ChoiceList,

    /// <summary>
    /// pvgen.json only: one string for every target, or an object with one string per target it holds for
    /// (<see cref="OptionSpec.Targets"/>), e.g. {"x86_64": "57 9d", "i386": "50 9d"}.
    /// </summary>
    TextPerTarget,
}

/// <summary>Whether a value is positional, and how many it takes.</summary>
public enum Positional
{
    No,
    ZeroOrOne,
    OneOrMore,
    ExactlyOne,
}

/// <summary>
/// One option, declared once: its command-line spelling, its pvgen.json key, its help, default and allowed values.
/// Help text, the pvgen.json schema and the README's option lists are all rendered from these declarations.
/// </summary>
public sealed record OptionSpec
{
    /// <summary>The long command-line name without dashes ("include-dir"), or a positional argument's name ("header").</summary>
    public required string Name { get; init; }

    public required OptionKind Kind { get; init; }

    public required string Help { get; init; }

    /// <summary>Other command-line spellings, e.g. "-I", or an older long name kept for compatibility.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>The key in pvgen.json, or null for options that only make sense on the command line (-o, --config).</summary>
    public string? JsonKey { get; init; }

    /// <summary>Older pvgen.json keys still read (the file is rejected when it holds both).</summary>
    public IReadOnlyList<string> JsonAliases { get; init; } = [];

    /// <summary>The pvgen.json section that holds the key ("generate", "scan", ...), or null for the top level.</summary>
    public string? Section { get; init; }

    /// <summary>The default as shown to people; the resolver applies it (dynamic defaults say so in words).</summary>
    public string? Default { get; init; }

    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>Older or alternative names of choices, each mapped to its canonical choice.</summary>
    public IReadOnlyDictionary<string, string> ChoiceAliases { get; init; } = new Dictionary<string, string>();

    /// <summary>List values given on the command line are also split at commas ("gcc,clang").</summary>
    public bool SplitCommas { get; init; }

    /// <summary>Command-line values add to pvgen.json's (include dirs, defines) instead of replacing them.</summary>
    public bool Accumulates { get; init; }

    public Positional Positional { get; init; } = Positional.No;

    /// <summary>What the value is called in help ("DIR", "FILE", "NAME").</summary>
    public string? ValueName { get; init; }

    /// <summary>The keys of a <see cref="OptionKind.TextPerTarget"/> value's object form: the targets PvGen builds for.</summary>
    public static readonly IReadOnlyList<string> Targets = [Model.Target.X86_64.Arch, Model.Target.I386.Arch];

    public bool IsList => Kind is OptionKind.TextList or OptionKind.PathList or OptionKind.ChoiceList;

    /// <summary>"--name" for options, "NAME" for positional arguments.</summary>
    public string Display => Positional == Positional.No ? "--" + Name : Name.ToUpperInvariant();

    /// <summary>Where the key lives in pvgen.json, e.g. "generate.record_format" (null when it has none).</summary>
    public string? JsonPath => JsonKey is null ? null : Section is null ? JsonKey : $"{Section}.{JsonKey}";

    /// <summary>The canonical choice for a given value (an alias maps to its target), or null when it is none of them.</summary>
    public string? Canonical(string value) =>
        Choices.Contains(value, StringComparer.Ordinal) ? value : ChoiceAliases.TryGetValue(value, out string? target) ? target : null;

    /// <summary>The help text with its choices and default, as every rendering shows it.</summary>
    public string FullHelp
    {
        get
        {
            string text = Help;
            if (Choices.Count > 0 && !Help.Contains(Choices[0], StringComparison.Ordinal))
            {
                text += $" One of: {string.Join(", ", Choices)}.";
            }

            if (Default is not null)
            {
                text += $" Default: {Default}.";
            }

            if (JsonPath is not null)
            {
                text += $" pvgen.json: \"{JsonPath}\".";
            }

            return text;
        }
    }
}
