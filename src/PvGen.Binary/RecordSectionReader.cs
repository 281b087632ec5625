using LibObjectFile.Elf;
using PvGen.Model;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Binary;

/// <summary>One decoded record and where it sits in its section.</summary>
public sealed record DecodedRecord(long RecordOffset, PvRecord Record);

/// <summary>The records of one record section, or why they could not be read.</summary>
/// <param name="Format">The layout used (detected or forced); null when the object has no such section or it was unreadable.</param>
/// <param name="Present">The object has the section at all.</param>
public sealed record RecordSectionResult(RecordFormat? Format, EquatableArray<DecodedRecord> Records, string? Error, bool Present)
{
    public static readonly RecordSectionResult None = new(null, EquatableArray<DecodedRecord>.Empty, null, false);
}

/// <summary>
/// Reads any record section (<c>.parainstructions</c>, <c>.altinstructions</c>) of a relocatable object (or of a linked
/// one without relocations: <see cref="LinkedRecords"/>) in any of its
/// <see cref="RecordFormats"/>: the relocations of the section name each record's pointer fields, so they decide the
/// layout (one relocation per pointer field per record) and resolve each pointer to a section and offset.
/// </summary>
public static class RecordSectionReader
{
    /// <param name="forced">A format to use instead of detecting one; it must fit the section.</param>
    /// <param name="moved">The records of <paramref name="forced"/> were generated into <paramref name="sectionName"/>, not their own section.</param>
    public static RecordSectionResult Read(ElfFile elf, string sectionName, RecordFormat? forced = null, bool moved = false)
    {
        var section = elf.Sections.FirstOrDefault(s => s.Name.Value == sectionName);
        if (section is null)
        {
            return RecordSectionResult.None;
        }

        if (forced is not null && forced.Section != sectionName && !moved)
        {
            throw new ArgumentException($"{forced.Name} records live in {forced.Section}, not {sectionName}", nameof(forced));
        }

        try
        {
            return ReadSection(elf, section, forced);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or NullReferenceException or OverflowException)
        {
            return Failed(forced, $"{sectionName}: {RuntimeMessages.Describe(e)}");
        }
    }

    private static RecordSectionResult ReadSection(ElfFile elf, ElfSection section, RecordFormat? forced)
    {
        string name = section.Name.Value;
        bool is64 = ElfSections.Is64(elf);
        var bytes = ElfSections.ReadBytes(section, out string? readError);
        if (readError is not null)
        {
            return Failed(forced, readError);
        }

        var table = ElfSections.RelocationTables(elf).FirstOrDefault(t => ReferenceEquals(t.Target, section)).Table;
        if ((table is null || table.Entries.Count == 0) && bytes.Length > 0 && elf.FileType != ElfFileType.Relocatable)
        {
            // A linked image whose relocations were stripped (a 6.5+ vmlinux): the records resolve from their own bytes.
            return LinkedRecords.Read(elf, section, bytes, forced);
        }

        if (table is null || table.Entries.Count == 0)
        {
            return bytes.Length == 0
                ? new RecordSectionResult(forced, EquatableArray<DecodedRecord>.Empty, null, true)
                : Failed(forced, $"{name} has {bytes.Length} bytes but no relocations (link with --emit-relocs, or scan the .o files)");
        }

        if (table.Link.Section is not ElfSymbolTable symbols)
        {
            return Failed(forced, $"{name}: its relocation table has no symbol table");
        }

        long sectionBase = ElfSections.Base(elf, section);
        var relocations = table.Entries.OrderBy(r => r.Offset).ToList();
        var described = relocations.Select(r => ((long)r.Offset - sectionBase, RelocationInfo.Of(is64, r.Type.Value).AsField)).ToList();
        var format = forced;
        if (format is null)
        {
            format = RecordFormats.Detect(name, described, bytes.Length, is64 ? 8 : 4, out string? error);
            if (format is null)
            {
                return Failed(null, error!);
            }
        }
        else if (format.Mismatch(described, bytes.Length) is { } mismatch)
        {
            return Failed(format, $"{name}: not {format.Name} records ({format.Description}): {mismatch}");
        }

        var relocated = format.RelocatedFields;
        int count = relocations.Count / relocated.Count;
        var records = new List<DecodedRecord>(count);
        var targets = new CodeLocation[relocated.Count];
        for (int i = 0; i < count; i++)
        {
            long at = (long)i * format.Stride;
            for (int j = 0; j < relocated.Count; j++)
            {
                var relocation = relocations[i * relocated.Count + j];
                if (relocation.SymbolIndex >= symbols.Entries.Count)
                {
                    return Failed(format, $"{name}: record {i} refers to symbol {relocation.SymbolIndex}, beyond the symbol table ({symbols.Entries.Count})");
                }

                var symbol = symbols.Entries[(int)relocation.SymbolIndex];
                if (symbol.SectionLink.Section is not { } target)
                {
                    return Failed(format, $"{name}: record {i}'s {relocated[j].Name} points at '{symbol.Name.Value}', which is not defined in this object");
                }

                var info = RelocationInfo.Of(is64, relocation.Type.Value);
                long fieldAt = at + relocated[j].Offset;
                long addend = table.IsRelocationWithAddends ? relocation.Addend
                    : ElfSections.ImplicitAddend(info, bytes.AsSpan((int)fieldAt, info.FieldSize),
                        elf.FileType == ElfFileType.Relocatable ? 0 : ElfSections.LinkedBias(info, (long)symbol.Value, sectionBase + fieldAt));

                // Absolute fields store S + A; PC-relative ones S + A - P, and the kernel adds the field's address P back.
                targets[j] = new CodeLocation(target.Name.Value, (long)symbol.Value + addend - ElfSections.Base(elf, target));
            }

            int available = (int)Math.Min(format.Stride, bytes.Length - at);
            records.Add(new DecodedRecord(at, format.Decode(bytes.AsSpan((int)at, available), targets)));
        }

        return new RecordSectionResult(format, records.ToEquatableArray(), null, true);
    }

    private static RecordSectionResult Failed(RecordFormat? format, string error) => new(format, EquatableArray<DecodedRecord>.Empty, error, true);
}
