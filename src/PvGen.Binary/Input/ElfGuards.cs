using System.Buffers;
using System.Buffers.Binary;

namespace PvGen.Binary.Input;

/// <summary>One raw section header, as far as the guards and the reader's section filter need it.</summary>
/// <param name="NameOffset">sh_name: where the name begins in the section-name table.</param>
/// <param name="Offset">sh_offset: where the contents lie in the file.</param>
/// <param name="Size">sh_size in bytes.</param>
internal readonly record struct RawSection(uint NameOffset, uint Type, ulong Flags, uint Info, uint Link, long Offset, long Size)
{
    public const uint Rel = 9, Rela = 4, NoBits = 8, Null = 0, StringTable = 3, SymbolTable = 2, DynamicSymbols = 11;

    public const ulong Alloc = 0x2, Executable = 0x4;

    public bool IsRelocationTable => Type is Rel or Rela;

    /// <summary>Whether the section occupies bytes of the file (LibObjectFile reads no contents for NULL and NOBITS).</summary>
    public bool HasContents => Type is not (Null or NoBits);
}

/// <summary>What the guards learnt from the fixed ELF header and the raw section headers.</summary>
/// <param name="Machine">"x86_64", "i386", or "EM_n"; with the class appended when it does not fit the machine.</param>
/// <param name="Sections">Raw section headers by index (empty when the table could not be read).</param>
/// <param name="NameTableIndex">e_shstrndx: the section holding the section names (SHN_XINDEX resolved through section 0).</param>
internal sealed record ElfLayout(string? Machine, IReadOnlyList<RawSection> Sections, int NameTableIndex = 0)
{
    public bool Is64 { get; init; }

    /// <summary>e_type: 1 is a relocatable object (.o, .ko, vmlinux.o).</summary>
    public ushort FileType { get; init; }

    /// <summary>e_ehsize, e_phnum, e_shoff, e_shentsize as the header gives them.</summary>
    public ushort HeaderSize { get; init; }

    public ushort ProgramHeaderCount { get; init; }

    public ulong SectionHeaderOffset { get; init; }

    public ushort SectionHeaderEntrySize { get; init; }

    public bool IsRelocatable => FileType == 1;
}

/// <summary>
/// Checks LibObjectFile cannot be trusted to make on corrupt input, run before it sees the object: class, byte order and
/// machine, and that the section header table and every section's contents lie inside the file. LibObjectFile sizes its
/// tables from section headers before checking them against the file, so a corrupt size would ask it for gigabytes.
/// </summary>
internal static class ElfGuards
{
    public static ElfLayout Read(Stream stream, out string? error)
    {
        error = null;
        Span<byte> header = stackalloc byte[64];
        stream.Position = 0;
        int read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        bool is64 = read > 4 && header[4] == 2;
        int needed = is64 ? 64 : 52;
        if (read < needed)
        {
            error = $"truncated ELF header ({read} bytes)";
            return new ElfLayout(null, []);
        }

        if (header[4] is not (1 or 2) || header[5] != 1)
        {
            error = header[5] == 2 ? "big-endian ELF: pvgen scans x86 objects" : $"bad ELF class {header[4]} / data encoding {header[5]}";
            return new ElfLayout(null, []);
        }

        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(header[18..]);
        string name = ElfSections.MachineName(machine);
        if ((machine == 62 && !is64) || (machine == 3 && is64))
        {
            name = $"{name} ({(is64 ? "64" : "32")}-bit class)";
        }

        ulong shoff = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x28..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x20..]);
        ushort shentsize = BinaryPrimitives.ReadUInt16LittleEndian(header[(is64 ? 0x3A : 0x2E)..]);
        ushort shnum = BinaryPrimitives.ReadUInt16LittleEndian(header[(is64 ? 0x3C : 0x30)..]);
        int shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(header[(is64 ? 0x3E : 0x32)..]);
        IReadOnlyList<RawSection> sections = [];
        // Once: a file stream's Length is an fstat each time, and a module has a hundred sections.
        long length = stream.Length;
        if (shnum != 0 && (shoff > (ulong)length || (ulong)shentsize * shnum > (ulong)length - shoff))
        {
            error = $"truncated or corrupt: the section header table (0x{shoff:x} + {shnum} x {shentsize} bytes) lies beyond the end of the file (0x{length:x} bytes)";
        }
        else if (shnum != 0)
        {
            error = CheckSections(stream, length, is64, (long)shoff, shentsize, shnum, out sections);
        }

        if (shstrndx == 0xffff && sections.Count > 0)
        {
            shstrndx = (int)sections[0].Link;
        }

        return new ElfLayout(name, sections, shstrndx)
        {
            Is64 = is64,
            FileType = BinaryPrimitives.ReadUInt16LittleEndian(header[16..]),
            HeaderSize = BinaryPrimitives.ReadUInt16LittleEndian(header[(is64 ? 0x34 : 0x28)..]),
            ProgramHeaderCount = BinaryPrimitives.ReadUInt16LittleEndian(header[(is64 ? 0x38 : 0x2C)..]),
            SectionHeaderOffset = shoff,
            SectionHeaderEntrySize = shentsize,
        };
    }

    private static string? CheckSections(Stream stream, long length, bool is64, long shoff, int entrySize, int count, out IReadOnlyList<RawSection> sections)
    {
        sections = [];
        int minimum = is64 ? 64 : 40;
        if (entrySize < minimum)
        {
            return $"corrupt: section headers of {entrySize} bytes (at least {minimum} expected)";
        }

        byte[] table = ArrayPool<byte>.Shared.Rent(entrySize * count);
        try
        {
            stream.Position = shoff;
            stream.ReadExactly(table, 0, entrySize * count);
            var raw = new RawSection[count];
            for (int i = 0; i < count; i++)
            {
                var header = table.AsSpan(i * entrySize, minimum);
                uint name = BinaryPrimitives.ReadUInt32LittleEndian(header);
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
                ulong flags = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x08..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x08..]);
                ulong offset = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x10..]);
                ulong size = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x14..]);
                uint link = BinaryPrimitives.ReadUInt32LittleEndian(header[(is64 ? 0x28 : 0x18)..]);
                uint info = BinaryPrimitives.ReadUInt32LittleEndian(header[(is64 ? 0x2C : 0x1C)..]);
                if (type is not (RawSection.Null or RawSection.NoBits) && (offset > (ulong)length || size > (ulong)length - offset))
                {
                    return $"truncated or corrupt: section {i} (0x{offset:x} + 0x{size:x} bytes) lies beyond the end of the file (0x{length:x} bytes)";
                }

                raw[i] = new RawSection(name, type, flags, info, link, (long)offset, (long)size);
            }

            sections = raw;
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(table);
        }
    }
}
