using LibObjectFile.Elf;
using PvGen.X86;

namespace PvGen.Binary;

/// <summary>Small helpers over LibObjectFile's model that both the scanner and the .parainstructions reader need.</summary>
internal static class ElfSections
{
    public static bool Is64(ElfFile elf) => elf.FileClass == ElfFileClass.Is64;

    /// <summary>Machine names as the model's targets spell them; others as LibObjectFile prints them.</summary>
    public static string MachineName(ElfFile elf) => MachineName((ushort)elf.Arch.Value);

    /// <summary>
    /// x86 by the model's names, anything else as "EM_n" (LibObjectFile 2.3.1's ElfArchEx.ToString throws
    /// FormatException for machine numbers it has no name for; the fuzz test found it).
    /// </summary>
    public static string MachineName(ushort machine) => machine switch
    {
        62 => "x86_64",
        3 => "i386",
        _ => $"EM_{machine}",
    };

    public static bool IsX86(ElfFile elf) =>
        (elf.Arch == ElfArchEx.X86_64 && elf.FileClass == ElfFileClass.Is64) || (elf.Arch == ElfArchEx.I386 && elf.FileClass == ElfFileClass.Is32);

    /// <summary>
    /// What the linker already wrote into a REL field of a file linked with --emit-relocs, besides the addend: S + A for
    /// absolute types (bias S), S + A - P for PC-relative ones (bias S - P). The field less this is the addend.
    /// </summary>
    public static long LinkedBias(RelocationInfo info, long symbolValue, long place) =>
        info.Mode == RelocationMode.PcRelative ? symbolValue - place : info.Mode == RelocationMode.Absolute ? symbolValue : 0;

    /// <summary>A REL field's addend: its value less what the linker added (<see cref="LinkedBias"/>), wrapped at the field's width.</summary>
    public static long ImplicitAddend(RelocationInfo info, ReadOnlySpan<byte> field, long bias)
    {
        long addend = info.ImplicitAddend(field) - bias;
        return bias == 0 ? addend : info.FieldSize switch { 1 => (sbyte)addend, 2 => (short)addend, 4 => (int)addend, _ => addend };
    }

    /// <summary>Relocation offsets and symbol values are section-relative in .o files and virtual addresses once linked.</summary>
    public static long Base(ElfFile elf, ElfSection section) => elf.FileType == ElfFileType.Relocatable ? 0 : (long)section.VirtualAddress;

    /// <summary>The section's bytes (read through LibObjectFile's sub-stream; nothing is copied until here).</summary>
    public static byte[] ReadBytes(ElfSection section, out string? error)
    {
        error = null;
        if (section is not ElfStreamSection { Stream: { } stream })
        {
            return [];
        }

        if (stream.Length > int.MaxValue)
        {
            error = $"section {section.Name.Value} is too large ({stream.Length} bytes)";
            return [];
        }

        var bytes = new byte[stream.Length];
        stream.Position = 0;
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>The relocation tables and the section each one patches.</summary>
    public static IEnumerable<(ElfRelocationTable Table, ElfSection Target)> RelocationTables(ElfFile elf)
    {
        foreach (var section in elf.Sections)
        {
            if (section is ElfRelocationTable table && table.Info.Section is { } target)
            {
                yield return (table, target);
            }
        }
    }
}
