using LibObjectFile.Elf;
using PvGen.Model;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Binary;

/// <summary>
/// Finds the sites in one parsed ELF object: relocations against the table symbol inside executable sections, or, in a
/// linked object whose code has no relocations (a 6.5+ vmlinux), operands that resolve into the table (<see cref="OperandSites"/>).
/// </summary>
internal static class ElfObjectScanner
{
    public static ScannedObject Scan(ElfObject elfObject, ScanOptions options)
    {
        var elf = elfObject.File;
        string path = elfObject.Path;
        string machine = ElfSections.MachineName(elf);
        if (!ElfSections.IsX86(elf))
        {
            return ScannedObject.Failed(path, machine, $"unsupported machine {machine} ({elf.FileClass}): pvgen scans i386 and x86-64 objects");
        }

        bool is64 = ElfSections.Is64(elf);
        var names = new OpNames(options.Model);
        if (names.PointerSize is { } modelPointer && modelPointer != (is64 ? 8 : 4))
        {
            return ScannedObject.Failed(path, machine, $"the model is laid out for {options.Model!.Target.Arch} ({modelPointer}-byte slots) but this object is {machine}");
        }

        var errors = new List<string>();
        var sites = new List<Site>();
        var markerHits = new List<SectionHit>();
        SiteSource source;
        if (elfObject.IsLinked && (options.SiteDiscovery == SiteDiscovery.Operands || (options.SiteDiscovery == SiteDiscovery.Auto && !HasCodeRelocations(elf))))
        {
            // Section by section: each one's code is read, decoded and classified before the next is read.
            source = SiteSource.Operands;
            var tables = OperandSites.Tables(elf, options, errors);
            if (tables.Count > 0)
            {
                foreach (var (section, code, hits) in OperandSites.Collect(elfObject, tables, errors))
                {
                    sites.AddRange(Classify(elfObject, section, code, hits, is64, names, options, errors));
                }
            }
        }
        else
        {
            source = SiteSource.Relocations;
            var found = CollectHits(elf, is64, options.Symbols, errors).ToList();

            // NONE relocations patch nothing: they are the marker style's markers, not references the code makes.
            markerHits.AddRange(found.Where(h => h.Hit.Info.Mode == RelocationMode.Marker));
            found.RemoveAll(h => h.Hit.Info.Mode == RelocationMode.Marker);
            foreach (var group in found.GroupBy(h => h.Section))
            {
                var code = elfObject.Bytes(group.Key, out string? readError);
                if (readError is not null)
                {
                    errors.Add(readError);
                    continue;
                }

                sites.AddRange(Classify(elfObject, group.Key, code, group.Select(h => h.Hit), is64, names, options, errors));
            }
        }

        var para = ParaInstructionsReader.Read(elf, options.AnnotationFormat, options.MovedSection(RecordFamily.ParaInstructions));
        if (para.Error is not null)
        {
            errors.Add(para.Error);
        }

        var alt = AltInstructionsReader.Read(elf, options.AnnotationFormat, options.MovedSection(RecordFamily.AltInstructions));
        if (alt.Error is not null)
        {
            errors.Add(alt.Error);
        }

        var (records, format, alternatives) = PvRecords.Combine(para, alt);
        var (markedSites, markedRecords) = Match(sites, records);
        var markers = markerHits.Count == 0 && !HasMarkerRecords(elf) ? EquatableArray<Marker>.Empty : Markers.Pair(elfObject, markerHits, markedSites, names, errors);
        string? error = errors.Count switch
        {
            0 => null,
            1 => errors[0],
            _ => $"{errors[0]} (and {errors.Count - 1} more)",
        };
        return new ScannedObject(path, machine, error, markedSites, markedRecords, format, Skipped: false, alternatives) { SitesFrom = source, Markers = markers };
    }

    /// <summary>
    /// The non-executable sections whose relocations <see cref="Scan"/> reads: the record sections (where the options put
    /// them) and the marker records. With the relocations of executable sections, that is all a scan needs parsed.
    /// </summary>
    public static IReadOnlyCollection<string> RecordSections(ScanOptions options) =>
        options.RecordSection is { } moved ? [.. DefaultRecordSections, moved] : DefaultRecordSections;

    private static readonly string[] DefaultRecordSections = [ParaInstructionsReader.SectionName, Alternatives.Section, MarkerRecord.Section];

