using LibObjectFile.Diagnostics;
using LibObjectFile.Elf;

namespace PvGen.Binary.Input;

/// <summary>
/// Parses a guarded ELF object with LibObjectFile, sections as sub-streams of the input (nothing copied), and the
/// relocation tables of sections that are never loaded (debug info) kept as raw bytes instead of parsed: a 6.1 vmlinux
/// carries 10.6 million relocations against .debug_info alone, and no stage reads them. For a scan alone, so are the
/// tables of loaded data the scan does not read (objtool's site tables, the ORC unwind table, exception tables: more than
/// half of a module's relocations). A relocatable object is read through <see cref="PackedSectionView"/>.
/// </summary>
internal static class ElfLoader
{
    private const long HeldStringTableLimit = 1 << 20;

    /// <param name="scanned">
    /// Null: every relocation table of a loaded section is parsed (a caller may read any). Otherwise only those of
    /// executable sections and of the sections named here; the others stay raw bytes (<see cref="ElfStreamSection"/>).
    /// </param>
    public static ElfFile? Read(Stream stream, ElfLayout layout, out string? error, IReadOnlyCollection<string>? scanned = null)
    {
        if (stream is PlainFileStream file)
        {
            // LibObjectFile reads each name from the stream, at random: a module's string tables are read once, whole. A
            // vmlinux's (4.5 MB) go through the stream's blocks: holding them would add their size to the peak.
            foreach (var table in layout.Sections.Where(s => s.Type == RawSection.StringTable && s.Size <= HeldStringTableLimit))
            {
                _ = file.Hold(table.Offset, (int)table.Size);
            }
        }

        var unloaded = UnloadedRelocationTables(layout);
        if (scanned is not null)
        {
            unloaded.UnionWith(UnscannedRelocationTables(stream, layout, scanned));
        }

        // Without gaps between sections LibObjectFile reads in time linear in the section count (see PackedSectionView).
        stream = PackedSectionView.TryCreate(stream, layout) ?? stream;
        var made = new Dictionary<int, ElfSection>();
        var options = new ElfReaderOptions { UseSubStream = true };
        if (unloaded.Count > 0)
        {
            // LibObjectFile asks for each section in index order; the check after the read proves it did.
            int next = 0;
            options.TryCreateSection = (type, _) =>
            {
                int index = next++;
                if (!unloaded.Contains(index) || (uint)type != layout.Sections[index].Type)
                {
                    return null!;
                }

                var raw = new ElfStreamSection(type);
                made[index] = raw;
                return raw;
            };
        }

        var elf = TryRead(stream, options, out error);
        if (elf is not null && made.Count > 0
            && (made.Count != unloaded.Count || made.Any(m => m.Key >= elf.Sections.Count || !ReferenceEquals(elf.Sections[m.Key], m.Value))))
        {
            // Sections were created in another order than their indices: parse everything rather than guess.
            elf = TryRead(stream, new ElfReaderOptions { UseSubStream = true }, out error);
        }

        return elf;
    }

    private static ElfFile? TryRead(Stream stream, ElfReaderOptions options, out string? error)
    {
        stream.Position = 0;
        if (!ElfFile.TryRead(stream, out var elf, out var diagnostics, options))
        {
            error = "bad ELF: " + FirstError(diagnostics);
            return null;
        }

        error = null;
        return elf;
    }

    /// <summary>Indices of REL/RELA tables whose target section is not SHF_ALLOC.</summary>
    private static HashSet<int> UnloadedRelocationTables(ElfLayout layout)
    {
        var found = new HashSet<int>();
        var sections = layout.Sections;
        for (int i = 1; i < sections.Count; i++)
        {
            if (sections[i].IsRelocationTable && sections[i].Info is > 0 and var target && target < sections.Count
                && (sections[(int)target].Flags & RawSection.Alloc) == 0)
            {
                found.Add(i);
            }
        }

        return found;
    }

    /// <summary>
    /// Indices of REL/RELA tables of loaded, non-executable sections whose names are not in <paramref name="scanned"/>.
    /// None when the section names cannot be read: then everything is parsed, as without the filter.
    /// </summary>
    private static List<int> UnscannedRelocationTables(Stream stream, ElfLayout layout, IReadOnlyCollection<string> scanned)
    {
        var sections = layout.Sections;
        if (layout.NameTableIndex <= 0 || layout.NameTableIndex >= sections.Count || sections[layout.NameTableIndex] is not { HasContents: true } nameTable
            || nameTable.Size > int.MaxValue)
        {
            return [];
        }

        // The name search has held the section-name table of a plain file already; other streams are memory.
        ReadOnlySpan<byte> names = stream is PlainFileStream file ? file.Hold(nameTable.Offset, (int)nameTable.Size) : ReadAll(stream, nameTable);
        var found = new List<int>();
        for (int i = 1; i < sections.Count && !names.IsEmpty; i++)
        {
            if (sections[i].IsRelocationTable && sections[i].Info is > 0 and var target && target < sections.Count
                && (sections[(int)target].Flags & (RawSection.Alloc | RawSection.Executable)) == RawSection.Alloc
                && !IsOneOf(names, sections[(int)target].NameOffset, scanned))
            {
                found.Add(i);
            }
        }

        return found;
    }

    private static byte[] ReadAll(Stream stream, RawSection section)
    {
        var bytes = new byte[section.Size];
        stream.Position = section.Offset;
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Whether the NUL-terminated name at <paramref name="offset"/> of a string table is one of <paramref name="names"/>.</summary>
    private static bool IsOneOf(ReadOnlySpan<byte> table, uint offset, IReadOnlyCollection<string> names)
    {
        if (offset >= table.Length)
        {
            return false;
        }

        var rest = table[(int)offset..];
        int end = rest.IndexOf((byte)0);
        var name = end < 0 ? rest : rest[..end];
        foreach (string candidate in names)
        {
            if (System.Text.Encoding.UTF8.GetByteCount(candidate) == name.Length && System.Text.Encoding.UTF8.GetString(name) == candidate)
            {
                return true;
            }
        }

        return false;
    }

    public static string FirstError(DiagnosticBag diagnostics) =>
        diagnostics.Messages.FirstOrDefault(m => m.Kind == DiagnosticKind.Error).Message
        ?? (diagnostics.Messages.Count > 0 ? diagnostics.Messages[0].Message : null)
        ?? "unreadable";
}
