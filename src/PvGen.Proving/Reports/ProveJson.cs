using System.Text.Encodings.Web;
using System.Text.Json;

namespace PvGen.Proving.Reports;

/// <summary>pvgen.prove/1 as JSON: the report records with snake_case names.</summary>
public static class ProveJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Render(ProveReport report) => JsonSerializer.Serialize(report, Options) + "\n";
}
