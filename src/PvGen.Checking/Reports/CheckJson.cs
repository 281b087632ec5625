using System.Text;
using System.Text.Json;
using PvGen.Binary;
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
        WriteFindings(writer, [.. report.Findings]);
        writer.WriteEndObject();
    });

    /// <summary>The report of `check --object`.</summary>
    public static string Objects(IReadOnlyList<(ScannedObject Object, IReadOnlyList<Finding> Findings)> results) => Render(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("schema", SchemaId);
        writer.WriteString("mode", "objects");
        writer.WriteNumber("objects", results.Count);
        writer.WriteNumber("records", results.Sum(r => r.Object.Annotations.Count));
        WriteFindings(writer, [.. results.SelectMany(r => r.Findings)]);
        writer.WriteEndObject();
    });

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
