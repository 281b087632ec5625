using System.Text.Json;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.Model.Json;
using PvGen.Project.Options;

namespace PvGen.Project.Config;

/// <summary>One value from pvgen.json, with where it is written.</summary>
/// <param name="Value">The bound value (paths already absolute).</param>
/// <param name="Raw">The value as written in the file.</param>
public sealed record ConfigValue(JsonElement Value, SourceLocation Where, JsonElement Raw);

/// <summary>
/// pvgen.json, read once and bound strictly against the option table: every key of every section is known (else a
/// located error with a suggestion), every value has its option's type, and paths resolve against the file's directory.
/// </summary>
public sealed class ProjectConfig
{
    public const string OpsKey = "ops";
    public const string SchemaKey = "$schema";

    /// <summary>What pvgen import read besides the ops (families, sites, the macro section): an object no verb reads.</summary>
    public const string ImportKey = "import";

    private readonly Dictionary<string, ConfigValue> values;

    private ProjectConfig(string? path, string baseDirectory, Dictionary<string, ConfigValue> values, OpsConfig ops)
    {
        SourcePath = path;
        BaseDirectory = baseDirectory;
        this.values = values;
        Ops = ops;
    }

    /// <summary>No pvgen.json: every option has its command-line value or its default.</summary>
    public static ProjectConfig None { get; } = new(null, Environment.CurrentDirectory, [], OpsConfig.Empty);

    /// <summary>The file as given (null when there is none).</summary>
    public string? SourcePath { get; }

    /// <summary>The directory relative paths in the file are resolved against.</summary>
    public string BaseDirectory { get; }

    public OpsConfig Ops { get; }

    /// <summary>The value of an option's key, when the file sets it.</summary>
    public ConfigValue? Get(OptionSpec option) => option.JsonPath is { } key && values.TryGetValue(key, out var value) ? value : null;

    /// <summary>Resolves a path from the file against its directory.</summary>
    public string Resolve(string path) => Path.GetFullPath(path, BaseDirectory);

    /// <summary>Reads and binds a pvgen.json; every problem is a <see cref="PvGenException"/> located in the file.</summary>
    /// <param name="path">The file as messages name it (relative to <paramref name="workingDirectory"/>, or absolute).</param>
    public static ProjectConfig Load(string path, string? workingDirectory = null)
    {
        string full = Path.GetFullPath(path, workingDirectory ?? Environment.CurrentDirectory);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw PvGenException.Error(File.Exists(full) || Directory.Exists(full) ? DiagnosticIds.BadConfig : DiagnosticIds.FileNotFound,
                $"cannot read config '{path}': {Model.IO.AtomicFile.Describe(e, path)}");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw PvGenException.Error(DiagnosticIds.BadConfig, $"not valid JSON: {RuntimeMessages.OfJson(e)}", JsonLocations.Of(e, path));
        }

