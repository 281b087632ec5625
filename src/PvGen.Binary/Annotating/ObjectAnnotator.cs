using System.Buffers.Binary;
using LibObjectFile.Elf;

namespace PvGen.Binary.Annotating;

/// <summary>What `pvgen annotate` needs besides the objects.</summary>
/// <param name="Scan">The table symbol(s) and model, as for `pvgen scan`.</param>
/// <param name="Format">The record format to write; null picks the machine's default (para16 on x86-64, para8 on i386).</param>
/// <param name="JumpSlots">Slots of ops reached by jmp (pvgen.json "jump": true).</param>
/// <param name="ClobberMasks">The clobber field of para8/para16 records per machine ("x86_64", "i386"): a plain C call lets the callee clobber every caller-saved register.</param>
public sealed record AnnotateOptions(ScanOptions Scan, RecordFormat? Format, IReadOnlySet<int> JumpSlots, IReadOnlyDictionary<string, int> ClobberMasks);

/// <summary>One annotated object: its new bytes (null when it could not be annotated) and what went into it.</summary>
public sealed record AnnotatedObject(string Path, string? Machine, RecordFormat? Format, AnnotationPlan Plan, byte[]? Output, string? Error)
{
    public static AnnotatedObject Failed(string path, string? machine, string error) =>
        new(path, machine, null, new AnnotationPlan([], []), null, error);
}

/// <summary>Bad or unsuitable input: the message names the object and what is wrong; nothing is written.</summary>
public sealed class AnnotateException(string message) : Exception(message);

/// <summary>
/// The annotate stage: scans a plain-style relocatable object, plans one record per patchable site and writes the
/// records with their relocations into a copy of the object (LibObjectFile), so the linker carries them like the
/// records the macro style's inline asm emits.
/// </summary>
public static class ObjectAnnotator
{
    public static AnnotatedObject Annotate(string path, AnnotateOptions options)
    {
        byte[] input;
        try
        {
            input = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return AnnotatedObject.Failed(path, null, e.Message);
        }

        return Annotate(path, input, options);
    }

    public static AnnotatedObject Annotate(string path, byte[] input, AnnotateOptions options)
    {
        var scanned = ObjectScanner.ScanStream(new MemoryStream(input, writable: false), path, options.Scan with { SkipObjectsWithoutSymbol = false });
        if (scanned.Count != 1)
        {
            return AnnotatedObject.Failed(path, null, "an archive: extract its members (ar x) and annotate those");
        }

        var only = scanned[0];
        if (only.Error is not null)
        {
            return AnnotatedObject.Failed(path, only.Machine, only.Error);
        }

        bool is64 = only.Machine == "x86_64";
        var format = options.Format ?? RecordFormat.DefaultFor(is64);
        if (format.UnsupportedFor(is64) is { } unsupported)
        {
            return AnnotatedObject.Failed(path, only.Machine, unsupported);
        }

        var plan = AnnotationPlanner.Plan(only, format, options.JumpSlots);
        try
        {
            int clobbers = options.ClobberMasks.TryGetValue(only.Machine!, out int mask) ? mask : 0;
            return new AnnotatedObject(path, only.Machine, format, plan, Write(input, plan.Records, format, clobbers), null);
        }
        catch (AnnotateException e)
        {
            return AnnotatedObject.Failed(path, only.Machine, e.Message);
        }
    }

    /// <summary>Sections that mean the object already carries site records (or alternatives annotate would have to merge into).</summary>
    public static readonly string[] RecordSections = [".parainstructions", ".altinstructions", ".altinstr_replacement"];

