using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using PvGen.Model.Json;

namespace PvGen.Proving.Reports;

/// <summary>pvgen.prove/1 as JSON: the report records with snake_case names.</summary>
public static class ProveJson
{
    private static readonly JsonTypeInfo<ProveReport> Info = ContractJson.Report(ProveReportJsonContext.Default).InfoFor<ProveReport>();

    public static string Render(ProveReport report) => ContractJson.Serialize(report, Info);
}

[JsonSerializable(typeof(ProveReport))]
internal sealed partial class ProveReportJsonContext : JsonSerializerContext;
