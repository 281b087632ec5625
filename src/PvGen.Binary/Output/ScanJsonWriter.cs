using System.Text.Encodings.Web;
using System.Text.Json;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Binary.Output;

/// <summary>
/// Streams the <c>pvgen.scan/1</c> contract: one object per scanned ELF written as soon as it is scanned (a kernel's
/// worth of files is never held in memory), then a closing <c>summary</c>.
/// </summary>
public sealed class ScanJsonWriter : IDisposable
{
    public const string SchemaId = "pvgen.scan/1";

    private readonly Utf8JsonWriter writer;
    private readonly Func<string, string> displayPath;
    private bool finished;

    /// <param name="displayPath">Turns a scanned path into the one written (e.g. relative to the working directory).</param>
    public ScanJsonWriter(Stream output, string symbol, string? model, Func<string, string>? displayPath = null)
    {
        writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        this.displayPath = displayPath ?? (p => p);
        writer.WriteStartObject();
        writer.WriteString("schema", SchemaId);
        writer.WriteString("symbol", symbol);
        writer.WriteString("model", model);
        writer.WriteStartArray("files");
    }

    public ScanSummary Summary { get; } = new();

    public void Write(ScannedObject scanned)
    {
        Summary.Add(scanned);
        writer.WriteStartObject();
        writer.WriteString("path", displayPath(scanned.Path));
        writer.WriteString("machine", scanned.Machine);
        writer.WriteString("error", scanned.Error);
        writer.WriteBoolean("skipped", scanned.Skipped);
        writer.WriteString("sites_from", scanned.SitesFrom == SiteSource.Operands ? "operands" : "relocations");
        // "annotation_format" keeps the names scan wrote before there was one vocabulary; "record_format" is the canonical name.
        writer.WriteString("annotation_format", scanned.AnnotationFormat is { } format ? RecordFormats.LegacyScanName(format) : null);
        writer.WriteString("record_format", scanned.AnnotationFormat?.Name);
        writer.WriteStartArray("sites");
        foreach (var site in scanned.Sites)
        {
            WriteSite(site);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("annotations");
        foreach (var annotation in scanned.Annotations)
        {
            writer.WriteStartObject();
            writer.WriteString("section", annotation.Section);
            writer.WriteNumber("offset", annotation.Offset);
            writer.WriteNumber("type", annotation.Type);
            writer.WriteNumber("length", annotation.Length);
            if (annotation.Clobbers is { } clobbers)
            {
                writer.WriteNumber("clobbers", clobbers);
            }
            else
            {
                writer.WriteNull("clobbers");
            }

            writer.WriteNumber("record_offset", annotation.RecordOffset);
            writer.WriteBoolean("has_site", annotation.HasSite);
            writer.WriteString("family", annotation.Alt is null ? "parainstructions" : "altinstructions");
            if (annotation.Alt is { } alt)
            {
                WriteAltFields(alt);
            }

            writer.WriteStartArray("natives");
            foreach (var native in annotation.Natives)
            {
                writer.WriteStartObject();
                writer.WriteNumber("record_offset", native.RecordOffset);
                WriteAltFields(native);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("markers");
        foreach (var marker in scanned.Markers)
        {
            WriteMarker(marker);
        }

        writer.WriteEndArray();
        if (scanned.Alternatives is { } alternatives)
        {
            writer.WriteStartObject("alternatives");
            writer.WriteString("format", alternatives.Format.Name);
            writer.WriteNumber("entries", alternatives.Entries);
            writer.WriteNumber("direct_call", alternatives.DirectCall);
            writer.WriteNumber("at_pv_sites", alternatives.AtPvSites);
            writer.WriteNumber("other", alternatives.Other);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("alternatives");
        }

        writer.WriteEndObject();

        // Keep memory flat: hand each file's text to the stream as soon as it is complete.
        if (writer.BytesPending > 1 << 16)
        {
            writer.Flush();
        }
    }

    /// <summary>An .altinstructions entry's own fields (a DIRECT_CALL record, or a native alternative of a site).</summary>
    private void WriteAltFields(AltEntry entry)
    {
        writer.WriteString("feature", Alternatives.FeatureText(entry.Feature));
        writer.WriteNumber("ft_flags", entry.FtFlags);
        writer.WriteBoolean("direct_call", entry.IsDirectCall);
        writer.WriteBoolean("not", (entry.Flags & AltFlags.Not) != 0);
        writer.WriteNumber("instrlen", entry.InstrLength);
        writer.WriteNumber("replacement_length", entry.ReplacementLength);
        writer.WriteString("replacement", Convert.ToHexStringLower([.. entry.Replacement]));
        writer.WriteString("replacement_call", entry.ReplacementCall);
        writer.WriteNumber("group_index", entry.GroupIndex);
    }

    private void WriteSite(Site site)
    {
        writer.WriteStartObject();
        writer.WriteString("section", site.Section);
        writer.WriteNumber("offset", site.Offset);
        writer.WriteNumber("length", site.Length);
        writer.WriteString("kind", KindName(site.Kind));
        writer.WriteNumber("target_offset", site.TargetOffset);
        WriteNullable("slot", site.Slot);
        writer.WriteString("op", site.Op);
        writer.WriteString("function", site.Function);
        writer.WriteString("reloc_type", site.RelocType);
        writer.WriteBoolean("annotated", site.Annotated);
        writer.WriteString("annotated_by", site.AnnotatedBy switch
        {
            RecordFamily.ParaInstructions => "parainstructions",
            RecordFamily.AltInstructions => "direct_call",
            _ => null,
        });
        writer.WriteString("bytes", Convert.ToHexStringLower([.. site.Bytes]));
        writer.WriteString("memory_form", FormName(site.MemoryForm));
        writer.WriteBoolean("indirect_through_memory", site.IndirectThroughMemory);
        writer.WriteBoolean("via_got", site.ViaGot);
        writer.WriteStartArray("feeds");
        foreach (var fed in site.Feeds)
        {
            writer.WriteStartObject();
            writer.WriteNumber("offset", fed.Offset);
            writer.WriteNumber("length", fed.Length);
            writer.WriteString("kind", KindName(fed.Kind));
            writer.WriteNumber("target_offset", fed.TargetOffset);
            WriteNullable("slot", fed.Slot);
            writer.WriteString("op", fed.Op);
            writer.WriteString("register", fed.Register);
            writer.WriteBoolean("thunk", fed.Thunk);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>A marker, its side record and its paired site (null fields when unpaired, with the reason).</summary>
    private void WriteMarker(Marker marker)
    {
        writer.WriteStartObject();
        writer.WriteString("section", marker.Section);
        writer.WriteNumber("offset", marker.Offset);
        writer.WriteString("function", marker.Function);
        writer.WriteString("reloc_type", marker.RelocType);
        writer.WriteNumber("reloc_target_offset", marker.RelocTargetOffset);
        writer.WriteNumber("target_offset", marker.TargetOffset);
        WriteNullable("slot", marker.Slot);
        writer.WriteString("op", marker.Op);
        if (marker.Record is { } record)
        {
            writer.WriteStartObject("record");
            writer.WriteNumber("slot", record.Slot);
            writer.WriteNumber("in_regs", record.InputRegisters);
            writer.WriteNumber("out_regs", record.OutputRegisters);
            writer.WriteNumber("clobbers", record.Clobbers);
            writer.WriteNumber("stack_words", record.StackWords);
            writer.WriteNumber("flags", (int)record.Flags);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("record");
        }

        writer.WriteBoolean("paired", marker.Paired);
        if (marker.SiteOffset is { } site)
        {
            writer.WriteNumber("site_offset", site);
        }
        else
        {
            writer.WriteNull("site_offset");
        }

        writer.WriteString("site_kind", marker.SiteKind is { } kind ? KindName(kind) : null);
        WriteNullable("site_length", marker.SiteLength);
        if (marker.Distance is { } distance)
        {
            writer.WriteNumber("distance", distance);
        }
        else
        {
            writer.WriteNull("distance");
        }

        WriteNullable("instructions_between", marker.InstructionsBetween);
        writer.WriteString("unpaired", marker.Unpaired);
        writer.WriteEndObject();
    }

    private void WriteNullable(string name, int? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    /// <summary>Closes the files array and writes the summary; the document is complete afterwards.</summary>
    public void Finish()
    {
        if (finished)
        {
            return;
        }

        finished = true;
        writer.WriteEndArray();
        var s = Summary;
        writer.WriteStartObject("summary");
        writer.WriteNumber("objects", s.Objects);
        writer.WriteNumber("objects_with_sites", s.ObjectsWithSites);
        writer.WriteNumber("skipped", s.Skipped);
        writer.WriteNumber("errors", s.Errors);
        writer.WriteNumber("objects_from_operands", s.ObjectsFromOperands);
        writer.WriteNumber("sites", s.Sites);
        writer.WriteStartObject("by_kind");
        foreach (var (kind, count) in s.ByKind)
        {
            writer.WriteNumber(KindName(kind), count);
        }

        writer.WriteEndObject();
        writer.WriteNumber("feeds", s.Feeds);
        writer.WriteNumber("annotations", s.Annotations);
        writer.WriteNumber("annotated_sites", s.AnnotatedSites);
        writer.WriteNumber("unannotated_calls", s.UnannotatedCalls);
        writer.WriteNumber("orphan_annotations", s.OrphanAnnotations);
        writer.WriteNumber("direct_call_annotations", s.DirectCallAnnotations);
        writer.WriteNumber("native_alternatives", s.NativeAlternatives);
        writer.WriteNumber("alternatives", s.AltEntries);
        writer.WriteNumber("other_alternatives", s.OtherAlternatives);
        writer.WriteNumber("markers", s.Markers);
        writer.WriteNumber("markers_paired", s.MarkersPaired);
        writer.WriteNumber("markers_unpaired", s.MarkersUnpaired);
        writer.WriteStartObject("marker_distances");
        foreach (var (distance, count) in s.MarkerDistances)
        {
            writer.WriteNumber(distance.ToString(System.Globalization.CultureInfo.InvariantCulture), count);
        }

        writer.WriteEndObject();
        writer.WriteStartObject("by_record_format");
        foreach (var (name, count) in s.ByRecordFormat)
        {
            writer.WriteNumber(name, count);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
    }

    public void Dispose() => writer.Dispose();

    public static string KindName(SiteKind kind) => kind switch
    {
        SiteKind.Call => "call",
        SiteKind.Jmp => "jmp",
        SiteKind.Load => "load",
        SiteKind.Address => "address",
        _ => "other",
    };

    public static string FormName(MemoryForm form) => form switch
    {
        MemoryForm.RipRelative => "rip_relative",
        MemoryForm.Absolute => "absolute",
        MemoryForm.Register => "register",
        _ => "none",
    };
}