    /// <summary>
    /// Writes <paramref name="records"/> into a copy of the relocatable object <paramref name="input"/>. Existing sections
    /// keep their indices (new ones are appended), so groups and every other index stay valid; a missing section symbol
    /// is inserted among the locals and symbol indices after it are renumbered. The result is read back and compared.
    /// </summary>
    public static byte[] Write(byte[] input, IReadOnlyList<PlannedRecord> records, RecordFormat format, int clobberMask)
    {
        ElfFile elf = ReadElf(input);

        if (elf.FileType != ElfFileType.Relocatable)
        {
            throw new AnnotateException($"a {elf.FileType} file: annotate writes records into relocatable objects (.o), before they are linked");
        }

        bool is64 = ElfSections.Is64(elf);
        if (elf.Sections.FirstOrDefault(s => RecordSections.Contains(s.Name.Value)) is { } existing)
        {
            throw new AnnotateException($"already has a {existing.Name.Value} section: the object is annotated already (macro style, or an earlier pvgen annotate)");
        }

        var symbols = elf.Sections.OfType<ElfSymbolTable>().Where(t => t.Type == ElfSectionType.SymbolTable).ToList();
        if (symbols.Count != 1)
        {
            throw new AnnotateException($"has {symbols.Count} symbol tables; a relocatable object has exactly one");
        }

        if (elf.Sections.Any(s => s.Type == ElfSectionType.SymbolTableSectionHeaderIndices))
        {
            throw new AnnotateException("has an extended section index table (SHT_SYMTAB_SHNDX, more than 65,279 sections): not supported");
        }

        if (records.Count == 0)
        {
            // Nothing to record: the object is its own annotated form (no empty sections to confuse readers).
            return input;
        }

        var symtab = symbols[0];
        uint nextOrder = elf.Sections.Max(s => s.OrderInSectionHeaderTable) + 1;
        var data = new byte[records.Count * format.Stride];
        var relocations = new List<ElfRelocation>(records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            var record = records[i];
            if (record.Length is < 1 or > 255 || record.Slot is < 0 or > 255)
            {
                throw new AnnotateException($"record {i} at {record.Section}+0x{record.Offset:x}: length {record.Length} and type {record.Slot} must each fit one byte");
            }

            uint symbol = SectionSymbol(elf, symtab, SectionNamed(elf, record.Section));
            var at = data.AsSpan(i * format.Stride, format.Stride);
            int typeAt;
            switch (format.Name)
            {
                case "para16":
                    relocations.Add(new ElfRelocation((ulong)(i * format.Stride), ElfRelocationType.R_X86_64_64, symbol, record.Offset));
                    typeAt = 8;
                    BinaryPrimitives.WriteUInt16LittleEndian(at[10..], (ushort)clobberMask);
                    break;
                case "para8":
                    // REL: the addend lives in the field.
                    relocations.Add(new ElfRelocation((ulong)(i * format.Stride), ElfRelocationType.R_386_32, symbol, 0));
                    BinaryPrimitives.WriteInt32LittleEndian(at, checked((int)record.Offset));
                    typeAt = 4;
                    BinaryPrimitives.WriteUInt16LittleEndian(at[6..], (ushort)clobberMask);
                    break;
                case "para6" when is64:
                    relocations.Add(new ElfRelocation((ulong)(i * format.Stride), ElfRelocationType.R_X86_64_PC32, symbol, record.Offset));
                    typeAt = 4;
                    break;
                case "para6":
                    relocations.Add(new ElfRelocation((ulong)(i * format.Stride), ElfRelocationType.R_386_PC32, symbol, 0));
                    BinaryPrimitives.WriteInt32LittleEndian(at, checked((int)record.Offset));
                    typeAt = 4;
                    break;
                default:
                    throw new AnnotateException($"record format {format.Name} cannot be written");
            }

            at[typeAt] = (byte)record.Slot;
            at[typeAt + 1] = (byte)record.Length;
        }

        var section = new ElfStreamSection(ElfSectionType.ProgBits, new MemoryStream(data))
        {
            Name = format.Section,
            Flags = ElfSectionFlags.Alloc,
            VirtualAddressAlignment = (ulong)format.Alignment,
            OrderInSectionHeaderTable = nextOrder++,
        };
        elf.Add(section);
        var table = new ElfRelocationTable(relocationWithAddends: is64)
        {
            Name = (is64 ? ".rela" : ".rel") + format.Section,
            Link = new ElfSectionLink(symtab),
            Info = new ElfSectionLink(section),
            Flags = ElfSectionFlags.InfoLink,
            VirtualAddressAlignment = is64 ? 8UL : 4UL,
            OrderInSectionHeaderTable = nextOrder,
        };
        table.Entries.AddRange(relocations);
        elf.Add(table);

        var output = new MemoryStream();
        if (!elf.TryWrite(output, out var writeDiagnostics))
        {
            throw new AnnotateException("LibObjectFile cannot write the object: " + string.Join("; ", writeDiagnostics.Messages.Select(m => m.Message)));
        }

        byte[] bytes = output.ToArray();
        VerifyReadBack(bytes, records, format);
        return bytes;
    }

