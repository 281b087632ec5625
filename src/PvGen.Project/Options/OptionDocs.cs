using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PvGen.Project.Options;

/// <summary>
/// What the option table renders for people and editors: the options reference (docs/options.md, and a synopsis per
/// verb in the README) and the JSON Schema of pvgen.json (schemas/pvgen.schema.json). Tests keep both equal to the table.
/// </summary>
public static class OptionDocs
{
    /// <summary>"pvgen scan PATH... [--model FILE] ...": one line per verb, options in table order.</summary>
    public static string Synopsis(VerbSpec verb)
    {
        var words = new List<string> { "pvgen", verb.Path };
        foreach (var option in verb.Options)
        {
            words.Add(option.Positional switch
            {
                Positional.ExactlyOne => option.Name.ToUpperInvariant(),
                Positional.OneOrMore => option.Name.ToUpperInvariant() + "...",
                Positional.ZeroOrOne => $"[{option.Name.ToUpperInvariant()}]",
                _ => option.Kind == OptionKind.Flag
                    ? $"[{option.Display}]"
                    : $"[{option.Display} {(option.Choices.Count is > 0 and <= 6 ? string.Join("|", option.Choices) : option.ValueName ?? option.Name.ToUpperInvariant())}]{(option.IsList ? "..." : string.Empty)}",
            });
        }

        return string.Join(' ', words);
    }

    /// <summary>docs/options.md: per verb, its synopsis and every option with its pvgen.json key, default and help.</summary>
    public static string Reference()
    {
        var text = new StringBuilder();
        text.Append("# pvgen options\n\n");
        text.Append("Generated from the option table (`src/PvGen.Project/Options/OptionTable.cs`); a test keeps this file equal to it\n");
        text.Append("(`PVGEN_UPDATE_GOLDEN=1 dotnet test` rewrites it). Every option with a pvgen.json key may be set in pvgen.json\n");
        text.Append("(`--config FILE`, else `./pvgen.json`); the command line wins. Lists take one value per flag: repeat the flag, or,\n");
        text.Append("where it says so, separate values with commas. Paths on the command line are relative to the working directory,\n");
        text.Append("paths in pvgen.json to the file's directory.\n");
        foreach (var verb in Verbs.All)
        {
            text.Append($"\n## pvgen {verb.Path}\n\n{verb.Summary}\n\n```\n{Synopsis(verb)}\n```\n\n");
            text.Append("| option | pvgen.json | default | what it does |\n|---|---|---|---|\n");
            foreach (var option in verb.Options)
            {
                string name = option.Positional == Positional.No
                    ? string.Join(", ", option.Aliases.Where(a => a.Length == 2).Append(option.Display))
                    : option.Name.ToUpperInvariant();
                string help = option.Help + (option.Choices.Count > 0 && !option.Help.Contains(option.Choices[0], StringComparison.Ordinal) ? $" One of: {string.Join(", ", option.Choices)}." : string.Empty)
                    + (option.SplitCommas ? " Comma-separated values too." : string.Empty);
                text.Append($"| `{name}` | {(option.JsonPath is { } key ? $"`{key}`" : "-")} | {Cell(option.Default ?? "-")} | {Cell(help)} |\n");
            }
        }

        text.Append("\n## Per-op settings: \"ops\" in pvgen.json\n\nKeys are op paths (`irq.save_fl`) or globs (`irq.*`); an exact path beats a pattern, a longer pattern a shorter one.\n\n");
        text.Append("| key | default | what it does |\n|---|---|---|\n");
        foreach (var key in OptionTable.Op.All)
        {
            text.Append($"| `{key.JsonKey}` | {Cell(key.Default ?? "-")} | {Cell(key.Help)} |\n");
        }

        return text.ToString();
    }

    /// <summary>The JSON Schema (draft 2020-12) of pvgen.json: every key of the table, its type, choices and help.</summary>
    public static string Schema()
    {
        static JsonObject Property(OptionSpec option)
        {
            var node = new JsonObject { ["description"] = option.FullHelp };
            JsonNode Scalar() => option.Kind switch
            {
                OptionKind.Flag => new JsonObject { ["type"] = "boolean" },
                OptionKind.Integer => new JsonObject { ["type"] = "integer" },
                _ when option.Choices.Count > 0 => new JsonObject { ["enum"] = new JsonArray([.. option.Choices.Concat(option.ChoiceAliases.Keys).Select(c => (JsonNode?)JsonValue.Create(c))]) },
                _ => new JsonObject { ["type"] = "string", ["minLength"] = 1 },
            };

            if (option.IsList)
            {
                node["anyOf"] = new JsonArray(Scalar(), new JsonObject { ["type"] = "array", ["items"] = Scalar() });
            }
            else if (option.Kind == OptionKind.TextPerTarget)
            {
                var perTarget = new JsonObject();
                foreach (string target in OptionSpec.Targets)
                {
                    perTarget[target] = Scalar();
                }

                node["anyOf"] = new JsonArray(Scalar(), new JsonObject { ["type"] = "object", ["additionalProperties"] = false, ["minProperties"] = 1, ["properties"] = perTarget });
            }
            else
            {
                foreach (var (key, value) in Scalar().AsObject().ToList())
                {
                    node[key] = value?.DeepClone();
                }
            }

            return node;
        }

        static JsonObject Object(IEnumerable<OptionSpec> options)
        {
            var properties = new JsonObject();
            foreach (var option in options)
            {
                properties[option.JsonKey!] = Property(option);
                foreach (string alias in option.JsonAliases)
                {
                    var old = Property(option);
                    old["description"] = $"Old name of '{option.JsonKey}' (still read). {option.FullHelp}";
                    old["deprecated"] = true;
                    properties[alias] = old;
                }
            }

            return new JsonObject { ["type"] = "object", ["additionalProperties"] = false, ["properties"] = properties };
        }

        var root = Object(Verbs.TopLevel);
        root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        root["$id"] = "https://pvgen.dev/schemas/pvgen.schema.json";
        root["title"] = "pvgen.json";
        root["description"] = "A PvGen project file: the inputs of the parse at the top level, one section per stage, and per-op settings under \"ops\".";
        var properties = root["properties"]!.AsObject();
        properties[Config.ProjectConfig.SchemaKey] = new JsonObject { ["type"] = "string" };
        foreach (var (section, options) in Verbs.Sections.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            properties[section] = Object(options);
        }

        properties[Config.ProjectConfig.OpsKey] = new JsonObject
        {
            ["description"] = "Per-op settings, keyed by op path (irq.save_fl) or glob (irq.*).",
            ["type"] = "object",
            ["additionalProperties"] = Object(OptionTable.Op.All),
        };

        // Properties in a fixed order: the schema is a checked-in file that must not churn.
        var ordered = new JsonObject();
        foreach (var (key, value) in root.OrderBy(p => p.Key switch { "$schema" => 0, "$id" => 1, "title" => 2, "description" => 3, _ => 4 }).ToList())
        {
            root.Remove(key);
            ordered[key] = value;
        }

        return ordered.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
