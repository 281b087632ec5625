using System.Text;
using System.Text.Json;
using PvGen.Model;

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
        writer.WriteStartArray("builds");
        foreach (var build in report.Builds)
        {
            writer.WriteStartObject();
            writer.WriteString("compiler", build.Compiler);
            writer.WriteString("style", build.Style);
            writer.WriteString("optimization", build.Optimization);
            writer.WriteBoolean("compiled", build.Compiled);
            writer.WriteNumber("table_references", build.Sites);
            writer.WriteNumber("records", build.Records);
            writer.WriteString("record_format", build.Format);
            writer.WriteNumber("findings", build.Findings.Count);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("type_safety");
        foreach (var (style, safety) in report.TypeSafety)
        {
            writer.WriteStartObject();
            writer.WriteString("compiler", safety.Compiler.Name);
            writer.WriteString("style", style);
            writer.WriteNumber("ops", safety.Ops.Count);
            writer.WriteNumber("type_safe", safety.TypeSafeCount);
            writer.WriteNumber("probes", safety.Ops.Sum(o => o.Probes));
            writer.WriteNumber("rejected", safety.Ops.Sum(o => o.Rejected));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
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
        writer.WriteStartObject("record_formats");
        foreach (var (format, count) in RecordFormatsOf(results))
        {
            writer.WriteNumber(format, count);
        }

        writer.WriteEndObject();
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
        writer.WriteStartArray("checks");
        foreach (var c in coverage)
        {
            writer.WriteStartObject();
            writer.WriteString("id", c.Id);
            writer.WriteString("format", c.Format);
            writer.WriteBoolean("applicable", c.NotApplicable is null);
            writer.WriteNumber("verified", c.Checked);
            writer.WriteNumber("failed", c.Failed);
            writer.WriteString("not_applicable", c.NotApplicable);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>SARIF 2.1.0 of any findings.</summary>
    public static string Sarif(IReadOnlyList<Finding> findings) => Render(writer => Reports.Sarif.Write(writer, findings));

    private static void WriteFindings(Utf8JsonWriter writer, IReadOnlyList<Finding> findings)
    {
        writer.WriteStartArray("findings");
        foreach (var f in findings)
        {
            writer.WriteStartObject();
            writer.WriteString("id", f.Id);
            writer.WriteString("severity", f.Severity.Name());
            writer.WriteString("message", f.Message);
            writer.WriteString("file", f.File);
            writer.WriteString("section", f.Section);
            if (f.Offset is long offset)
            {
                writer.WriteNumber("offset", offset);
            }
            else
            {
                writer.WriteNull("offset");
            }

            writer.WriteString("function", f.Function);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static string Render(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
