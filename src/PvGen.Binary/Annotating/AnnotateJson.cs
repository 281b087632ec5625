using System.Text.Json;

namespace PvGen.Binary.Annotating;

/// <summary>pvgen.annotate/1: per object, the records written and the references left without one, with the reason.</summary>
public static class AnnotateJson
{
    public static string Render(IReadOnlyList<AnnotatedObject> results, bool written)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("schema", "pvgen.annotate/1");
            w.WriteBoolean("written", written);
            w.WriteStartArray("objects");
            foreach (var r in results)
            {
                w.WriteStartObject();
                w.WriteString("path", r.Path);
                w.WriteString("machine", r.Machine);
                w.WriteString("format", r.Format?.Name);
                w.WriteString("error", r.Error);
                w.WriteStartArray("records");
                foreach (var p in r.Plan.Records)
                {
                    w.WriteStartObject();
                    w.WriteString("section", p.Section);
                    w.WriteNumber("offset", p.Offset);
                    w.WriteNumber("length", p.Length);
                    w.WriteNumber("slot", p.Slot);
                    w.WriteString("op", p.Op);
                    w.WriteString("kind", p.Kind == PatchKind.Jump ? "jmp" : "call");
                    w.WriteString("function", p.Function);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("unpatched");
                foreach (var u in r.Plan.Unpatchable)
                {
                    w.WriteStartObject();
                    w.WriteString("section", u.Section);
                    w.WriteNumber("offset", u.Offset);
                    w.WriteNumber("length", u.Length);
                    w.WriteString("kind", Output.ScanJsonWriter.KindName(u.Kind));
                    w.WriteNumber("target_offset", u.TargetOffset);
                    w.WriteString("op", u.Op);
                    w.WriteString("function", u.Function);
                    w.WriteString("reason", u.Reason);
                    w.WriteString("why", u.Explanation);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
