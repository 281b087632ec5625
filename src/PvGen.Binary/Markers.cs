using Iced.Intel;
using LibObjectFile.Elf;
using PvGen.Model;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Binary;

/// <summary>
/// A marker of the marker style: an R_X86_64_NONE / R_386_NONE relocation against the table in code, and the call or
/// jump it describes. The compiler places the marker where it scheduled the asm statement, so the site may follow it.
/// </summary>
/// <param name="Section">The executable section the marker is in.</param>
/// <param name="Offset">Where the relocation sits, section-relative (an instruction boundary, or the end of the code).</param>
/// <param name="RelocType">R_X86_64_NONE or R_386_NONE.</param>
/// <param name="RelocTargetOffset">The table offset the relocation names (symbol base + addend; always 0 for R_386_NONE, which keeps no addend).</param>
/// <param name="TargetOffset">The table offset of the op described: from the side record when there is one, else from the relocation.</param>
/// <param name="Record">The side record in .pvgen.markers that points at this marker, or null.</param>
/// <param name="SiteOffset">Start of the paired call or jmp, or null when unpaired.</param>
/// <param name="SiteKind">Call or Jmp (a call through a register the slot was loaded into counts, as the load feeds it).</param>
/// <param name="Distance">Bytes from the marker to the paired instruction.</param>
/// <param name="InstructionsBetween">Instructions decoded between the marker and the paired instruction.</param>
/// <param name="Unpaired">Why no site could be paired, or null.</param>
public sealed record Marker(
    string Section,
    long Offset,
    string RelocType,
    long RelocTargetOffset,
    long TargetOffset,
    int? Slot,
    string? Op,
    string? FunctionSymbol,
    long FunctionOffset,
    MarkerSideRecord? Record,
    long? SiteOffset,
    SiteKind? SiteKind,
    int? SiteLength,
    long? Distance,
    int? InstructionsBetween,
    string? Unpaired)
{
    public bool Paired => SiteOffset is not null;

    /// <summary>"symbol+0xoff" as objdump names the marker's place.</summary>
    public string Function => $"{FunctionSymbol ?? Section}+0x{FunctionOffset:x}";
}

/// <summary>Reads the marker style's markers and side records and pairs each marker with the call or jump it describes.</summary>
internal static class Markers
{
    /// <param name="hits">The NONE relocations against the table, per executable section.</param>
    /// <param name="sites">The object's decoded sites (the calls and jumps through the table, and loads feeding calls).</param>
    public static EquatableArray<Marker> Pair(ElfObject elfObject, IEnumerable<ElfObjectScanner.SectionHit> hits, IReadOnlyList<Site> sites, OpNames names, List<string> errors)
    {
        var elf = elfObject.File;
        bool is64 = ElfSections.Is64(elf);
        int pointerSize = is64 ? 8 : 4;
        var records = ReadRecords(elf, errors);
        var markers = new List<Marker>();
        foreach (var group in hits.GroupBy(h => h.Section))
        {
            var section = group.Key;
            string sectionName = section.Name.Value;
            var code = elfObject.Bytes(section, out string? readError);
            if (readError is not null)
            {
                errors.Add(readError);
                continue;
            }

            var symbols = elfObject.CodeSymbols(section);
            var claimed = new HashSet<long>();
            var candidates = Candidates(sites.Where(s => s.Section == sectionName));
            foreach (var (_, hit) in group.OrderBy(h => h.Hit.Offset))
            {
                long relocTarget = hit.Base + (hit.Addend ?? 0);
                var record = records.TryGetValue(new CodeLocation(sectionName, hit.Offset), out var queue) && queue.Count > 0 ? queue.Dequeue() : null;
                long target = record is null ? relocTarget : (long)record.Slot * pointerSize;
                int symbolIndex = CodeSymbol.LastAtOrBefore(symbols, hit.Offset);
                long start = symbolIndex >= 0 ? symbols[symbolIndex].Offset : 0;
                long end = symbolIndex + 1 < symbols.Count ? Math.Min(symbols[symbolIndex + 1].Offset, code.Length) : code.Length;
                string? function = symbolIndex >= 0 ? symbols[symbolIndex].Name : null;
                var marker = new Marker(sectionName, hit.Offset, hit.Info.Name, relocTarget, target, target >= 0 ? (int)(target / pointerSize) : null,
                    names.Find(target), function, hit.Offset - start, record, null, null, null, null, null, null);
                if (record is not null && is64 && relocTarget != target)
                {
                    markers.Add(marker with { Unpaired = $"the relocation names table offset 0x{relocTarget:x} but its side record slot {record.Slot} (offset 0x{target:x})" });
                    continue;
                }

                if (record is null && !is64)
                {
                    markers.Add(marker with { Unpaired = "no side record in .pvgen.markers names this marker, and R_386_NONE keeps no addend: the op is unknown" });
                    continue;
                }

                markers.Add(Forward(marker, code, is64, end, candidates, claimed));
            }
        }

        foreach (var left in records.Where(r => r.Value.Count > 0))
        {
            errors.Add($"{MarkerRecord.Section}: {left.Value.Count} record(s) point at {left.Key}, where no {RelocationInfo.NoneName(is64)} marker against the table is");
        }

        return markers.OrderBy(m => m.Section, StringComparer.Ordinal).ThenBy(m => m.Offset).ToEquatableArray();
    }

