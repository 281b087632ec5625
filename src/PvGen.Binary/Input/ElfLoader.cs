using LibObjectFile.Diagnostics;
using LibObjectFile.Elf;

namespace PvGen.Binary.Input;

/// <summary>
/// Parses a guarded ELF object with LibObjectFile, sections as sub-streams of the input (nothing copied), and the
/// relocation tables of sections that are never loaded (debug info) kept as raw bytes instead of parsed: a 6.1 vmlinux
/// carries 10.6 million relocations against .debug_info alone, and no stage reads them. A relocatable object is read
/// through <see cref="PackedSectionView"/>.
/// </summary>
internal static class ElfLoader
{
    public static ElfFile? Read(Stream stream, ElfLayout layout, out string? error)
    {
        // Without gaps between sections LibObjectFile reads in time linear in the section count (see PackedSectionView).
        stream = PackedSectionView.TryCreate(stream, layout) ?? stream;
        var unloaded = UnloadedRelocationTables(layout);
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

    public static string FirstError(DiagnosticBag diagnostics) =>
        diagnostics.Messages.FirstOrDefault(m => m.Kind == DiagnosticKind.Error).Message
        ?? (diagnostics.Messages.Count > 0 ? diagnostics.Messages[0].Message : null)
        ?? "unreadable";
}
