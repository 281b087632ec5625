using System.Text.Json;
using System.Text.Json.Serialization;
using PvGen.Model;
using PvGen.Model.Json;

namespace PvGen.Checking.Reports;

/// <summary>The pvgen.check/1 contract (and SARIF): the machine-readable reports of `pvgen check`.</summary>
public static class CheckJson
{
    public const string SchemaId = "pvgen.check/1";

    /// <summary>The report of a generated directory.</summary>
    public static string Generated(CheckReport report) => Render(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("schema", SchemaId);
        writer.WriteString("mode", "generated");
        writer.WriteString("directory", report.Output.Directory);
        writer.WriteBoolean("passed", report.Passed);
        WriteRows(writer, "builds", report.Builds.Select(b =>
            new BuildRow(b.Compiler, b.Style, b.Optimization, b.Compiled, b.Sites, b.Records, b.Format, b.Findings.Count)));
        WriteRows(writer, "type_safety", report.TypeSafety.Select(entry =>
            new TypeSafetyRow(entry.Report.Compiler.Name, entry.Style, entry.Report.Ops.Count, entry.Report.TypeSafeCount,
                entry.Report.Ops.Sum(o => o.Probes), entry.Report.Ops.Sum(o => o.Rejected))));
        WriteCoverage(writer, CheckRunner.Total(report.Builds.SelectMany(b => b.Coverage ?? [])));
        WriteFindings(writer, [.. report.Findings]);
        writer.WriteEndObject();
    });

    /// <summary>The report of `check --object`.</summary>
    /// <param name="nothingVerified">The warning that no check applied (<see cref="CheckRunner.NothingVerified"/>), listed with the findings.</param>
    public static string Objects(IReadOnlyList<ObjectCheck> results, Finding? nothingVerified = null) => Render(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("schema", SchemaId);
        writer.WriteString("mode", "objects");
        writer.WriteNumber("objects", results.Count);
        writer.WriteNumber("records", results.Sum(r => r.Object.Annotations.Count));
        writer.WriteNumber("non_call_references", results.Sum(r => r.NonCallReferences));
        writer.WriteCounts("record_formats", RecordFormatsOf(results).Select(f => KeyValuePair.Create(f.Format, f.Objects)));
        WriteCoverage(writer, CheckRunner.Total(results.SelectMany(r => r.Coverage)));
        WriteFindings(writer, [.. results.SelectMany(r => r.Findings), .. nothingVerified is null ? [] : new[] { nothingVerified }]);
        writer.WriteEndObject();
    });

    /// <summary>How many objects carry records of each format, by name.</summary>
    public static IReadOnlyList<(string Format, int Objects)> RecordFormatsOf(IEnumerable<ObjectCheck> results) =>
        [.. results.Where(r => r.Object.Annotations.Count > 0 && r.Object.AnnotationFormat is not null)
            .GroupBy(r => r.Object.AnnotationFormat!.Name).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count()))];

    /// <summary>Per check and format: records verified and failed, or why the check does not apply.</summary>
    private static void WriteCoverage(Utf8JsonWriter writer, IReadOnlyList<Annotations.CheckCoverage> coverage) =>
        WriteRows(writer, "checks", coverage.Select(c => new CheckRow(c.Id, c.Format, c.NotApplicable is null, c.Checked, c.Failed, c.NotApplicable)));

    /// <summary>SARIF 2.1.0 of any findings.</summary>
    public static string Sarif(IReadOnlyList<Finding> findings) => Render(writer => Reports.Sarif.Write(writer, findings));

    private static void WriteFindings(Utf8JsonWriter writer, IReadOnlyList<Finding> findings) =>
        WriteRows(writer, "findings", findings.Select(f => new FindingRow(f.Id, f.Severity.Name(), f.Message, f.File, f.Section, f.Offset, f.Function)));

    /// <summary><c>"name": [ {…}, … ]</c>, each row serialised by its type (<see cref="ContractJson.Report"/>: snake_case, in declaration order).</summary>
    private static void WriteRows<T>(Utf8JsonWriter writer, string name, IEnumerable<T> rows)
    {
        writer.WritePropertyName(name);
        JsonSerializer.Serialize(writer, rows.ToList(), RowOptions.InfoFor<List<T>>());
    }

    private static readonly JsonSerializerOptions RowOptions = ContractJson.Report(CheckRowsJsonContext.Default);

    private static string Render(Action<Utf8JsonWriter> write) => JsonWriting.Render(write);
}

// The rows of pvgen.check/1 as types: a row's properties, snake_case and in this order, are the contract's fields.
internal sealed record BuildRow(string Compiler, string Style, string Optimization, bool Compiled, int TableReferences, int Records, string? RecordFormat, int Findings);

internal sealed record TypeSafetyRow(string Compiler, string Style, int Ops, int TypeSafe, int Probes, int Rejected);

internal sealed record CheckRow(string Id, string Format, bool Applicable, int Verified, int Failed, string? NotApplicable);

internal sealed record FindingRow(string Id, string Severity, string Message, string File, string? Section, long? Offset, string? Function);

[JsonSerializable(typeof(List<BuildRow>))]
[JsonSerializable(typeof(List<TypeSafetyRow>))]
[JsonSerializable(typeof(List<CheckRow>))]
[JsonSerializable(typeof(List<FindingRow>))]
internal sealed partial class CheckRowsJsonContext : JsonSerializerContext;
