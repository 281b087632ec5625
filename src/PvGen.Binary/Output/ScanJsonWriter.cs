using System.Globalization;
using System.Text.Json;
using PvGen.Model.Json;
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
        writer = new Utf8JsonWriter(output, JsonWriting.Options);
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
        writer.WriteObjects("sites", scanned.Sites, WriteSite);
        writer.WriteObjects("annotations", scanned.Annotations, WriteAnnotation);
        writer.WriteObjects("markers", scanned.Markers, WriteMarker);
        if (scanned.Alternatives is { } alternatives)
        {
            writer.WriteObject("alternatives", w =>
            {
                w.WriteString("format", alternatives.Format.Name);
                w.WriteNumber("entries", alternatives.Entries);
                w.WriteNumber("direct_call", alternatives.DirectCall);
                w.WriteNumber("at_pv_sites", alternatives.AtPvSites);
                w.WriteNumber("other", alternatives.Other);
            });
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

    /// <summary>Where a site, record or reference lies: its section, section-relative offset and length.</summary>
    public static void WritePlace(Utf8JsonWriter w, string section, long offset, int length)
    {
        WriteStart(w, section, offset);
        w.WriteNumber("length", length);
    }

    /// <summary>Where a site, record, reference or marker starts: its section and section-relative offset.</summary>
    private static void WriteStart(Utf8JsonWriter w, string section, long offset)
    {
        w.WriteString("section", section);
        w.WriteNumber("offset", offset);
    }

    /// <summary>A reference to the table: how the instruction uses it and which slot (op) it names, if one.</summary>
    private static void WriteTableUse(Utf8JsonWriter w, SiteKind kind, long targetOffset, int? slot, string? op)
    {
        w.WriteString("kind", KindName(kind));
        WriteSlot(w, targetOffset, slot, op);
    }

    /// <summary>Which part of the table a reference or marker names: the offset into it, and the slot (op) there, if one.</summary>
    private static void WriteSlot(Utf8JsonWriter w, long targetOffset, int? slot, string? op)
    {
        w.WriteNumber("target_offset", targetOffset);
        w.WriteNumberOrNull("slot", slot);
        w.WriteString("op", op);
    }

    private static void WriteSite(Utf8JsonWriter w, Site site)
    {
        WritePlace(w, site.Section, site.Offset, site.Length);
        WriteTableUse(w, site.Kind, site.TargetOffset, site.Slot, site.Op);
        w.WriteString("function", site.Function);
        w.WriteString("reloc_type", site.RelocType);
        w.WriteBoolean("annotated", site.Annotated);
        w.WriteString("annotated_by", site.AnnotatedBy switch
        {
            RecordFamily.ParaInstructions => "parainstructions",
            RecordFamily.AltInstructions => "direct_call",
            _ => null,
        });
        w.WriteString("bytes", Convert.ToHexStringLower([.. site.Bytes]));
        w.WriteString("memory_form", FormName(site.MemoryForm));
        w.WriteBoolean("indirect_through_memory", site.IndirectThroughMemory);
        w.WriteBoolean("via_got", site.ViaGot);
        w.WriteObjects("feeds", site.Feeds, (w, fed) =>
        {
            w.WriteNumber("offset", fed.Offset);
            w.WriteNumber("length", fed.Length);
            WriteTableUse(w, fed.Kind, fed.TargetOffset, fed.Slot, fed.Op);
            w.WriteString("register", fed.Register);
            w.WriteBoolean("thunk", fed.Thunk);
        });
    }

    private static void WriteAnnotation(Utf8JsonWriter w, Annotation annotation)
    {
        WriteStart(w, annotation.Section, annotation.Offset);
        w.WriteNumber("type", annotation.Type);
        w.WriteNumber("length", annotation.Length);
        w.WriteNumberOrNull("clobbers", annotation.Clobbers);
        w.WriteNumber("record_offset", annotation.RecordOffset);
        w.WriteBoolean("has_site", annotation.HasSite);
        w.WriteString("family", annotation.Alt is null ? "parainstructions" : "altinstructions");
        if (annotation.Alt is { } alt)
        {
            WriteAltFields(w, alt);
        }

        w.WriteObjects("natives", annotation.Natives, (w, native) =>
        {
            w.WriteNumber("record_offset", native.RecordOffset);
            WriteAltFields(w, native);
        });
    }

    /// <summary>An .altinstructions entry's own fields (a DIRECT_CALL record, or a native alternative of a site).</summary>
    private static void WriteAltFields(Utf8JsonWriter w, AltEntry entry)
    {
        w.WriteString("feature", Alternatives.FeatureText(entry.Feature));
        w.WriteNumber("ft_flags", entry.FtFlags);
        w.WriteBoolean("direct_call", entry.IsDirectCall);
        w.WriteBoolean("not", (entry.Flags & AltFlags.Not) != 0);
        w.WriteNumber("instrlen", entry.InstrLength);
        w.WriteNumber("replacement_length", entry.ReplacementLength);
        w.WriteString("replacement", Convert.ToHexStringLower([.. entry.Replacement]));
        w.WriteString("replacement_call", entry.ReplacementCall);
        w.WriteNumber("group_index", entry.GroupIndex);
    }

    /// <summary>A marker, its side record and its paired site (null fields when unpaired, with the reason).</summary>
    private static void WriteMarker(Utf8JsonWriter w, Marker marker)
    {
        WriteStart(w, marker.Section, marker.Offset);
        w.WriteString("function", marker.Function);
        w.WriteString("reloc_type", marker.RelocType);
        w.WriteNumber("reloc_target_offset", marker.RelocTargetOffset);
        WriteSlot(w, marker.TargetOffset, marker.Slot, marker.Op);
        if (marker.Record is { } record)
        {
            w.WriteObject("record", w =>
            {
                w.WriteNumber("slot", record.Slot);
                w.WriteNumber("in_regs", record.InputRegisters);
                w.WriteNumber("out_regs", record.OutputRegisters);
                w.WriteNumber("clobbers", record.Clobbers);
                w.WriteNumber("stack_words", record.StackWords);
                w.WriteNumber("flags", (int)record.Flags);
            });
        }
        else
        {
            w.WriteNull("record");
        }

        w.WriteBoolean("paired", marker.Paired);
        w.WriteNumberOrNull("site_offset", marker.SiteOffset);
        w.WriteString("site_kind", marker.SiteKind is { } kind ? KindName(kind) : null);
        w.WriteNumberOrNull("site_length", marker.SiteLength);
        w.WriteNumberOrNull("distance", marker.Distance);
        w.WriteNumberOrNull("instructions_between", marker.InstructionsBetween);
        w.WriteString("unpaired", marker.Unpaired);
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
        writer.WriteObject("summary", w =>
        {
            WriteCounts(w, [("objects", s.Objects), ("objects_with_sites", s.ObjectsWithSites), ("skipped", s.Skipped), ("errors", s.Errors)]);
            WriteCounts(w, [("objects_from_operands", s.ObjectsFromOperands), ("sites", s.Sites)]);
            w.WriteCounts("by_kind", s.ByKind.Select(k => KeyValuePair.Create(KindName(k.Key), k.Value)));
            WriteCounts(w, [("feeds", s.Feeds), ("annotations", s.Annotations), ("annotated_sites", s.AnnotatedSites), ("unannotated_calls", s.UnannotatedCalls)]);
            WriteCounts(w, [("orphan_annotations", s.OrphanAnnotations), ("direct_call_annotations", s.DirectCallAnnotations), ("native_alternatives", s.NativeAlternatives)]);
            WriteCounts(w, [("alternatives", s.AltEntries), ("other_alternatives", s.OtherAlternatives)]);
            WriteCounts(w, [("markers", s.Markers), ("markers_paired", s.MarkersPaired), ("markers_unpaired", s.MarkersUnpaired)]);
            w.WriteCounts("marker_distances", s.MarkerDistances.Select(d => KeyValuePair.Create(d.Key.ToString(CultureInfo.InvariantCulture), d.Value)));
            w.WriteCounts("by_record_format", s.ByRecordFormat);
        });
        writer.WriteEndObject();
        writer.Flush();
    }

    public void Dispose() => writer.Dispose();

    /// <summary>Summary counts, in the contract's order (several per line: the order is the contract, the grouping is not).</summary>
    private static void WriteCounts(Utf8JsonWriter w, ReadOnlySpan<(string Name, long Count)> counts)
    {
        foreach (var (name, count) in counts)
        {
            w.WriteNumber(name, count);
        }
    }

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
