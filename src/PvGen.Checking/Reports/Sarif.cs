using System.Text.Json;
using PvGen.Model;

namespace PvGen.Checking.Reports;

/// <summary>SARIF 2.1.0 for code-scanning tools: one result per finding, rules from the diagnostic catalogue.</summary>
public static class Sarif
{
    public static void Write(Utf8JsonWriter writer, IReadOnlyList<Finding> findings)
    {
        writer.WriteStartObject();
        writer.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
        writer.WriteString("version", "2.1.0");
        writer.WriteStartArray("runs");
        writer.WriteStartObject();
        writer.WriteStartObject("tool");
        writer.WriteStartObject("driver");
        writer.WriteString("name", "pvgen");
        writer.WriteString("version", typeof(Sarif).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
        writer.WriteStartArray("rules");
        foreach (string id in findings.Select(f => f.Id).Distinct().Order(StringComparer.Ordinal))
        {
            writer.WriteStartObject();
            writer.WriteString("id", id);
            writer.WriteStartObject("shortDescription");
            writer.WriteString("text", DiagnosticIds.Titles.GetValueOrDefault(id, id));
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteStartArray("results");
        foreach (var finding in findings)
        {
            writer.WriteStartObject();
            writer.WriteString("ruleId", finding.Id);
            writer.WriteString("level", finding.Severity.Name());
            writer.WriteStartObject("message");
            writer.WriteString("text", finding.Message);
            writer.WriteEndObject();
            writer.WriteStartArray("locations");
            writer.WriteStartObject();
            writer.WriteStartObject("physicalLocation");
            writer.WriteStartObject("artifactLocation");
            writer.WriteString("uri", finding.File);
            writer.WriteEndObject();
            if (finding.Offset is long offset)
            {
                // Byte regions address machine code inside the object file's section.
                writer.WriteStartObject("region");
                writer.WriteNumber("byteOffset", offset);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            if (finding.Section is not null)
            {
                writer.WriteStartArray("logicalLocations");
                writer.WriteStartObject();
                writer.WriteString("fullyQualifiedName", finding.Function is null ? finding.Section : $"{finding.Section}:{finding.Function}");
                writer.WriteString("kind", "function");
                writer.WriteEndObject();
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
