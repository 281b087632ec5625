using LibObjectFile.Elf;
using PvGen.Model;

namespace PvGen.Binary;

/// <summary>The records of one object's .parainstructions section, or why they could not be read.</summary>
/// <param name="Format">The layout used (detected or forced); null when the object has no such section.</param>
public sealed record ParaInstructionsResult(ParaInstructionsFormat? Format, EquatableArray<Annotation> Records, string? Error)
{
    public static readonly ParaInstructionsResult None = new(null, EquatableArray<Annotation>.Empty, null);
}

/// <summary>
/// Reads <c>.parainstructions</c> in the kernel's three layouts (paravirt-facts sections 4 and 11). Every record carries
/// exactly one relocation (its instruction pointer), so the relocations count the records and their stride gives the
/// layout; the last record may be shorter than the stride (alignment padding only precedes records).
/// </summary>
public static class ParaInstructionsReader
{
    public const string SectionName = ".parainstructions";

    /// <summary>Bytes from one record to the next.</summary>
    public static int Stride(ParaInstructionsFormat format) => format switch
    {
        ParaInstructionsFormat.Absolute32 => 8,
        ParaInstructionsFormat.Absolute64 => 16,
        ParaInstructionsFormat.Relative32 => 6,
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>Bytes of the instruction pointer field at the start of each record (type and len follow it).</summary>
    public static int PointerSize(ParaInstructionsFormat format) => format == ParaInstructionsFormat.Absolute64 ? 8 : 4;

    /// <summary>The layout implied by relocation offsets (sorted) and the first relocation's type, or null with a reason.</summary>
    public static ParaInstructionsFormat? Detect(IReadOnlyList<long> offsets, string firstRelocationType, out string? error)
    {
        error = null;
        if (offsets.Count >= 2)
        {
            long stride = offsets[1] - offsets[0];
            for (int i = 2; i < offsets.Count; i++)
            {
                if (offsets[i] - offsets[i - 1] != stride)
                {
                    error = $"{SectionName}: irregular relocation stride ({stride} bytes, then {offsets[i] - offsets[i - 1]} at record {i})";
                    return null;
                }
            }

            switch (stride)
            {
                case 6: return ParaInstructionsFormat.Relative32;
                case 8: return ParaInstructionsFormat.Absolute32;
                case 16: return ParaInstructionsFormat.Absolute64;
                default:
                    error = $"{SectionName}: relocation stride of {stride} bytes matches no known record layout (6, 8 or 16)";
                    return null;
            }
        }

        // One record: its relocation type tells the layouts apart.
        switch (firstRelocationType)
        {
            case "R_X86_64_PC32" or "R_386_PC32": return ParaInstructionsFormat.Relative32;
            case "R_X86_64_64": return ParaInstructionsFormat.Absolute64;
            case "R_386_32" or "R_X86_64_32": return ParaInstructionsFormat.Absolute32;
            default:
                error = $"{SectionName}: cannot tell the record layout from one {firstRelocationType} relocation (use an explicit format)";
                return null;
        }
    }

    /// <summary>Reads the records of <paramref name="elf"/>; <see cref="ParaInstructionsResult.None"/> when it has no such section.</summary>
    public static ParaInstructionsResult Read(ElfFile elf, ParaInstructionsFormat format = ParaInstructionsFormat.Auto)
    {
        var section = elf.Sections.FirstOrDefault(s => s.Name.Value == SectionName);
        if (section is null)
        {
            return ParaInstructionsResult.None;
        }

        try
        {
            return ReadSection(elf, section, format);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or NullReferenceException)
        {
            return Failed(format, $"{SectionName}: {e.Message}");
        }
    }

    private static ParaInstructionsResult ReadSection(ElfFile elf, ElfSection section, ParaInstructionsFormat format)
    {
        bool is64 = ElfSections.Is64(elf);
        var bytes = ElfSections.ReadBytes(section, out string? readError);
        if (readError is not null)
        {
            return Failed(format, readError);
        }

        var table = ElfSections.RelocationTables(elf).FirstOrDefault(t => ReferenceEquals(t.Target, section)).Table;
        if (table is null || table.Entries.Count == 0)
        {
            return bytes.Length == 0
                ? new ParaInstructionsResult(format == ParaInstructionsFormat.Auto ? null : format, EquatableArray<Annotation>.Empty, null)
                : Failed(format, $"{SectionName} has {bytes.Length} bytes but no relocations (link with --emit-relocs, or scan the .o files)");
        }

        if (table.Link.Section is not ElfSymbolTable symbols)
        {
            return Failed(format, $"{SectionName}: its relocation table has no symbol table");
        }

        long sectionBase = ElfSections.Base(elf, section);
        var relocations = table.Entries.OrderBy(r => r.Offset).ToList();
        var offsets = relocations.Select(r => (long)r.Offset - sectionBase).ToList();
        var firstType = RelocationInfo.Of(is64, relocations[0].Type.Value);
        if (format == ParaInstructionsFormat.Auto)
        {
            var detected = Detect(offsets, firstType.Name, out string? error);
            if (detected is null)
            {
                return Failed(format, error!);
            }

            format = detected.Value;
        }

        int stride = Stride(format);
        int pointerSize = PointerSize(format);
        var records = new List<Annotation>(relocations.Count);
        for (int i = 0; i < relocations.Count; i++)
        {
            var relocation = relocations[i];
            long at = offsets[i];
            if (at != (long)i * stride)
            {
                return Failed(format, $"{SectionName}: record {i} has its relocation at 0x{at:x}, expected 0x{(long)i * stride:x} for {format} records of {stride} bytes");
            }

            // type and len must be present; the clobber mask is read only when the record still holds it.
            if (at + pointerSize + 2 > bytes.Length)
            {
                return Failed(format, $"{SectionName}: record {i} at 0x{at:x} is cut off by the end of the section ({bytes.Length} bytes)");
            }

            var info = RelocationInfo.Of(is64, relocation.Type.Value);
            bool expected = format switch
            {
                ParaInstructionsFormat.Relative32 => info.Mode == RelocationMode.PcRelative && info.FieldSize == 4,
                ParaInstructionsFormat.Absolute64 => info.Mode == RelocationMode.Absolute && info.FieldSize == 8,
                _ => info.Mode == RelocationMode.Absolute && info.FieldSize == 4,
            };
            if (!expected)
            {
                return Failed(format, $"{SectionName}: record {i} is relocated by {info.Name}, which does not fit {format} records");
            }

            if (relocation.SymbolIndex >= symbols.Entries.Count)
            {
                return Failed(format, $"{SectionName}: record {i} refers to symbol {relocation.SymbolIndex}, beyond the symbol table ({symbols.Entries.Count})");
            }

            var symbol = symbols.Entries[(int)relocation.SymbolIndex];
            if (symbol.SectionLink.Section is not { } target)
            {
                return Failed(format, $"{SectionName}: record {i} points at '{symbol.Name.Value}', which is not defined in this object");
            }

            long addend = table.IsRelocationWithAddends ? relocation.Addend
                : info.ImplicitAddend(bytes.AsSpan((int)at, info.FieldSize))
                    - (elf.FileType == ElfFileType.Relocatable ? 0 : ElfObjectScanner.LinkedField(info, (long)symbol.Value, sectionBase + at));

            // Both layouts resolve to S + A: absolute records store it, relative ones store S + A - P and the patcher adds P back.
            long site = (long)symbol.Value + addend - ElfSections.Base(elf, target);
            int? clobbers = format != ParaInstructionsFormat.Relative32 && at + pointerSize + 4 <= bytes.Length
                ? BitConverter.ToUInt16(bytes, (int)at + pointerSize + 2)
                : null;
            records.Add(new Annotation(target.Name.Value, site, bytes[at + pointerSize], bytes[at + pointerSize + 1], clobbers, at, HasSite: false));
        }

        long expectedRecords = (bytes.Length + stride - 1) / stride;
        if (expectedRecords != relocations.Count)
        {
            return Failed(format, $"{SectionName}: {bytes.Length} bytes hold {expectedRecords} records of {stride} bytes but there are {relocations.Count} relocations");
        }

        return new ParaInstructionsResult(format, records.ToEquatableArray(), null);
    }

    private static ParaInstructionsResult Failed(ParaInstructionsFormat format, string error) =>
        new(format == ParaInstructionsFormat.Auto ? null : format, EquatableArray<Annotation>.Empty, error);
}
