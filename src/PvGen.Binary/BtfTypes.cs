using System.Buffers.Binary;
using System.Text;
using LibObjectFile.Elf;

namespace PvGen.Binary;

/// <summary>
/// The size of a named struct from a linked kernel's <c>.BTF</c> section (the BPF Type Format of the kernel's
/// Documentation/bpf/btf.rst): how the record stride of a linked image without relocations is told, never from the
/// version string. No maintained .NET library reads BTF, and this needs only one walk over the type records: each is
/// 12 bytes plus a kind-dependent tail, which is all that is decoded here. Every read is bounds-checked (fuzzed with the
/// scanner); anything unexpected is an error, never a guess.
/// </summary>
internal static class BtfTypes
{
    public const string SectionName = ".BTF";

    private const ushort Magic = 0xEB9F;
    private const int Struct = 4;

    /// <summary>The byte size of <c>struct NAME</c>, or null with the reason.</summary>
    public static int? StructSize(ElfFile elf, string name, out string? error)
    {
        error = null;
        var section = elf.Sections.FirstOrDefault(s => s.Name.Value == SectionName);
        if (section is null)
        {
            error = $"no {SectionName} section to take sizeof(struct {name}) from";
            return null;
        }

        var bytes = ElfSections.ReadBytes(section, out error);
        if (error is not null)
        {
            return null;
        }

        try
        {
            return Find(bytes, name, out error);
        }
        catch (ArgumentOutOfRangeException)
        {
            error = $"{SectionName}: truncated or corrupt type data";
            return null;
        }
    }

    private static int? Find(ReadOnlySpan<byte> btf, string name, out string? error)
    {
        error = null;
        if (btf.Length < 24 || BinaryPrimitives.ReadUInt16LittleEndian(btf) != Magic)
        {
            error = $"{SectionName}: not little-endian BTF (magic 0x{Magic:x})";
            return null;
        }

        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(btf[4..]);
        uint typeOffset = BinaryPrimitives.ReadUInt32LittleEndian(btf[8..]);
        uint typeLength = BinaryPrimitives.ReadUInt32LittleEndian(btf[12..]);
        uint stringOffset = BinaryPrimitives.ReadUInt32LittleEndian(btf[16..]);
        uint stringLength = BinaryPrimitives.ReadUInt32LittleEndian(btf[20..]);
        var types = Slice(btf, headerLength, typeOffset, typeLength);
        var strings = Slice(btf, headerLength, stringOffset, stringLength);
        byte[] wanted = Encoding.ASCII.GetBytes(name + "\0");
        int at = 0;
        while (at + 12 <= types.Length)
        {
            uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(types[at..]);
            uint info = BinaryPrimitives.ReadUInt32LittleEndian(types[(at + 4)..]);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(types[(at + 8)..]);
            int kind = (int)((info >> 24) & 0x1f);
            int vlen = (int)(info & 0xffff);
            if (kind == Struct && nameOffset < strings.Length && strings[(int)nameOffset..].StartsWith(wanted))
            {
                return (int)size;
            }

            int tail = kind switch
            {
                1 or 14 or 17 => 4,                    // INT, VAR, DECL_TAG: one u32
                3 => 12,                               // ARRAY
                4 or 5 or 15 or 19 => 12 * vlen,       // STRUCT, UNION members; DATASEC vars; ENUM64 values
                6 or 13 => 8 * vlen,                   // ENUM values, FUNC_PROTO params
                2 or 7 or 8 or 9 or 10 or 11 or 12 or 16 or 18 => 0,
                _ => -1,
            };
            if (tail < 0)
            {
                error = $"{SectionName}: unknown type kind {kind} at type offset 0x{at:x}";
                return null;
            }

            at += 12 + tail;
        }

        error = $"{SectionName} has no struct {name}";
        return null;
    }

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> btf, uint headerLength, uint offset, uint length)
    {
        ulong start = (ulong)headerLength + offset;
        if (start > (ulong)btf.Length || length > (ulong)btf.Length - start)
        {
            throw new ArgumentOutOfRangeException(nameof(offset));
        }

        return btf.Slice((int)start, (int)length);
    }
}
