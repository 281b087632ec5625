using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using PvGen.Model.Json;

namespace PvGen.Comparison.Reports;

/// <summary>pvgen.diff/1 as JSON: the report records with snake_case names (docs/diff-schema.md).</summary>
public static class JsonReport
{
    private static readonly JsonTypeInfo<DiffReport> Info =
        ContractJson.Report(DiffReportJsonContext.Default.WithAddedModifier(OmitAbsentTotals)).InfoFor<DiffReport>();

    public static string Render(DiffReport report) => ContractJson.Serialize(report, Info);

    /// <summary>The nullable totals of <see cref="DiffTotals"/> (the marker style's) are left out, not written as null, when that style did not run.</summary>
    private static void OmitAbsentTotals(JsonTypeInfo info)
    {
        if (info.Type != typeof(DiffTotals))
        {
            return;
        }

        foreach (var property in info.Properties.Where(p => Nullable.GetUnderlyingType(p.PropertyType) is not null))
        {
            property.ShouldSerialize = static (_, value) => value is not null;
        }
    }
}

[JsonSerializable(typeof(DiffReport))]
internal sealed partial class DiffReportJsonContext : JsonSerializerContext;
