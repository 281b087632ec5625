using System.Globalization;
using System.Text.Json;
using PvGen.Model;
using PvGen.Project.Config;
using PvGen.Project.Options;

namespace PvGen.Project;

/// <summary>What was given on the command line: the raw strings of each option, by the option's name.</summary>
public sealed class OptionValues
{
    private readonly Dictionary<string, IReadOnlyList<string>> given = new(StringComparer.Ordinal);

    public static OptionValues Of(params (string Name, string[] Values)[] values)
    {
        var result = new OptionValues();
        foreach (var (name, list) in values)
        {
            result.Set(name, list);
        }

        return result;
    }

    public void Set(string name, IReadOnlyList<string> values) => given[name] = values;

    public IReadOnlyList<string>? Get(OptionSpec option) => given.TryGetValue(option.Name, out var values) ? values : null;

    public bool Has(OptionSpec option) => given.ContainsKey(option.Name);

    public IEnumerable<string> Names => given.Keys;
}

/// <summary>
/// One verb's view of its options: the command line first, then pvgen.json, then the option's default. Every value
/// is parsed and checked here, with the same rules for both sources; an error names the option and, for values from
/// pvgen.json, the line and column.
/// </summary>
public sealed class Settings
{
    private readonly OptionValues cli;

    public Settings(VerbSpec verb, OptionValues cli, ProjectConfig config, string workingDirectory)
    {
        Verb = verb;
        this.cli = cli;
        Config = config;
        WorkingDirectory = workingDirectory;
        foreach (string name in cli.Names)
        {
            if (verb.Find(name) is null)
            {
                throw Bad($"pvgen {verb.Path} takes no option --{name}", null);
            }
        }
    }

    /// <summary>Loads pvgen.json (--config FILE, else ./pvgen.json when present) and binds the verb's options.</summary>
    public static Settings For(VerbSpec verb, OptionValues cli, string? workingDirectory = null)
    {
        string cwd = workingDirectory ?? Environment.CurrentDirectory;
        ProjectConfig config;
        if (verb.Find(OptionTable.Common.Config.Name) is null)
        {
            config = ProjectConfig.None;
        }
        else if (cli.Get(OptionTable.Common.Config) is [var path, ..])
        {
            string full = System.IO.Path.GetFullPath(path, cwd);
            config = File.Exists(full)
                ? ProjectConfig.Load(path, cwd)
                : throw PvGenException.Error(DiagnosticIds.FileNotFound, $"config file '{path}' not found");
        }
        else
        {
            string found = System.IO.Path.Combine(cwd, "pvgen.json");
            config = File.Exists(found) ? ProjectConfig.Load(Relative(found, cwd), cwd) : ProjectConfig.None;
        }

        return new Settings(verb, cli, config, cwd);
    }

    public VerbSpec Verb { get; }

    public ProjectConfig Config { get; }

    public string WorkingDirectory { get; }

    /// <summary>Whether the option was given at all (command line or pvgen.json).</summary>
    public bool IsSet(OptionSpec option) => cli.Has(Taken(option)) || Config.Get(option) is not null;

    public bool GivenOnCommandLine(OptionSpec option) => cli.Has(Taken(option));

    /// <summary>The raw command-line values of an option, or null when it was not given there.</summary>
    public IReadOnlyList<string>? CommandLine(OptionSpec option) => cli.Get(Taken(option));

    public string? Text(OptionSpec option)
    {
        if (Single(option) is { } fromCli)
        {
            return fromCli.Length > 0 ? fromCli : throw Bad($"--{option.Name} is empty", null);
        }

        return Config.Get(option)?.Value.GetString();
    }

    /// <summary>The value exactly as written (a path not yet resolved), or null when unset.</summary>
    public string? RawText(OptionSpec option) => Single(option) ?? (Config.Get(option)?.Raw is { ValueKind: JsonValueKind.String } raw ? raw.GetString() : null);

    /// <summary>An absolute path: command-line values against the working directory, pvgen.json values against the file's directory.</summary>
    public string? Path(OptionSpec option) =>
        Single(option) is { } fromCli ? System.IO.Path.GetFullPath(fromCli, WorkingDirectory) : Config.Get(option)?.Value.GetString();

    /// <summary>The canonical choice (aliases mapped), or null when unset.</summary>
    public string? Choice(OptionSpec option)
    {
        if (Single(option) is { } fromCli)
        {
            return option.Canonical(fromCli) ?? throw BadChoice(option, fromCli, null);
        }

        return Config.Get(option) is { } value ? option.Canonical(value.Value.GetString()!) : null;
    }