    /// <summary>Call and jump instructions through a slot, by start offset: sites through memory and the register calls a load feeds.</summary>
    private static Dictionary<long, (SiteKind Kind, int Length, long Target)> Candidates(IEnumerable<Site> sites)
    {
        var found = new Dictionary<long, (SiteKind, int, long)>();
        foreach (var site in sites)
        {
            if (site.Kind is SiteKind.Call or SiteKind.Jmp)
            {
                found.TryAdd(site.Offset, (site.Kind, site.Length, site.TargetOffset));
            }

            foreach (var fed in site.Feeds)
            {
                found.TryAdd(fed.Offset, (fed.Kind, fed.Length, fed.TargetOffset));
            }
        }

        return found;
    }

    /// <summary>Decodes from the marker to the end of its function; the first unclaimed call or jmp through the marker's slot is its site.</summary>
    private static Marker Forward(Marker marker, byte[] code, bool is64, long end, Dictionary<long, (SiteKind Kind, int Length, long Target)> candidates, HashSet<long> claimed)
    {
        if (marker.Offset >= end)
        {
            return marker with { Unpaired = $"the marker sits at the end of {marker.FunctionSymbol ?? marker.Section}, after its last instruction" };
        }

        var reader = new ByteArrayCodeReader(code, (int)marker.Offset, (int)(end - marker.Offset));
        var decoder = Iced.Intel.Decoder.Create(is64 ? 64 : 32, reader, (ulong)marker.Offset, DecoderOptions.None);
        int between = 0;
        while (reader.CanReadByte)
        {
            decoder.Decode(out var instruction);
            long ip = (long)instruction.IP;
            if (instruction.IsInvalid)
            {
                return marker with { Unpaired = $"undecodable bytes at {marker.Section}+0x{ip:x} before any call through slot {marker.Slot}" };
            }

            if (candidates.TryGetValue(ip, out var candidate) && candidate.Target == marker.TargetOffset && claimed.Add(ip))
            {
                return marker with { SiteOffset = ip, SiteKind = candidate.Kind, SiteLength = candidate.Length, Distance = ip - marker.Offset, InstructionsBetween = between };
            }

            between++;
        }

        return marker with { Unpaired = $"no call or jmp through table offset 0x{marker.TargetOffset:x} between the marker and the end of {marker.FunctionSymbol ?? marker.Section}" };
    }

    /// <summary>The side records, by the place their first field points at, in section order (several markers may share a place).</summary>
    private static Dictionary<CodeLocation, Queue<MarkerSideRecord>> ReadRecords(ElfFile elf, List<string> errors)
    {
        var byPlace = new Dictionary<CodeLocation, Queue<MarkerSideRecord>>();
        var section = elf.Sections.FirstOrDefault(s => s.Name.Value == MarkerRecord.Section);
        if (section is null)
        {
            return byPlace;
        }

        bool is64 = ElfSections.Is64(elf);
        var bytes = ElfSections.ReadBytes(section, out string? readError);
        if (readError is not null)
        {
            errors.Add(readError);
            return byPlace;
        }

        var table = ElfSections.RelocationTables(elf).FirstOrDefault(t => ReferenceEquals(t.Target, section)).Table;
        if (table?.Link.Section is not ElfSymbolTable symbols)
        {
            if (bytes.Length > 0)
            {
                errors.Add($"{MarkerRecord.Section} has {bytes.Length} bytes but no relocations (scan the .o files)");
            }

            return byPlace;
        }

        if (bytes.Length % MarkerRecord.Stride != 0 || table.Entries.Count != bytes.Length / MarkerRecord.Stride)
        {
            errors.Add($"{MarkerRecord.Section}: {bytes.Length} bytes with {table.Entries.Count} relocations are not {MarkerRecord.Stride}-byte records with one relocated marker field each");
            return byPlace;
        }

        long sectionBase = ElfSections.Base(elf, section);
        foreach (var relocation in table.Entries.OrderBy(r => r.Offset))
        {
            long at = (long)relocation.Offset - sectionBase;
            var info = RelocationInfo.Of(is64, relocation.Type.Value);
            if (at % MarkerRecord.Stride != MarkerRecord.MarkerField.Offset || info.AsField != MarkerRecord.MarkerField.Relocation || relocation.SymbolIndex >= symbols.Entries.Count)
            {
                errors.Add($"{MarkerRecord.Section}: relocation {info.Name} at 0x{at:x} is not a record's PC-relative marker field");
                return [];
            }

            var symbol = symbols.Entries[(int)relocation.SymbolIndex];
            if (symbol.SectionLink.Section is not { } target)
            {
                errors.Add($"{MarkerRecord.Section}: the record at 0x{at:x} points at '{symbol.Name.Value}', which is not defined in this object");
                return [];
            }

            // A linked program's REL field holds the resolved value, not the addend: the same unbiasing as the record reader's.
            long addend = table.IsRelocationWithAddends ? relocation.Addend
                : ElfSections.ImplicitAddend(info, bytes.AsSpan((int)at, info.FieldSize),
                    elf.FileType == ElfFileType.Relocatable ? 0 : ElfSections.LinkedBias(info, (long)symbol.Value, sectionBase + at));
            var place = new CodeLocation(target.Name.Value, (long)symbol.Value + addend - ElfSections.Base(elf, target));
            var record = MarkerRecord.Decode(bytes.AsSpan((int)at, MarkerRecord.Stride), place);
            if (!byPlace.TryGetValue(place, out var queue))
            {
                byPlace[place] = queue = new Queue<MarkerSideRecord>();
            }

            queue.Enqueue(record);
        }

        return byPlace;
    }
}
