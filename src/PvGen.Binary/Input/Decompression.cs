using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using PvGen.Model;
using SharpCompress.Compressors.Xz;

namespace PvGen.Binary.Input;

/// <summary>How an input file is compressed, as its first bytes say (never only its name).</summary>
public enum ObjectCompression
{
    None,

    /// <summary>xz (Debian, Fedora, RHEL, openSUSE modules: <c>xz --check=crc32 --lzma2=dict=1MiB</c>).</summary>
    Xz,

    /// <summary>Zstandard (Arch, Ubuntu 23.10+, NixOS modules).</summary>
    Zstd,

    /// <summary>gzip.</summary>
    Gzip,
}

/// <summary>Which xz decoder: both are maintained libraries; they are measured against each other in the README.</summary>
public enum XzDecoder
{
    /// <summary>The system's liblzma (<see cref="LibLzma"/>).</summary>
    LibLzma,

    /// <summary>SharpCompress's XZStream (managed; about half liblzma's speed).</summary>
    Managed,
}

/// <summary>
/// Bounded decompression of one ELF object through maintained decoders: liblzma (or SharpCompress's XZStream where the
/// system lacks it), ZstdSharp's DecompressionStream, the in-box GZipStream (picked by measurement: see the README). Output is capped by the
/// size the object's own ELF headers claim, so a corrupt or hostile stream cannot make pvgen allocate gigabytes.
/// </summary>
public static class Decompression
{
    /// <summary>No object is decompressed beyond this (the largest module of a distribution kernel is tens of MB).</summary>
    public const long Limit = 1L << 30;

    /// <summary>Bytes a compressed object may carry after the ELF (a module signature is under 4 KiB).</summary>
    public const int TrailingLimit = 1 << 20;

    private static readonly string[] UnsupportedSuffixes = [".bz2", ".lz4", ".lzma", ".lzo", ".Z"];

    public static ObjectCompression Detect(ReadOnlySpan<byte> head) => head switch
    {
        [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, ..] => ObjectCompression.Xz,
        [0x28, 0xB5, 0x2F, 0xFD, ..] => ObjectCompression.Zstd,
        [0x1F, 0x8B, ..] => ObjectCompression.Gzip,
        _ => ObjectCompression.None,
    };

    /// <summary>The compression a file name promises (.xz, .zst, .gz), or None.</summary>
    public static ObjectCompression FromName(string path) =>
        path.EndsWith(".xz", StringComparison.Ordinal) ? ObjectCompression.Xz
        : path.EndsWith(".zst", StringComparison.Ordinal) ? ObjectCompression.Zstd
        : path.EndsWith(".gz", StringComparison.Ordinal) ? ObjectCompression.Gzip
        : ObjectCompression.None;

    /// <summary>A name ending that says compressed in a format pvgen does not read (.ko.bz2, .ko.lz4, ...), or null.</summary>
    public static string? UnsupportedSuffix(string path) => UnsupportedSuffixes.FirstOrDefault(s => path.EndsWith(s, StringComparison.Ordinal));

    /// <summary>The name ending of each compression pvgen reads, for directory expansion.</summary>
    public static IReadOnlyList<string> Suffixes { get; } = [".xz", ".zst", ".gz"];

    public static string Name(ObjectCompression compression) => compression switch
    {
        ObjectCompression.Xz => "xz",
        ObjectCompression.Zstd => "zstd",
        ObjectCompression.Gzip => "gzip",
        _ => "uncompressed",
    };

    /// <summary>
    /// Decompresses one ELF object into <paramref name="buffer"/> (grown as the data arrives, never ahead of it): the
    /// bytes up to the end of its section header table and of every section's contents, as the ELF headers claim;
    /// the rest of the stream (a module signature) is decoded to its end, so its integrity check runs, and dropped.
    /// </summary>
    /// <returns>The ELF object's length in <paramref name="buffer"/>.</returns>
    /// <exception cref="InvalidDataException">A corrupt, truncated or oversized stream, or one that holds no ELF object.</exception>
    public static int DecompressElf(Stream compressed, ObjectCompression compression, ref byte[] buffer) =>
        DecompressElf(compressed, compression, ref buffer, DefaultXzDecoder);