    public bool? Flag(OptionSpec option)
    {
        if (cli.Get(Taken(option)) is [.., var last])
        {
            return bool.TryParse(last, out bool on) ? on : throw Bad($"--{option.Name} takes no value (got '{last}')", null);
        }

        return Config.Get(option)?.Value.GetBoolean();
    }

    public int? Integer(OptionSpec option, int minimum = int.MinValue)
    {
        int? value;
        SourceLocation? where = null;
        if (Single(option) is { } fromCli)
        {
            value = int.TryParse(fromCli, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int parsed)
                ? parsed
                : throw Bad($"--{option.Name} takes a whole number (got '{fromCli}')", null);
        }
        else if (Config.Get(option) is { } configured)
        {
            value = configured.Value.GetInt32();
            where = configured.Where;
        }
        else
        {
            return null;
        }

        return value >= minimum ? value : throw Bad($"{Name(option, where)} must be at least {minimum} (got {value})", where);
    }

    /// <summary>
    /// A list: command-line values (repeatable; comma-separated too where the option says so) replace pvgen.json's, or
    /// follow them for options that accumulate (include dirs, defines). Choices are canonical, paths absolute.
    /// </summary>
    public IReadOnlyList<string> List(OptionSpec option)
    {
        var fromConfig = Config.Get(option) is { } configured ? ProjectConfig.Strings(configured.Value) : [];
        var fromCli = (cli.Get(Taken(option)) ?? [])
            .SelectMany(v => option.SplitCommas ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [v])
            .ToList();
        if (fromCli.Any(v => v.Length == 0))
        {
            throw Bad($"--{option.Name} is given an empty value", null);
        }

        if (option.Kind == OptionKind.ChoiceList)
        {
            var canonical = fromCli.Select(v => option.Canonical(v) ?? throw BadChoice(option, v, null)).ToList();
            fromConfig = [.. fromConfig.Select(v => option.Canonical(v)!)];
            fromCli = canonical;
        }
        else if (option.Kind == OptionKind.PathList)
        {
            fromCli = [.. fromCli.Select(p => System.IO.Path.GetFullPath(p, WorkingDirectory))];
        }

        IEnumerable<string> merged = fromCli.Count == 0 ? fromConfig : option.Accumulates ? fromConfig.Concat(fromCli) : fromCli;
        return option.Kind == OptionKind.ChoiceList ? merged.Distinct(StringComparer.Ordinal).ToList() : merged.ToList();
    }

    /// <summary>Where a value came from, for messages: the pvgen.json location, or null for the command line and defaults.</summary>
    public SourceLocation? Where(OptionSpec option) => cli.Has(Taken(option)) ? null : Config.Get(option)?.Where;

    /// <summary>A problem with an option's value, located in pvgen.json when it came from there.</summary>
    public PvGenException Invalid(OptionSpec option, string message) => Bad($"{Name(option, Where(option))}: {message}", Where(option));

    /// <summary>How an option is named in messages: "--target", or "'generate.record_format'" for a pvgen.json value.</summary>
    public static string Name(OptionSpec option, SourceLocation? where) => where is null ? option.Display : $"'{option.JsonPath}'";

    /// <summary>The path as a user should read it: relative to the working directory when below it.</summary>
    public string Display(string path) => PathDisplay.Relative(path, WorkingDirectory);

    private string? Single(OptionSpec option) => cli.Get(Taken(option)) is { Count: > 0 } values ? values[^1] : null;

    /// <summary>The verb's own declaration of the option (verbs may take a sibling spec of the same name).</summary>
    private OptionSpec Taken(OptionSpec option) => Verb.Find(option.Name) ?? option;

    private static string Relative(string path, string cwd) => PathDisplay.Relative(path, cwd);

    private static PvGenException Bad(string message, SourceLocation? where) =>
        PvGenException.Error(where is null ? DiagnosticIds.BadOption : DiagnosticIds.BadConfig, message, where);

    private static PvGenException BadChoice(OptionSpec option, string value, SourceLocation? where) =>
        Bad($"{Name(option, where)} does not take '{value}'; use one of: {string.Join(", ", option.Choices)}{(Suggestions.Closest(value, option.Choices) is { } best ? $" (did you mean '{best}'?)" : string.Empty)}", where);
}
