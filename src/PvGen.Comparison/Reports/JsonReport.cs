using System.Text.Encodings.Web;
using System.Text.Json;

namespace PvGen.Comparison.Reports;

/// <summary>pvgen.diff/1 as JSON: the report records with snake_case names (docs/diff-schema.md).</summary>
public static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Render(DiffReport report) => JsonSerializer.Serialize(report, Options) + "\n";
}