        using (document)
        {
            var binder = new Binder(JsonLocations.Of(bytes, path), Path.GetDirectoryName(full)!);
            binder.Bind(document.RootElement);
            if (binder.Problems.Count > 0)
            {
                throw new PvGenException(binder.Problems);
            }

            return new ProjectConfig(path, Path.GetDirectoryName(full)!, binder.Values, new OpsConfig(path, binder.Ops));
        }
    }

    /// <summary>Walks the document once against the table, collecting every problem rather than stopping at the first.</summary>
    private sealed class Binder(JsonLocations where, string baseDirectory)
    {
        public Dictionary<string, ConfigValue> Values { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, OpConfig> Ops { get; } = new(StringComparer.Ordinal);

        public List<Diagnostic> Problems { get; } = [];

        private void Problem(string message, SourceLocation at) => Problems.Add(new Diagnostic(DiagnosticIds.BadConfig, Severity.Error, message, at));

        public void Bind(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                Problem($"a pvgen.json holds one JSON object, not {Describe(root)}", where.Start);
                return;
            }

            var topLevel = Verbs.TopLevel.ToDictionary(o => o.JsonKey!, StringComparer.Ordinal);
            var known = topLevel.Keys.Concat(Verbs.Sections.Keys).Append(OpsKey).Append(SchemaKey).Append(ImportKey).ToList();
            foreach (var property in root.EnumerateObject())
            {
                string pointer = JsonLocations.Pointer(string.Empty, property.Name);
                if (!Once(pointer, property.Name))
                {
                    continue;
                }

                if (property.Name == SchemaKey)
                {
                    Expect(property.Value, JsonValueKind.String, SchemaKey, pointer);
                }
                else if (property.Name == ImportKey)
                {
                    Expect(property.Value, JsonValueKind.Object, ImportKey, pointer);
                }
                else if (property.Name == OpsKey)
                {
                    BindOps(property.Value, pointer);
                }
                else if (Verbs.Sections.TryGetValue(property.Name, out var keys))
                {
                    BindSection(property.Name, property.Value, keys, pointer);
                }
                else if (Lookup(Verbs.TopLevel, property.Name) is { } option)
                {
                    BindValue(option, option.JsonKey!, property.Value, pointer);
                }
                else
                {
                    Problem($"unknown key '{property.Name}'{(Suggestions.Closest(property.Name, known) is { } close ? $" (did you mean '{close}'?)" : KeyHint(property.Name, Verbs.TopLevel))}", where.Key(pointer));
                }
            }
        }

        private void BindSection(string section, JsonElement value, IReadOnlyList<OptionSpec> keys, string pointer)
        {
            if (!Expect(value, JsonValueKind.Object, section, pointer))
            {
                return;
            }

            foreach (var property in value.EnumerateObject())
            {
                string inner = JsonLocations.Pointer(pointer, property.Name);
                if (!Once(inner, $"{section}.{property.Name}"))
                {
                    continue;
                }

                if (Lookup(keys, property.Name) is { } option)
                {
                    BindValue(option, $"{section}.{property.Name}", property.Value, inner);
                }
                else
                {
                    Problem($"unknown key '{section}.{property.Name}'{KeyHint(property.Name, keys)}", where.Key(inner));
                }
            }
        }

        private void BindOps(JsonElement value, string pointer)
        {
            if (!Expect(value, JsonValueKind.Object, OpsKey, pointer))
            {
                return;
            }

            foreach (var entry in value.EnumerateObject())
            {
                string opPointer = JsonLocations.Pointer(pointer, entry.Name);
                if (!Once(opPointer, $"ops.{entry.Name}") || !Expect(entry.Value, JsonValueKind.Object, $"ops.{entry.Name}", opPointer))
                {
                    continue;
                }

                var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var field in entry.Value.EnumerateObject())
                {
                    string fieldPointer = JsonLocations.Pointer(opPointer, field.Name);
                    if (!Once(fieldPointer, $"ops.{entry.Name}.{field.Name}"))
                    {
                        continue;
                    }

                    if (Lookup(OptionTable.Op.All, field.Name) is { } key)
                    {
                        if (Check(key, $"ops.{entry.Name}.{field.Name}", field.Value, fieldPointer))
                        {
                            fields[key.JsonKey!] = field.Value;
                        }
                    }
                    else
                    {
                        Problem($"unknown key '{field.Name}' in op '{entry.Name}'{Suggestions.Hint(field.Name, OptionTable.Op.All.Select(o => o.JsonKey!))}", where.Key(fieldPointer));
                    }
                }

                Ops[entry.Name] = new OpConfig
                {
                    Signature = Text(fields, OptionTable.Op.Signature),
                    Name = Text(fields, OptionTable.Op.Name),
                    Clobbers = fields.TryGetValue(OptionTable.Op.Clobbers.JsonKey!, out var clobbers) ? Strings(clobbers) : null,
                    Skip = Bool(fields, OptionTable.Op.Skip),
                    Jump = Bool(fields, OptionTable.Op.Jump),
                    Native = PerTarget(fields, OptionTable.Op.Native),
                    Location = where.Key(opPointer),
                };
            }
        }

        private void BindValue(OptionSpec option, string display, JsonElement value, string pointer)
        {
            string canonical = option.JsonPath!;
            if (Values.ContainsKey(canonical))
            {
                Problem($"'{display}' is given twice (under an old name too); keep one", where.Key(pointer));
                return;
            }

            if (Check(option, display, value, pointer))
            {
                var stored = option.Kind switch
                {
                    // Paths are resolved here, against the file's directory: the rest of the run sees absolute paths only.
                    OptionKind.Path => JsonSerializer.SerializeToElement(Path.GetFullPath(value.GetString()!, baseDirectory), ProjectJsonContext.Default.String),
                    OptionKind.PathList => JsonSerializer.SerializeToElement(Strings(value).Select(p => Path.GetFullPath(p, baseDirectory)).ToArray(), ProjectJsonContext.Default.StringArray),
                    _ => value.Clone(),
                };
                Values[canonical] = new ConfigValue(stored, where.Value(pointer), value.Clone());
            }
        }

        /// <summary>Type and choice checks of one value against its option's kind.</summary>
        private bool Check(OptionSpec option, string display, JsonElement value, string pointer)
        {
            var at = where.Value(pointer);
            switch (option.Kind)
            {
                case OptionKind.Flag:
                    return Expect(value, JsonValueKind.True, display, pointer, JsonValueKind.False);
                case OptionKind.Integer:
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out _))
                    {
                        Problem($"'{display}' must be a whole number, not {Describe(value)}", at);
                        return false;
                    }

                    return true;
                case OptionKind.Text or OptionKind.Path or OptionKind.Choice:
                    if (!Expect(value, JsonValueKind.String, display, pointer))
                    {
                        return false;
                    }

                    if (value.GetString()!.Length == 0)
                    {
                        Problem($"'{display}' is empty", at);
                        return false;
                    }

                    return option.Kind != OptionKind.Choice || Choice(option, display, value.GetString()!, at);
                case OptionKind.TextPerTarget when value.ValueKind == JsonValueKind.Object:
                    bool good = value.EnumerateObject().Any();
                    if (!good)
                    {
                        Problem($"'{display}' is an empty object; give a string for every target, or one per target ({string.Join(", ", OptionSpec.Targets)})", at);
                    }

                    foreach (var entry in value.EnumerateObject())
                    {
                        string entryPointer = JsonLocations.Pointer(pointer, entry.Name);
                        if (!OptionSpec.Targets.Contains(entry.Name))
                        {
                            string hint = Suggestions.Closest(entry.Name, OptionSpec.Targets) is { } best ? $" (did you mean '{best}'?)" : string.Empty;
                            Problem($"'{display}' has a key '{entry.Name}', which is no target; use {string.Join(" or ", OptionSpec.Targets)}{hint}", where.Key(entryPointer));
                            good = false;
                        }
                        else if (entry.Value.ValueKind != JsonValueKind.String || entry.Value.GetString()!.Length == 0)
                        {
                            Problem($"'{display}.{entry.Name}' must be a non-empty string, not {Describe(entry.Value)}", where.Value(entryPointer));
                            good = false;
                        }
                    }

                    return good;
                case OptionKind.TextPerTarget:
                    if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0)
                    {
                        Problem($"'{display}' must be a non-empty string (every target) or an object with one per target ({string.Join(", ", OptionSpec.Targets)}), not {Describe(value)}", at);
                        return false;
                    }

                    return true;
                default:
                    if (value.ValueKind is not (JsonValueKind.Array or JsonValueKind.String)
                        || value.ValueKind == JsonValueKind.Array && value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String || v.GetString()!.Length == 0))
                    {
                        Problem($"'{display}' must be a string or an array of non-empty strings, not {Describe(value)}", at);
                        return false;
                    }

                    return option.Kind != OptionKind.ChoiceList || Strings(value).All(v => Choice(option, display, v, at));
            }
        }

        private bool Choice(OptionSpec option, string display, string value, SourceLocation at)
        {
            if (option.Canonical(value) is not null)
            {
                return true;
            }

            string hint = Suggestions.Closest(value, option.Choices) is { } best ? $" (did you mean '{best}'?)" : string.Empty;
            Problem($"'{display}' is '{value}'; use one of: {string.Join(", ", option.Choices)}{hint}", at);
            return false;
        }

        private bool Expect(JsonElement value, JsonValueKind kind, string display, string pointer, JsonValueKind alternative = JsonValueKind.Undefined)
        {
            if (value.ValueKind == kind || value.ValueKind == alternative)
            {
                return true;
            }

            string wanted = kind switch
            {
                JsonValueKind.Object => "an object",
                JsonValueKind.String => "a string",
                JsonValueKind.True => "true or false",
                _ => kind.ToString().ToLowerInvariant(),
            };
            Problem($"'{display}' must be {wanted}, not {Describe(value)}", where.Value(pointer));
            return false;
        }

        private bool Once(string pointer, string display)
        {
            if (where.Occurrences(pointer) <= 1)
            {
                return true;
            }

            if (!Problems.Any(p => p.Message.StartsWith($"'{display}' is given", StringComparison.Ordinal)))
            {
                Problem($"'{display}' is given {where.Occurrences(pointer)} times; keep one", where.Key(pointer));
            }

            return false;
        }

        /// <summary>"Did you mean" over the keys and their old names, always naming the current key.</summary>
        private static string KeyHint(string given, IEnumerable<OptionSpec> options)
        {
            var names = options.SelectMany(o => o.JsonAliases.Prepend(o.JsonKey!).Select(name => (Name: name, Key: o.JsonKey!))).ToList();
            return Suggestions.Closest(given, names.Select(n => n.Name)) is { } close
                ? $" (did you mean '{names.First(n => n.Name == close).Key}'?)"
                : Suggestions.Hint(given, names.Select(n => n.Key).Distinct());
        }

        private static OptionSpec? Lookup(IEnumerable<OptionSpec> options, string key) =>
            options.FirstOrDefault(o => o.JsonKey == key || o.JsonAliases.Contains(key, StringComparer.Ordinal));

        private static string? Text(Dictionary<string, JsonElement> fields, OptionSpec key) =>
            fields.TryGetValue(key.JsonKey!, out var value) ? value.GetString() : null;

        /// <summary>A <see cref="OptionKind.TextPerTarget"/> value: the string form as <see cref="PerTarget{T}.All"/>, the object form by target.</summary>
        private static PerTarget<string>? PerTarget(Dictionary<string, JsonElement> fields, OptionSpec key) =>
            !fields.TryGetValue(key.JsonKey!, out var value) ? null
            : value.ValueKind == JsonValueKind.String ? new PerTarget<string>(value.GetString(), null)
            : new PerTarget<string>(null, value.EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetString()!, StringComparer.Ordinal));

        private static bool? Bool(Dictionary<string, JsonElement> fields, OptionSpec key) =>
            fields.TryGetValue(key.JsonKey!, out var value) ? value.GetBoolean() : null;
    }

    /// <summary>A list value: an array of strings, or one string standing for a one-element list.</summary>
    public static string[] Strings(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? [value.GetString()!] : [.. value.EnumerateArray().Select(v => v.GetString()!)];

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };
}


[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class ProjectJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