    private static ElfFile ReadElf(byte[] input)
    {
        try
        {
            if (ElfFile.TryRead(new MemoryStream(input, writable: false), out var elf, out var diagnostics, new ElfReaderOptions()) && elf is not null)
            {
                return elf;
            }

            throw new AnnotateException("bad ELF: " + (diagnostics is null ? "unreadable" : string.Join("; ", diagnostics.Messages.Select(m => m.Message))));
        }
        catch (Exception e) when (e is not AnnotateException)
        {
            throw new AnnotateException("bad ELF: " + e.Message);
        }
    }

    private static ElfSection SectionNamed(ElfFile elf, string name)
    {
        var matches = elf.Sections.Where(s => s.Name.Value == name).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new AnnotateException($"no section {name}"),
            _ => throw new AnnotateException($"{matches.Count} sections are named {name}: records could not say which one a site is in"),
        };
    }

    /// <summary>
    /// The index of the STT_SECTION symbol of <paramref name="section"/>, created when missing (binutils 2.40 drops
    /// unreferenced section symbols). Locals come before globals, so the new one goes after the last local and every
    /// index after it moves up by one: in relocation tables and in group sections (whose sh_info is a symbol index).
    /// </summary>
    private static uint SectionSymbol(ElfFile elf, ElfSymbolTable symtab, ElfSection section)
    {
        int found = symtab.Entries.FindIndex(e => e.Type == ElfSymbolType.Section && ReferenceEquals(e.SectionLink.Section, section));
        if (found >= 0)
        {
            return (uint)found;
        }

        int insertAt = symtab.Entries.FindIndex(1, e => e.Bind != ElfSymbolBind.Local);
        if (insertAt < 0)
        {
            insertAt = symtab.Entries.Count;
        }

        symtab.Entries.Insert(insertAt, new ElfSymbol { Type = ElfSymbolType.Section, Bind = ElfSymbolBind.Local, SectionLink = new ElfSectionLink(section) });
        foreach (var relocationTable in elf.Sections.OfType<ElfRelocationTable>().Where(t => ReferenceEquals(t.Link.Section, symtab)))
        {
            for (int i = 0; i < relocationTable.Entries.Count; i++)
            {
                var entry = relocationTable.Entries[i];
                if (entry.SymbolIndex >= insertAt)
                {
                    entry.SymbolIndex++;
                    relocationTable.Entries[i] = entry;
                }
            }
        }

        foreach (var group in elf.Sections.Where(s => s.Type == ElfSectionType.Group))
        {
            int signature = group.Info.GetIndex();
            if (signature >= insertAt)
            {
                group.Info = new ElfSectionLink(signature + 1);
            }
        }

        return (uint)insertAt;
    }

    /// <summary>Reads the written object back with the scanner's own reader: every planned record must be there, unchanged.</summary>
    private static void VerifyReadBack(byte[] bytes, IReadOnlyList<PlannedRecord> records, RecordFormat format)
    {
        var elf = ElfFile.Read(new MemoryStream(bytes, writable: false), new ElfReaderOptions());
        var read = ParaInstructionsReader.Read(elf, format.ReaderFormat);
        if (read.Error is not null)
        {
            throw new AnnotateException($"the written records do not read back: {read.Error}");
        }

        var expected = records.Select(r => (r.Section, r.Offset, r.Slot, r.Length));
        var actual = read.Records.Select(a => (a.Section, a.Offset, Slot: a.Type, a.Length));
        if (!expected.SequenceEqual(actual))
        {
            throw new AnnotateException("the written records read back differently (a LibObjectFile or pvgen defect)");
        }
    }
}
