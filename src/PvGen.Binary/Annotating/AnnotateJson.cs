using PvGen.Binary.Output;
using PvGen.Model.Json;

namespace PvGen.Binary.Annotating;

/// <summary>pvgen.annotate/1: per object, the records written and the references left without one, with the reason.</summary>
public static class AnnotateJson
{
    public static string Render(IReadOnlyList<AnnotatedObject> results, bool written) => JsonWriting.Render(w =>
    {
        w.WriteStartObject();
        w.WriteString("schema", "pvgen.annotate/1");
        w.WriteBoolean("written", written);
        w.WriteObjects("objects", results, (w, r) =>
        {
            w.WriteString("path", r.Path);
            w.WriteString("machine", r.Machine);
            w.WriteString("format", r.Format?.Name);
            w.WriteString("error", r.Error);
            w.WriteObjects("records", r.Plan.Records, (w, p) =>
            {
                ScanJsonWriter.WritePlace(w, p.Section, p.Offset, p.Length);
                w.WriteNumber("slot", p.Slot);
                w.WriteString("op", p.Op);
                w.WriteString("kind", p.Kind == PatchKind.Jump ? "jmp" : "call");
                w.WriteString("function", p.Function);
            });
            w.WriteObjects("unpatched", r.Plan.Unpatchable, (w, u) =>
            {
                ScanJsonWriter.WritePlace(w, u.Section, u.Offset, u.Length);
                w.WriteString("kind", ScanJsonWriter.KindName(u.Kind));
                w.WriteNumber("target_offset", u.TargetOffset);
                w.WriteString("op", u.Op);
                w.WriteString("function", u.Function);
                w.WriteString("reason", u.Reason);
                w.WriteString("why", u.Explanation);
            });
        });
        w.WriteEndObject();
    });
}
