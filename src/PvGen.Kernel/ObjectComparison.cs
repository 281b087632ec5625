using LibObjectFile.Elf;
using PvGen.Comparison;

namespace PvGen.Kernel;

/// <summary>Two builds of one kernel object, section by section (LibObjectFile).</summary>
public static class ObjectComparison
{
    /// <summary>The sections that hold one entry per site of some kind: pv records, alternatives, objtool's site tables.</summary>
    public static readonly string[] RecordSections =
        [".parainstructions", ".altinstructions", ".altinstr_replacement", ".retpoline_sites", ".return_sites", ".call_sites", ".static_call_sites", "__jump_table", "__ex_table"];

    /// <summary>
    /// Whether every allocated section (code, data, records) and every relocation against one are the same in both
    /// objects (debug sections differ between trees by path and are not compared); the relocations of each record
    /// section, counted in both; and the first differences.
    /// </summary>
    public static (bool Identical, IReadOnlyList<RecordSectionCount> Sections, IReadOnlyList<string> Differences) Compare(string kernelObject, string macroObject)
    {
        var a = Read(kernelObject);
        var b = Read(macroObject);
        var differences = new List<string>();
        foreach (string name in a.Keys.Concat(b.Keys).Distinct().Order(StringComparer.Ordinal))
        {
            if (!a.TryGetValue(name, out var left) || !b.TryGetValue(name, out var right))
            {
                differences.Add($"section {name} only in the {(a.ContainsKey(name) ? "kernel's" : "macro drop-in's")} build");
                continue;
            }

            if (!left.Bytes.AsSpan().SequenceEqual(right.Bytes))
            {
                int at = left.Bytes.AsSpan().CommonPrefixLength(right.Bytes);
                differences.Add($"section {name}: {left.Bytes.Length} bytes against {right.Bytes.Length}, first difference at 0x{at:x}");
            }

            if (!left.Relocations.SequenceEqual(right.Relocations))
            {
                int at = left.Relocations.Zip(right.Relocations).TakeWhile(p => p.First == p.Second).Count();
                string first = at < left.Relocations.Count ? left.Relocations[at].ToString() : "(none)";
                string second = at < right.Relocations.Count ? right.Relocations[at].ToString() : "(none)";
                differences.Add($"relocations of {name}: {left.Relocations.Count} against {right.Relocations.Count}, first difference {first} / {second}");
            }
        }

        var sections = RecordSections.Where(n => a.ContainsKey(n) || b.ContainsKey(n))
            .Select(n => new RecordSectionCount(n, a.TryGetValue(n, out var x) ? x.Relocations.Count : 0, b.TryGetValue(n, out var y) ? y.Relocations.Count : 0))
            .ToList();
        return (differences.Count == 0, sections, differences.Take(8).ToList());
    }

    private readonly record struct Relocation(ulong Offset, uint Type, string Symbol, long Addend)
    {
        public override string ToString() => $"0x{Offset:x} type {Type} {Symbol}{(Addend < 0 ? "-" : "+")}0x{Math.Abs(Addend):x}";
    }

    private sealed record Contents(byte[] Bytes, List<Relocation> Relocations);

    private static Dictionary<string, Contents> Read(string path)
    {
        using var stream = File.OpenRead(path);
        var elf = ElfFile.Read(stream);
        var sections = new Dictionary<string, Contents>(StringComparer.Ordinal);
        foreach (var section in elf.Sections)
        {
            if ((section.Flags & ElfSectionFlags.Alloc) == 0 || section.Name.Value is not { Length: > 0 } name)
            {
                continue;
            }

            byte[] bytes = [];
            if (section is ElfStreamSection data)
            {
                bytes = new byte[data.Stream.Length];
                data.Stream.Position = 0;
                data.Stream.ReadExactly(bytes);
            }
            else if (section.Type == ElfSectionType.NoBits)
            {
                bytes = BitConverter.GetBytes(section.Size);
            }

            sections.TryAdd(name, new Contents(bytes, []));
        }

        foreach (var table in elf.Sections.OfType<ElfRelocationTable>())
        {
            if (table.Info.Section is not { } target || target.Name.Value is not { } name || !sections.TryGetValue(name, out var contents)
                || table.Link.Section is not ElfSymbolTable symbols)
            {
                continue;
            }

            foreach (var entry in table.Entries)
            {
                string symbol = entry.SymbolIndex < symbols.Entries.Count ? SymbolName(symbols.Entries[(int)entry.SymbolIndex]) : $"#{entry.SymbolIndex}";
                contents.Relocations.Add(new Relocation(entry.Offset, entry.Type.Value, symbol, entry.Addend));
            }
        }

        return sections;
    }

    private static string SymbolName(ElfSymbol symbol) =>
        symbol.Type == ElfSymbolType.Section ? symbol.SectionLink.Section?.Name.Value ?? "(section)" : symbol.Name.Value ?? string.Empty;
}
