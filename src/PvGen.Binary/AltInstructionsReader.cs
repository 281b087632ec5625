using LibObjectFile.Elf;
using PvGen.Model;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Binary;

/// <summary>The entries of <c>.altinstructions</c> at one original instruction, in section order (6.11+ nests them; the first one is patched first).</summary>
public sealed record AltGroup(string Section, long Offset, EquatableArray<AltEntry> Entries);

/// <summary>An object's <c>.altinstructions</c>, grouped by site, or why it could not be read.</summary>
public sealed record AltInstructionsResult(RecordFormat? Format, EquatableArray<AltGroup> Groups, string? Error, bool Present)
{
    public static readonly AltInstructionsResult None = new(null, EquatableArray<AltGroup>.Empty, null, false);

    public int Entries => Groups.Sum(g => g.Entries.Count);
}

/// <summary>
/// Reads <c>.altinstructions</c> in any <c>struct alt_instr</c> layout (alt12, alt13, alt14; detected from the
/// relocation pairs at +0/+4 of every entry), with each entry's replacement bytes from <c>.altinstr_replacement</c>
/// and the symbol its replacement calls (BUG_func for a 6.8+ pv site).
/// </summary>
public static class AltInstructionsReader
{
    /// <param name="section">The section to read instead of .altinstructions (records generated into a section of the user's choosing).</param>
    public static AltInstructionsResult Read(ElfFile elf, RecordFormat? format = null, string? section = null)
    {
        var result = RecordSectionReader.Read(elf, section ?? Alternatives.Section, format is { Family: RecordFamily.AltInstructions } ? format : null, moved: section is not null);
        if (!result.Present)
        {
            return AltInstructionsResult.None;
        }

        if (result.Error is not null)
        {
            return new AltInstructionsResult(result.Format, EquatableArray<AltGroup>.Empty, result.Error, true);
        }

        try
        {
            return Group(elf, result);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or NullReferenceException)
        {
            return new AltInstructionsResult(result.Format, EquatableArray<AltGroup>.Empty, $"{Alternatives.ReplacementSection}: {RuntimeMessages.Describe(e)}", true);
        }
    }

    private static AltInstructionsResult Group(ElfFile elf, RecordSectionResult result)
    {
        var replacementSections = new Dictionary<string, (byte[] Bytes, Dictionary<long, string> Calls)>(StringComparer.Ordinal);
        (byte[] Bytes, Dictionary<long, string> Calls) Replacements(string name)
        {
            if (!replacementSections.TryGetValue(name, out var found))
            {
                var section = elf.Sections.FirstOrDefault(s => s.Name.Value == name);
                byte[] bytes = section is null ? [] : ElfSections.ReadBytes(section, out _);
                found = (bytes, section is null ? [] : CallTargets(elf, section));
                replacementSections[name] = found;
            }

            return found;
        }

        var groups = new List<(string Section, long Offset, List<AltEntry> Entries)>();
        var index = new Dictionary<(string, long), int>();
        foreach (var decoded in result.Records)
        {
            var alt = (AltRecord)decoded.Record;
            var (bytes, calls) = Replacements(alt.Replacement.Section);
            long start = alt.Replacement.Offset;
            if (alt.ReplacementLength > 0 && (start < 0 || start + alt.ReplacementLength > bytes.Length))
            {
                return new AltInstructionsResult(result.Format, EquatableArray<AltGroup>.Empty,
                    $"{Alternatives.Section}: entry at 0x{decoded.RecordOffset:x} has its {alt.ReplacementLength}-byte replacement at {alt.Replacement}, beyond {alt.Replacement.Section} ({bytes.Length} bytes)", true);
            }

            var key = (alt.Site.Section, alt.Site.Offset);
            if (!index.TryGetValue(key, out int g))
            {
                g = groups.Count;
                index[key] = g;
                groups.Add((alt.Site.Section, alt.Site.Offset, []));
            }

            var replacement = alt.ReplacementLength > 0 ? bytes.AsSpan((int)start, alt.ReplacementLength).ToArray() : [];
            string? call = replacement.Length >= SiteEncodings.DirectCall.Length && replacement[0] == SiteEncodings.DirectCall.Opcode[0]
                ? calls.GetValueOrDefault(start + SiteEncodings.DirectCall.FieldOffset)
                : null;
            groups[g].Entries.Add(new AltEntry(decoded.RecordOffset, alt.Feature, alt.Flags, alt.InstrLength, alt.ReplacementLength,
                replacement.ToEquatableArray(), call, groups[g].Entries.Count));
        }

        return new AltInstructionsResult(result.Format, groups.Select(g => new AltGroup(g.Section, g.Offset, g.Entries.ToEquatableArray())).ToEquatableArray(), null, true);
    }

    /// <summary>Symbol names by the offset of the field they relocate, for the replacement section's relocations.</summary>
    private static Dictionary<long, string> CallTargets(ElfFile elf, ElfSection section)
    {
        var calls = new Dictionary<long, string>();
        var table = ElfSections.RelocationTables(elf).FirstOrDefault(t => ReferenceEquals(t.Target, section)).Table;
        if (table?.Link.Section is not ElfSymbolTable symbols)
        {
            return calls;
        }

        long sectionBase = ElfSections.Base(elf, section);
        foreach (var relocation in table.Entries)
        {
            if (relocation.SymbolIndex < symbols.Entries.Count)
            {
                calls.TryAdd((long)relocation.Offset - sectionBase, symbols.Entries[(int)relocation.SymbolIndex].Name.Value);
            }
        }

        return calls;
    }
}
