using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace PvGen.Proving.Reports;

/// <summary>pvgen.prove/1 as JSON: the report records with snake_case names.</summary>
public static class ProveJson
{
    // Source-generated metadata (ProveReportJsonContext): no reflection, so a NativeAOT pvgen writes the same bytes.
    private static readonly JsonTypeInfo<ProveReport> Info = (JsonTypeInfo<ProveReport>)new JsonSerializerOptions(ProveReportJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    }.GetTypeInfo(typeof(ProveReport));

    public static string Render(ProveReport report) => JsonSerializer.Serialize(report, Info) + "\n";
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DictionaryKeyPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true)]
[JsonSerializable(typeof(ProveReport))]
internal sealed partial class ProveReportJsonContext : JsonSerializerContext;