    /// <summary>The sites of one section's references to the table, in offset order; a reference outside the section is an error.</summary>
    private static IReadOnlyList<Site> Classify(ElfObject elfObject, ElfSection section, byte[] code, IEnumerable<RelocationHit> found, bool is64, OpNames names, ScanOptions options, List<string> errors)
    {
        string sectionName = section.Name.Value;
        var hits = new List<RelocationHit>();
        foreach (var hit in found.OrderBy(h => h.Offset))
        {
            int fieldSize = Math.Max(hit.Info.FieldSize, 1);
            if (hit.Offset < 0 || hit.Offset + fieldSize > code.Length)
            {
                errors.Add($"relocation at 0x{hit.Offset:x} lies outside section {sectionName} (0x{code.Length:x} bytes)");
                continue;
            }

            hits.Add(hit);
        }

        var decoder = new SiteDecoder(code, code.Length, is64, sectionName, names, options, ThunkCalls(elfObject, section));
        return decoder.Decode(hits, elfObject.CodeSymbols(section));
    }

    private static bool HasMarkerRecords(ElfFile elf) => elf.Sections.Any(s => s.Name.Value == MarkerRecord.Section);

    /// <summary>Whether any relocation table patches an executable section (a vmlinux from 6.5 on has none at all).</summary>
    private static bool HasCodeRelocations(ElfFile elf) =>
        ElfSections.RelocationTables(elf).Any(t => (t.Target.Flags & ElfSectionFlags.Executable) != 0 && t.Table.Entries.Count > 0);

    /// <summary>Every relocation against the table's symbol(s) inside an executable section, with its section-relative offset.</summary>
    private static IEnumerable<SectionHit> CollectHits(ElfFile elf, bool is64, IReadOnlyDictionary<string, long> tableSymbols, List<string> errors)
    {
        var matchesBySymbolTable = new Dictionary<ElfSymbolTable, Dictionary<uint, long>>();
        foreach (var (table, target) in ElfSections.RelocationTables(elf))
        {
            if ((target.Flags & ElfSectionFlags.Executable) == 0 || table.Entries.Count == 0)
            {
                continue;
            }

            if (table.Link.Section is not ElfSymbolTable symbols)
            {
                errors.Add($"relocation table {table.Name.Value} has no symbol table");
                continue;
            }

            if (!matchesBySymbolTable.TryGetValue(symbols, out var matching))
            {
                matching = [];
                for (int i = 0; i < symbols.Entries.Count; i++)
                {
                    if (tableSymbols.TryGetValue(symbols.Entries[i].Name.Value, out long tableBase))
                    {
                        matching[(uint)i] = tableBase;
                    }
                }

                matchesBySymbolTable[symbols] = matching;
            }

            if (matching.Count == 0)
            {
                continue;
            }

            long sectionBase = ElfSections.Base(elf, target);
            bool withAddends = table.IsRelocationWithAddends;
            bool reportedMissing = false;
            foreach (var relocation in table.Entries)
            {
                if (relocation.SymbolIndex >= symbols.Entries.Count && !reportedMissing)
                {
                    errors.Add($"{table.Name.Value}: relocation at 0x{relocation.Offset:x} refers to symbol {relocation.SymbolIndex}, beyond the symbol table ({symbols.Entries.Count})");
                    reportedMissing = true;
                }

                if (!matching.TryGetValue(relocation.SymbolIndex, out long symbolBase))
                {
                    continue;
                }

                var info = RelocationInfo.Of(is64, relocation.Type.Value);
                long bias = !withAddends && elf.FileType != ElfFileType.Relocatable
                    ? ElfSections.LinkedBias(info, (long)symbols.Entries[(int)relocation.SymbolIndex].Value, (long)relocation.Offset)
                    : 0;

                yield return new SectionHit(target, new RelocationHit((long)relocation.Offset - sectionBase, info, withAddends ? relocation.Addend : null, symbolBase, bias));
            }
        }
    }

    /// <summary>A reference to the table inside one executable section.</summary>
    internal readonly record struct SectionHit(ElfSection Section, RelocationHit Hit);

    /// <summary>Retpoline thunks by the register they jump through: __x86_indirect_thunk_rax, and the call/jump variants of later kernels.</summary>
    /// <remarks>All begin with "__x86_", which <see cref="FindThunkSymbols"/> tests first.</remarks>
    private static readonly string[] ThunkPrefixes = ["__x86_indirect_thunk_", "__x86_indirect_call_thunk_", "__x86_indirect_jump_thunk_"];

