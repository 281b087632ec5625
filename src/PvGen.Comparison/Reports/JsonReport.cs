using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace PvGen.Comparison.Reports;

/// <summary>pvgen.diff/1 as JSON: the report records with snake_case names (docs/diff-schema.md).</summary>
public static class JsonReport
{
    // Source-generated metadata (DiffReportJsonContext): no reflection, so a NativeAOT pvgen writes the same bytes.
    private static readonly JsonTypeInfo<DiffReport> Info = (JsonTypeInfo<DiffReport>)new JsonSerializerOptions(DiffReportJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    }.GetTypeInfo(typeof(DiffReport));

    public static string Render(DiffReport report) => JsonSerializer.Serialize(report, Info) + "\n";
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DictionaryKeyPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true)]
[JsonSerializable(typeof(DiffReport))]
internal sealed partial class DiffReportJsonContext : JsonSerializerContext;
