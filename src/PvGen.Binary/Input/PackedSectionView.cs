using System.Buffers.Binary;

namespace PvGen.Binary.Input;

/// <summary>
/// A read-only view of a relocatable object in which the sections' contents lie end to end: the same bytes, the same
/// section headers except for sh_offset (and e_shoff), and no padding between sections. LibObjectFile 2.3.1 fills each
/// gap between two sections with a content object inserted by <c>ObjectList.Insert</c>, which renumbers everything after
/// it, so reading an object costs sections x gaps: 42.7 s for the 32,000 aligned sections of a vmlinux.o-like object.
/// Without gaps its read is linear. Only the file layout changes, which nothing after the read looks at: in a .o, symbol
/// values and relocation offsets are section-relative. Objects whose sections overlap each other or the header tables
/// (corrupt, or a layout we do not know) are not packed: LibObjectFile sees them as they are.
/// </summary>
internal sealed class PackedSectionView : ReadOnlyFileView
{
    private readonly Stream source;
    private readonly Piece[] pieces;

    /// <param name="Start">Where the piece begins in the view.</param>
    /// <param name="SourceOffset">Where its bytes begin in the source, when <paramref name="Bytes"/> is null.</param>
    private readonly record struct Piece(long Start, long Length, long SourceOffset, byte[]? Bytes);

    private PackedSectionView(Stream source, Piece[] pieces)
    {
        this.source = source;
        this.pieces = pieces;
        Length = pieces.Length == 0 ? 0 : pieces[^1].Start + pieces[^1].Length;
    }

    /// <summary>The packed view of <paramref name="source"/>, or null when there is nothing to pack or it must be read as it is.</summary>
    public static PackedSectionView? TryCreate(Stream source, ElfLayout layout)
    {
        var sections = layout.Sections;
        int headerMinimum = layout.Is64 ? 64 : 52, entryMinimum = layout.Is64 ? 64 : 40;
        long tableSize = (long)layout.SectionHeaderEntrySize * sections.Count;
        if (!layout.IsRelocatable || layout.ProgramHeaderCount != 0 || sections.Count == 0 || layout.HeaderSize < headerMinimum
            || layout.SectionHeaderEntrySize < entryMinimum || layout.HeaderSize > layout.SectionHeaderOffset)
        {
            return null;
        }

        // The file's occupied ranges (header, header table, each section's contents) must not overlap.
        var order = Enumerable.Range(0, sections.Count).Where(i => sections[i].HasContents && sections[i].Size > 0)
            .OrderBy(i => sections[i].Offset).ThenBy(i => i).ToList();
        var occupied = order.Select(i => (Start: (ulong)sections[i].Offset, End: (ulong)(sections[i].Offset + sections[i].Size)))
            .Append((Start: layout.SectionHeaderOffset, End: layout.SectionHeaderOffset + (ulong)tableSize))
            .OrderBy(r => r.Start).ToList();
        ulong end = layout.HeaderSize;
        int gaps = 0;
        foreach (var (start, stop) in occupied)
        {
            if (start < end)
            {
                return null;
            }

            gaps += start > end ? 1 : 0;
            end = stop;
        }

        if (gaps == 0)
        {
            return null;
        }

        // Every section, in file order, gets the next free offset; empty and NOBITS ones take the place they fall at.
        var pieces = new List<Piece>(order.Count + 3);
        byte[] header = ReadSource(source, 0, layout.HeaderSize);
        pieces.Add(new Piece(0, header.Length, 0, header));
        var newOffsets = new ulong[sections.Count];
        long cursor = layout.HeaderSize;
        foreach (int i in Enumerable.Range(0, sections.Count).OrderBy(i => sections[i].Offset).ThenBy(i => i))
        {
            var section = sections[i];
            newOffsets[i] = (ulong)cursor;
            if (section.HasContents && section.Size > 0)
            {
                pieces.Add(new Piece(cursor, (long)section.Size, (long)section.Offset, null));
                cursor += (long)section.Size;
            }
        }

        // The header table, 8-aligned as tools expect it, every sh_offset rewritten; section 0 keeps its fields (extended counts).
        long tableStart = (cursor + 7) & ~7L;
        if (tableStart > cursor)
        {
            pieces.Add(new Piece(cursor, tableStart - cursor, 0, new byte[tableStart - cursor]));
        }

        byte[] table = ReadSource(source, (long)layout.SectionHeaderOffset, tableSize);
        for (int i = 1; i < sections.Count; i++)
        {
            var field = table.AsSpan(i * layout.SectionHeaderEntrySize + (layout.Is64 ? 0x18 : 0x10));
            if (layout.Is64)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(field, newOffsets[i]);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(field, checked((uint)newOffsets[i]));
            }
        }

        pieces.Add(new Piece(tableStart, table.Length, 0, table));
        if (layout.Is64)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(0x28), (ulong)tableStart);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(0x20), checked((uint)tableStart));
        }

        return new PackedSectionView(source, [.. pieces]);
    }

    public override long Length { get; }

    public override int Read(Span<byte> buffer)
    {
        long position = Position;
        int done = 0;
        while (done < buffer.Length && position < Length)
        {
            var piece = pieces[Find(position)];
            long within = position - piece.Start;
            int take = (int)Math.Min(buffer.Length - done, piece.Length - within);
            var target = buffer.Slice(done, take);
            if (piece.Bytes is { } bytes)
            {
                bytes.AsSpan((int)within, take).CopyTo(target);
            }
            else
            {
                source.Position = piece.SourceOffset + within;
                source.ReadExactly(target);
            }

            done += take;
            position += take;
        }

        Position = position;
        return done;
    }

    /// <summary>The piece holding <paramref name="at"/> (pieces are contiguous and ordered).</summary>
    private int Find(long at)
    {
        int low = 0, high = pieces.Length - 1;
        while (low < high)
        {
            int middle = (low + high + 1) / 2;
            if (pieces[middle].Start <= at)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }

    private static byte[] ReadSource(Stream source, long offset, long length)
    {
        var bytes = new byte[length];
        source.Position = offset;
        source.ReadExactly(bytes);
        return bytes;
    }
}
