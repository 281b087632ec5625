using System.Text.Json;
using PvGen.Model;
using PvGen.Model.Config;

namespace PvGen.Comparison;

/// <summary>The "diff" section of pvgen.json: { "corpus": ["../corpus/a.c", ...] } (paths relative to the config file).</summary>
public sealed record DiffSettings(IReadOnlyList<string> Corpus)
{
    private static readonly string[] Keys = ["corpus"];

    /// <summary>Binds strictly: unknown keys and wrong types are errors located at the config file.</summary>
    public static DiffSettings Bind(PvGenConfig config)
    {
        if (config.Extra is not { } extra || !extra.TryGetValue("diff", out var element))
        {
            return new DiffSettings([]);
        }

        var where = new SourceLocation(config.SourcePath ?? "pvgen.json", 1, 1);
        ConfigException Bad(string message) => new(new Diagnostic(DiagnosticIds.BadDiffConfig, Severity.Error, message, where));
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Bad("'diff' must be an object");
        }

        var corpus = new List<string>();
        foreach (var property in element.EnumerateObject())
        {
            if (!Keys.Contains(property.Name))
            {
                string best = Keys.OrderBy(k => EditDistance.Between(k, property.Name)).First();
                string hint = EditDistance.Between(best, property.Name) <= 3 ? $" (did you mean '{best}'?)" : $" (known keys: {string.Join(", ", Keys)})";
                throw Bad($"unknown key 'diff.{property.Name}'{hint}");
            }

            if (property.Value.ValueKind != JsonValueKind.Array || property.Value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String || v.GetString()!.Length == 0))
            {
                throw Bad("'diff.corpus' must be an array of file paths");
            }

            corpus.AddRange(property.Value.EnumerateArray().Select(v => config.Resolve(v.GetString()!)));
        }

        return new DiffSettings(corpus);
    }
}