    /// <summary>liblzma when the system has it (the speed of <c>xz -dc</c>), else SharpCompress's managed XZStream.</summary>
    public static XzDecoder DefaultXzDecoder => LibLzma.Available ? XzDecoder.LibLzma : XzDecoder.Managed;

    /// <inheritdoc cref="DecompressElf(Stream, ObjectCompression, ref byte[])"/>
    public static int DecompressElf(Stream compressed, ObjectCompression compression, ref byte[] buffer, XzDecoder xz)
    {
        string name = Name(compression);
        try
        {
            using var decoder = Open(compression, compressed, xz);
            int have = Fill(decoder, ref buffer, 0, 64);
            if (have < 4 || !buffer.AsSpan(0, 4).SequenceEqual("\u007fELF"u8))
            {
                throw Error(have == 0 ? $"the {name} stream is empty" : $"the {name} stream holds no ELF object");
            }

            bool is64 = buffer[4] == 2;
            int headerSize = is64 ? 64 : 52;
            if (have < headerSize)
            {
                throw Error($"truncated: the {name} stream ends after {have} bytes, inside the ELF header");
            }

            var layout = HeaderLayout.Read(buffer.AsSpan(0, headerSize), is64);
            long end = Checked(Math.Max(headerSize, layout.TablesEnd), name, "its ELF header places its tables");
            have = FillTo(decoder, ref buffer, have, end, name, "the section header table");

            if (layout.SectionCount == 0 && layout.SectionHeaderOffset != 0 && layout.SectionEntrySize >= (is64 ? 64 : 40))
            {
                // Extended numbering: section 0's size holds the count.
                long count = (long)(is64 ? BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan((int)layout.SectionHeaderOffset + 0x20))
                    : BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan((int)layout.SectionHeaderOffset + 0x14)));
                layout = layout with { SectionCount = count };
                end = Checked(Math.Max(end, layout.TablesEnd), name, "its section header table");
                have = FillTo(decoder, ref buffer, have, end, name, "the section header table");
            }

            long contentsEnd = Checked(SectionsEnd(buffer, layout, is64), name, "its section headers place section contents");
            if (contentsEnd > end)
            {
                end = contentsEnd;
                have = FillTo(decoder, ref buffer, have, end, name, "the last section");
            }

            // Whatever was read past the object already, plus the rest of the stream, is trailing data.
            long trailing = have - end;
            byte[] scratch = ArrayPool<byte>.Shared.Rent(1 << 16);
            try
            {
                int read;
                while ((read = decoder.Read(scratch, 0, scratch.Length)) > 0)
                {
                    trailing += read;
                    if (trailing > TrailingLimit)
                    {
                        throw Error($"more than {TrailingLimit >> 20} MiB of data after the ELF object's {end} bytes (a module signature is a few hundred)");
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }

            if (compression == ObjectCompression.Gzip)
            {
                CheckGzipSize(compressed, end + trailing);
            }

            return (int)end;
        }
        catch (InvalidDataException e) when (e.Data.Contains(Ours))
        {
            throw;
        }
        catch (Exception e) when (e is not (OutOfMemoryException or StackOverflowException or OperationCanceledException))
        {
            throw Error($"corrupt {name} stream: {RuntimeMessages.Describe(e)}");
        }
    }

    /// <summary>
    /// GZipStream accepts a stream cut inside its 8-byte trailer (CRC32, ISIZE) as complete; the trailer's ISIZE (the
    /// decompressed size mod 2^32 of a one-member file, which is what the kernel writes) tells such a cut from a whole file.
    /// </summary>
    private static void CheckGzipSize(Stream compressed, long decompressed)
    {
        if (!compressed.CanSeek || compressed.Length < 18)
        {
            return;
        }

        Span<byte> size = stackalloc byte[4];
        compressed.Position = compressed.Length - 4;
        compressed.ReadExactly(size);
        uint stated = BinaryPrimitives.ReadUInt32LittleEndian(size);
        if (stated != (uint)decompressed)
        {
            throw Error($"truncated or corrupt gzip stream: its trailer states {stated} bytes but it decompresses to {decompressed}");
        }
    }

    private const string Ours = "pvgen";

