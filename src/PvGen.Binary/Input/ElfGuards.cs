using System.Buffers;
using System.Buffers.Binary;

namespace PvGen.Binary.Input;

/// <summary>One raw section header, as far as the guards and the reader's section filter need it.</summary>
internal readonly record struct RawSection(uint Type, ulong Flags, uint Info)
{
    public const uint Rel = 9, Rela = 4, NoBits = 8, Null = 0;

    public const ulong Alloc = 0x2;

    public bool IsRelocationTable => Type is Rel or Rela;
}

/// <summary>What the guards learnt from the fixed ELF header and the raw section headers.</summary>
/// <param name="Machine">"x86_64", "i386", or "EM_n"; with the class appended when it does not fit the machine.</param>
/// <param name="Sections">Raw section headers by index (empty when the table could not be read).</param>
internal sealed record ElfLayout(string? Machine, IReadOnlyList<RawSection> Sections);

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
        IReadOnlyList<RawSection> sections = [];
        if (shnum != 0 && (shoff > (ulong)stream.Length || (ulong)shentsize * shnum > (ulong)stream.Length - shoff))
        {
            error = $"truncated or corrupt: the section header table (0x{shoff:x} + {shnum} x {shentsize} bytes) lies beyond the end of the file (0x{stream.Length:x} bytes)";
        }
        else if (shnum != 0)
        {
            error = CheckSections(stream, is64, (long)shoff, shentsize, shnum, out sections);
        }

        return new ElfLayout(name, sections);
    }

    private static string? CheckSections(Stream stream, bool is64, long shoff, int entrySize, int count, out IReadOnlyList<RawSection> sections)
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
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
                ulong flags = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x08..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x08..]);
                ulong offset = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x10..]);
                ulong size = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x14..]);
                uint info = BinaryPrimitives.ReadUInt32LittleEndian(header[(is64 ? 0x2C : 0x1C)..]);
                if (type is not (RawSection.Null or RawSection.NoBits) && (offset > (ulong)stream.Length || size > (ulong)stream.Length - offset))
                {
                    return $"truncated or corrupt: section {i} (0x{offset:x} + 0x{size:x} bytes) lies beyond the end of the file (0x{stream.Length:x} bytes)";
                }

                raw[i] = new RawSection(type, flags, info);
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
