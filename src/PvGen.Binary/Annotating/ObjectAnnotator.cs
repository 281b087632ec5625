using System.Buffers.Binary;
using LibObjectFile.Elf;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Binary.Annotating;

/// <summary>What `pvgen annotate` needs besides the objects.</summary>
/// <param name="Scan">The table symbol(s) and model, as for `pvgen scan`.</param>
/// <param name="Format">The record format to write; null picks the machine's default (para16 on x86-64, para8 on i386).</param>
/// <param name="JumpSlots">Slots of ops reached by jmp (pvgen.json "jump": true).</param>
/// <param name="ClobberEra">Which CLBR_ANY the clobber field of para8/para16 records carries: a plain C call lets the callee clobber every caller-saved register.</param>
/// <param name="DirectCallSymbol">alt14: the symbol the replacement call names (the kernel's BUG_func).</param>
public sealed record AnnotateOptions(ScanOptions Scan, RecordFormat? Format, IReadOnlySet<int> JumpSlots, ClobberEra ClobberEra = ClobberEra.Linux2625,
    string DirectCallSymbol = Alternatives.DefaultDirectCallSymbol)
{
    /// <summary>Slots of callee-save ops (from the model): their records carry CLBR_RET_REG, as the kernel's PVOP_CALLEE* macros record them.</summary>
    public IReadOnlySet<int> CalleeSaveSlots { get; init; } = new HashSet<int>();

    /// <summary>Which references get records: every patchable one (plain style), or those the markers pair with (marker style).</summary>
    public AnnotateSites Sites { get; init; } = AnnotateSites.References;

    /// <summary>
    /// The clobber field of a record for <paramref name="slot"/>: what the patched-in code may clobber there. A callee-save op
    /// promises to preserve every register but the return register, so its records say CLBR_RET_REG even at a plain C call
    /// (where the compiler would have tolerated CLBR_ANY); the check then holds every callee-save record to CLBR_RET_REG.
    /// </summary>
    public int ClobberMask(int pointerSize, int slot) => ClobberMasks.KernelDefault(CalleeSaveSlots.Contains(slot), pointerSize, ClobberEra);
}

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
/// records the macro style's inline asm emits. Record bytes come from the format's own encoder (PvGen.X86).
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

        int pointerSize = only.Machine == "x86_64" ? 8 : 4;
        var format = options.Format ?? RecordFormats.DefaultFor(pointerSize);
        if (Unsupported(format, pointerSize) is { } unsupported)
        {
            return AnnotatedObject.Failed(path, only.Machine, unsupported);
        }

        var plan = options.Sites == AnnotateSites.Markers
            ? AnnotationPlanner.PlanFromMarkers(only, format, options.JumpSlots)
            : AnnotationPlanner.Plan(only, format, options.JumpSlots);
        try
        {
            return new AnnotatedObject(path, only.Machine, format, plan, Write(input, plan.Records, format, slot => options.ClobberMask(pointerSize, slot), options.DirectCallSymbol), null);
        }
        catch (AnnotateException e)
        {
            return AnnotatedObject.Failed(path, only.Machine, e.Message);
        }
    }

    /// <summary>The formats annotate writes: those that can mark a pv site (every .parainstructions layout and 6.8's alt14; the earlier alt layouts predate DIRECT_CALL).</summary>
    public static IReadOnlyList<RecordFormat> Writable { get; } = [.. RecordFormats.All.Where(f => f.CanRecordPvSites)];

    /// <summary>Why <paramref name="format"/> cannot annotate objects of this pointer size, or null.</summary>
    public static string? Unsupported(RecordFormat format, int pointerSize) =>
        !Writable.Contains(format) ? $"{format.Name} entries predate ALT_FLAG_DIRECT_CALL (6.8) and cannot describe a pv call site; use {string.Join(", ", Writable.Select(f => f.Name))}"
        : !format.FitsPointerSize(pointerSize) ? $"{format.Name} records are for {format.PointerSize * 8}-bit objects ({format.Description}), not {pointerSize * 8}-bit ones"
        : null;

    /// <summary>Sections that mean the object already carries site records (or alternatives annotate would have to merge into).</summary>
    public static readonly string[] RecordSections = [".parainstructions", Alternatives.Section, Alternatives.ReplacementSection];

    /// <summary>
    /// Writes <paramref name="records"/> into a copy of the relocatable object <paramref name="input"/>. Existing sections
    /// keep their indices (new ones are appended), so groups and every other index stay valid; a missing section symbol
    /// is inserted among the locals and symbol indices after it are renumbered. The result is read back and compared.
    /// </summary>
    /// <param name="clobberMask">The clobber field of para8/para16 records, by slot.</param>
    /// <param name="directCallSymbol">alt14: the symbol each replacement call or jump names.</param>
    public static byte[] Write(byte[] input, IReadOnlyList<PlannedRecord> records, RecordFormat format, Func<int, int> clobberMask, string directCallSymbol = Alternatives.DefaultDirectCallSymbol)
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
        bool alt = format.Family == RecordFamily.AltInstructions;

        // alt14: every entry's replacement, a 5-byte call (or jump) to the direct-call symbol, in .altinstr_replacement.
        ElfStreamSection? replacements = null;
        var replacementRelocations = new List<ElfRelocation>();
        if (alt)
        {
            var code = new byte[records.Count * SiteEncodings.DirectCallLength];
            uint callee = UndefinedSymbol(symtab, directCallSymbol);
            for (int i = 0; i < records.Count; i++)
            {
                int at = i * SiteEncodings.DirectCallLength;
                code[at] = records[i].Kind == PatchKind.Jump ? SiteEncodings.DirectJmp.Opcode[0] : SiteEncodings.DirectCall.Opcode[0];
                if (!is64)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(code.AsSpan(at + 1), -4);
                }

                replacementRelocations.Add(new ElfRelocation((ulong)(at + 1), is64 ? ElfRelocationType.R_X86_64_PLT32 : ElfRelocationType.R_386_PC32, callee, is64 ? -4 : 0));
            }

            replacements = new ElfStreamSection(ElfSectionType.ProgBits, new MemoryStream(code))
            {
                Name = Alternatives.ReplacementSection,
                Flags = ElfSectionFlags.Alloc | ElfSectionFlags.Executable,
                VirtualAddressAlignment = 1,
                OrderInSectionHeaderTable = nextOrder++,
            };
            elf.Add(replacements);
        }

        var data = new byte[records.Count * format.Stride];
        var relocations = new List<ElfRelocation>(records.Count * format.RelocatedFields.Count);
        for (int i = 0; i < records.Count; i++)
        {
            var record = records[i];
            if (record.Length is < 1 or > 255 || record.Slot is < 0 or > 255)
            {
                throw new AnnotateException($"record {i} at {record.Section}+0x{record.Offset:x}: length {record.Length} and type {record.Slot} must each fit one byte");
            }

            var site = new CodeLocation(record.Section, record.Offset);
            PvRecord pv = alt
                ? new AltRecord(site, new CodeLocation(Alternatives.ReplacementSection, (long)i * SiteEncodings.DirectCallLength), Alternatives.FeatureAlways,
                    AltFlags.DirectCall, record.Length, SiteEncodings.DirectCallLength)
                : new ParaRecord(site, record.Slot, record.Length, format.HasClobbers ? clobberMask(record.Slot) : null);
            var encoded = format.Encode(pv, implicitAddends: !is64);
            encoded.Bytes.CopyTo(data, i * format.Stride);
            foreach (var fixup in encoded.Fixups)
            {
                uint symbol = SectionSymbol(elf, symtab, fixup.Target.Section == Alternatives.ReplacementSection ? replacements! : SectionNamed(elf, fixup.Target.Section), [replacementRelocations, relocations]);
                relocations.Add(new ElfRelocation((ulong)(i * format.Stride + fixup.FieldOffset), RelocationType(fixup.Relocation, is64), symbol, is64 ? fixup.Target.Offset : 0));
            }
        }

        if (replacements is not null)
        {
            AddRelocations(elf, symtab, replacements, replacementRelocations, is64, nextOrder++);
        }

        var section = new ElfStreamSection(ElfSectionType.ProgBits, new MemoryStream(data))
        {
            Name = format.Section,
            Flags = ElfSectionFlags.Alloc,
            VirtualAddressAlignment = (ulong)(format.Family == RecordFamily.ParaInstructions && format.HasClobbers ? (format.PointerSize ?? 4) : 1),
            OrderInSectionHeaderTable = nextOrder++,
        };
        elf.Add(section);
        AddRelocations(elf, symtab, section, relocations, is64, nextOrder);

        var output = new MemoryStream();
        if (!elf.TryWrite(output, out var writeDiagnostics))
        {
            throw new AnnotateException("LibObjectFile cannot write the object: " + string.Join("; ", writeDiagnostics.Messages.Select(m => m.Message)));
        }

        byte[] bytes = output.ToArray();
        VerifyReadBack(bytes, records, format);
        return bytes;
    }

    private static void AddRelocations(ElfFile elf, ElfSymbolTable symtab, ElfSection target, List<ElfRelocation> relocations, bool is64, uint order)
    {
        var table = new ElfRelocationTable(relocationWithAddends: is64)
        {
            Name = (is64 ? ".rela" : ".rel") + target.Name.Value,
            Link = new ElfSectionLink(symtab),
            Info = new ElfSectionLink(target),
            Flags = ElfSectionFlags.InfoLink,
            VirtualAddressAlignment = is64 ? 8UL : 4UL,
            OrderInSectionHeaderTable = order,
        };
        table.Entries.AddRange(relocations);
        elf.Add(table);
    }

    private static ElfRelocationType RelocationType(FieldRelocation relocation, bool is64) => (relocation, is64) switch
    {
        (FieldRelocation.Absolute64, true) => ElfRelocationType.R_X86_64_64,
        (FieldRelocation.Absolute32, true) => ElfRelocationType.R_X86_64_32,
        (FieldRelocation.PcRelative32, true) => ElfRelocationType.R_X86_64_PC32,
        (FieldRelocation.Absolute32, false) => ElfRelocationType.R_386_32,
        (FieldRelocation.PcRelative32, false) => ElfRelocationType.R_386_PC32,
        _ => throw new AnnotateException($"a {relocation} field cannot be relocated in a {(is64 ? 64 : 32)}-bit object"),
    };

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

    /// <summary>The index of a global symbol named <paramref name="name"/>, appended as undefined when the object has none (globals follow the locals, so no index moves).</summary>
    private static uint UndefinedSymbol(ElfSymbolTable symtab, string name)
    {
        int found = symtab.Entries.FindIndex(e => e.Name.Value == name && e.Bind != ElfSymbolBind.Local);
        if (found >= 0)
        {
            return (uint)found;
        }

        symtab.Entries.Add(new ElfSymbol { Name = name, Bind = ElfSymbolBind.Global, Type = ElfSymbolType.NoType });
        return (uint)(symtab.Entries.Count - 1);
    }

    /// <summary>
    /// The index of the STT_SECTION symbol of <paramref name="section"/>, created when missing (binutils 2.40 drops
    /// unreferenced section symbols). Locals come before globals, so the new one goes after the last local and every
    /// index after it moves up by one: in relocation tables, in group sections (whose sh_info is a symbol index) and in
    /// <paramref name="pending"/> relocations not yet in a table.
    /// </summary>
    private static uint SectionSymbol(ElfFile elf, ElfSymbolTable symtab, ElfSection section, IEnumerable<List<ElfRelocation>> pending)
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
        var tables = elf.Sections.OfType<ElfRelocationTable>().Where(t => ReferenceEquals(t.Link.Section, symtab)).Select(t => t.Entries).Concat(pending);
        foreach (var entries in tables)
        {
            for (int i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                if (entry.SymbolIndex >= insertAt)
                {
                    entry.SymbolIndex++;
                    entries[i] = entry;
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

    /// <summary>Reads the written object back with the scanner's own readers: every planned record must be there, unchanged.</summary>
    private static void VerifyReadBack(byte[] bytes, IReadOnlyList<PlannedRecord> records, RecordFormat format)
    {
        var elf = ElfFile.Read(new MemoryStream(bytes, writable: false), new ElfReaderOptions());
        var read = RecordSectionReader.Read(elf, format.Section, format);
        if (read.Error is not null)
        {
            throw new AnnotateException($"the written records do not read back: {read.Error}");
        }

        var expected = records.Select(r => (r.Section, r.Offset, r.Length, Type: format.Family == RecordFamily.ParaInstructions ? r.Slot : -1));
        var actual = read.Records.Select(d => d.Record switch
        {
            ParaRecord p => (p.Site.Section, p.Site.Offset, p.Length, p.Type),
            var other => (other.Site.Section, other.Site.Offset, other.Length, Type: -1),
        });
        if (!expected.SequenceEqual(actual))
        {
            throw new AnnotateException("the written records read back differently (a LibObjectFile or pvgen defect)");
        }
    }
}
