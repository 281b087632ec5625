using System.Text.Json;
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
        writer.WriteObjects("builds", report.Builds, (w, build) =>
        {
            WriteBuild(w, build.Compiler, build.Style);
            w.WriteString("optimization", build.Optimization);
            w.WriteBoolean("compiled", build.Compiled);
            w.WriteNumber("table_references", build.Sites);
            w.WriteNumber("records", build.Records);
            w.WriteString("record_format", build.Format);
            w.WriteNumber("findings", build.Findings.Count);
        });
        writer.WriteObjects("type_safety", report.TypeSafety, (w, entry) =>
        {
            var (style, safety) = entry;
            WriteBuild(w, safety.Compiler.Name, style);
            w.WriteNumber("ops", safety.Ops.Count);
            w.WriteNumber("type_safe", safety.TypeSafeCount);
            w.WriteNumber("probes", safety.Ops.Sum(o => o.Probes));
            w.WriteNumber("rejected", safety.Ops.Sum(o => o.Rejected));
        });
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
    private static void WriteCoverage(Utf8JsonWriter writer, IReadOnlyList<Annotations.CheckCoverage> coverage)
    {
        writer.WriteObjects("checks", coverage, (w, c) =>
        {
            w.WriteString("id", c.Id);
            w.WriteString("format", c.Format);
            w.WriteBoolean("applicable", c.NotApplicable is null);
            w.WriteNumber("verified", c.Checked);
            w.WriteNumber("failed", c.Failed);
            w.WriteString("not_applicable", c.NotApplicable);
        });
    }

    /// <summary>Which build of the generated output a row describes.</summary>
    private static void WriteBuild(Utf8JsonWriter w, string compiler, string style)
    {
        w.WriteString("compiler", compiler);
        w.WriteString("style", style);
    }

    /// <summary>SARIF 2.1.0 of any findings.</summary>
    public static string Sarif(IReadOnlyList<Finding> findings) => Render(writer => Reports.Sarif.Write(writer, findings));

    private static void WriteFindings(Utf8JsonWriter writer, IReadOnlyList<Finding> findings)
    {
        writer.WriteObjects("findings", findings, (w, f) =>
        {
            w.WriteString("id", f.Id);
            w.WriteString("severity", f.Severity.Name());
            w.WriteString("message", f.Message);
            w.WriteString("file", f.File);
            w.WriteString("section", f.Section);
            w.WriteNumberOrNull("offset", f.Offset);
            w.WriteString("function", f.Function);
        });
    }

    private static string Render(Action<Utf8JsonWriter> write) => JsonWriting.Render(write);
}