    /// <summary>Relocated fields of <paramref name="section"/> whose symbol is a retpoline thunk, by offset, with the thunk's register.</summary>
    private static Dictionary<long, Iced.Intel.Register> ThunkCalls(ElfObject elfObject, ElfSection section)
    {
        var found = new Dictionary<long, Iced.Intel.Register>();
        var elf = elfObject.File;
        long sectionBase = ElfSections.Base(elf, section);
        foreach (var (table, target) in ElfSections.RelocationTables(elf))
        {
            if (!ReferenceEquals(target, section) || table.Link.Section is not ElfSymbolTable symbols)
            {
                continue;
            }

            var thunks = elfObject.ThunkSymbols(symbols);
            if (thunks.Count == 0)
            {
                continue;
            }

            foreach (var relocation in table.Entries)
            {
                if (thunks.TryGetValue(relocation.SymbolIndex, out var register))
                {
                    found[(long)relocation.Offset - sectionBase] = register;
                }
            }
        }

        return found;
    }

    /// <summary>The retpoline thunk symbols of a symbol table by index, with the register each jumps through.</summary>
    internal static Dictionary<uint, Iced.Intel.Register> FindThunkSymbols(ElfSymbolTable symbols)
    {
        var thunks = new Dictionary<uint, Iced.Intel.Register>();
        var entries = symbols.Entries;
        for (int i = 0; i < entries.Count; i++)
        {
            string name = entries[i].Name.Value ?? string.Empty;
            if (!name.StartsWith("__x86_", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (string prefix in ThunkPrefixes)
            {
                if (name.StartsWith(prefix, StringComparison.Ordinal)
                    && Enum.TryParse<Iced.Intel.Register>(name[prefix.Length..], ignoreCase: true, out var register) && Iced.Intel.RegisterExtensions.IsGPR(register))
                {
                    thunks[(uint)i] = Iced.Intel.RegisterExtensions.GetFullRegister(register);
                }
            }
        }

        return thunks;
    }

    /// <summary>A record covers a site when the site's instruction starts inside the record's [offset, offset + length).</summary>
    private static (EquatableArray<Site> Sites, EquatableArray<Annotation> Records) Match(List<Site> sites, EquatableArray<Annotation> records)
    {
        var ordered = sites.OrderBy(s => s.Section, StringComparer.Ordinal).ThenBy(s => s.Offset).ThenBy(s => s.RelocOffset).ToList();
        if (records.Count == 0)
        {
            return (ordered.ToEquatableArray(), records);
        }

        var siteOffsets = ordered.GroupBy(s => s.Section).ToDictionary(g => g.Key, g => g.Select(s => s.Offset).ToArray());
        var sitesAt = ordered.GroupBy(s => (s.Section, s.Offset)).ToDictionary(g => g.Key, g => g.First());
        var marked = records.Select(a => a with
        {
            HasSite = siteOffsets.TryGetValue(a.Section, out var offsets) && FirstAtOrAfter(offsets, a.Offset) is int i && i < offsets.Length && offsets[i] < End(a),

            // A DIRECT_CALL entry names no slot: its slot is the one the call at its address goes through.
            Type = a.Alt is null ? a.Type : sitesAt.TryGetValue((a.Section, a.Offset), out var at) && at.Slot is int slot ? slot : -1,
        }).ToList();
        var recordsBySection = marked.GroupBy(a => a.Section).ToDictionary(g => g.Key, g => g.OrderBy(a => a.Offset).ToArray());
        var markedSites = ordered.Select(s =>
        {
            var covering = recordsBySection.TryGetValue(s.Section, out var list) && LastAtOrBefore(list, s.Offset) is { } a && s.Offset < End(a) ? a : null;
            return s with
            {
                Annotated = covering is not null,
                AnnotatedBy = covering is null ? null : covering.Alt is null ? RecordFamily.ParaInstructions : RecordFamily.AltInstructions,
            };
        });
        return (markedSites.ToEquatableArray(), marked.ToEquatableArray());
    }

    private static long End(Annotation a) => a.Offset + Math.Max(a.Length, 1);

    private static int FirstAtOrAfter(long[] sorted, long value)
    {
        int index = Array.BinarySearch(sorted, value);
        if (index < 0)
        {
            return ~index;
        }

        while (index > 0 && sorted[index - 1] == value)
        {
            index--;
        }

        return index;
    }

    /// <summary>The record with the greatest start at or before the offset (records do not overlap).</summary>
    private static Annotation? LastAtOrBefore(Annotation[] sorted, long offset)
    {
        int lo = 0, hi = sorted.Length - 1;
        Annotation? found = null;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid].Offset <= offset)
            {
                found = sorted[mid];
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }
}