    private static InvalidDataException Error(string message)
    {
        var error = new InvalidDataException(message);
        error.Data[Ours] = true;
        return error;
    }

    private static Stream Open(ObjectCompression compression, Stream input, XzDecoder xz) => compression switch
    {
        ObjectCompression.Xz when xz == XzDecoder.LibLzma => new LzmaDecoderStream(input),
        ObjectCompression.Xz => new XZStream(input),
        ObjectCompression.Zstd => new ZstdSharp.DecompressionStream(input, leaveOpen: true),
        ObjectCompression.Gzip => new GZipStream(input, CompressionMode.Decompress, leaveOpen: true),
        _ => throw new ArgumentOutOfRangeException(nameof(compression)),
    };

    private static long Checked(long claimed, string name, string what) =>
        claimed <= Limit ? claimed : throw Error($"{what} up to byte {claimed}, beyond the {Limit >> 20} MiB pvgen decompresses: a corrupt {name} stream or ELF header");

    private static int FillTo(Stream decoder, ref byte[] buffer, int have, long end, string name, string what)
    {
        have = Fill(decoder, ref buffer, have, (int)end);
        return have >= end ? have
            : throw Error($"truncated: the {name} stream ends after {have} bytes, but the ELF object claims {end} (up to {what})");
    }

    /// <summary>Reads until <paramref name="want"/> bytes are there or the stream ends; grows the buffer only as data arrives.</summary>
    private static int Fill(Stream decoder, ref byte[] buffer, int have, int want)
    {
        while (have < want)
        {
            if (have == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(want, Math.Max((long)buffer.Length * 2, 1 << 20)));
            }

            int read = decoder.Read(buffer, have, Math.Min(want, buffer.Length) - have);
            if (read == 0)
            {
                break;
            }

            have += read;
        }

        return have;
    }

    /// <summary>The end of the furthest section contents (NOBITS and NULL sections occupy no file bytes).</summary>
    private static long SectionsEnd(byte[] buffer, HeaderLayout layout, bool is64)
    {
        long end = 0;
        int minimum = is64 ? 64 : 40;
        if (layout.SectionEntrySize < minimum)
        {
            return 0;
        }

        for (long i = 0; i < layout.SectionCount; i++)
        {
            var header = buffer.AsSpan((int)(layout.SectionHeaderOffset + (i * layout.SectionEntrySize)), minimum);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            ulong offset = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x10..]);
            ulong size = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x14..]);
            if (type is 0 or 8)
            {
                continue;
            }

            end = offset > (ulong)Limit || size > (ulong)Limit ? long.MaxValue : Math.Max(end, (long)(offset + size));
        }

        return end;
    }

    /// <summary>Where the ELF header places the program and section header tables.</summary>
    private readonly record struct HeaderLayout(long ProgramHeaderOffset, long ProgramTableSize, long SectionHeaderOffset, int SectionEntrySize, long SectionCount)
    {
        public long TablesEnd => Math.Max(
            Saturate(ProgramHeaderOffset, ProgramTableSize),
            Saturate(SectionHeaderOffset, SectionCount > Limit ? long.MaxValue / 2 : SectionEntrySize * Math.Max(SectionCount, SectionHeaderOffset == 0 ? 0 : 1)));

        public static HeaderLayout Read(ReadOnlySpan<byte> header, bool is64)
        {
            ulong phoff = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x1C..]);
            ulong shoff = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x28..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x20..]);
            int at = is64 ? 0x36 : 0x2A;
            int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(header[at..]);
            int phnum = BinaryPrimitives.ReadUInt16LittleEndian(header[(at + 2)..]);
            int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(header[(at + 4)..]);
            int shnum = BinaryPrimitives.ReadUInt16LittleEndian(header[(at + 6)..]);
            long Clamp(ulong value) => value > long.MaxValue / 2 ? long.MaxValue / 2 : (long)value;
            return new HeaderLayout(phnum == 0 ? 0 : Clamp(phoff), (long)phentsize * phnum, Clamp(shoff), shentsize, shnum);
        }

        private static long Saturate(long offset, long size) => offset > long.MaxValue - size ? long.MaxValue : offset + size;
    }
}
