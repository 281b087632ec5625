using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace PvGen.Binary.Input;

/// <summary>
/// A read-only stream over an open file: positioned reads (pread) through <see cref="RandomAccess"/>, the length taken
/// once from the open (fstat), and a few cached blocks for small reads. FileStream cost a scan of a module tree two
/// flock(2) and three more fstat(2) calls per file, for locking and lengths a reader of an unchanging input does not
/// need. The blocks are several because LibObjectFile's small reads alternate between places (a section header, then
/// its name in the section-name table): with one buffer, kvm.ko took 842 reads of 4 KB, 4.5 MB for a 2.4 MB file. Ranges
/// read at random (LibObjectFile looks each symbol's name up in the string table through the stream) are held whole,
/// <see cref="Hold"/>: kvm.ko's 145 KB .strtab was read 22 times over through the blocks. The name search holds them
/// first, so a module's string tables are read once.
/// </summary>
internal sealed class PlainFileStream : ReadOnlyFileView
{
    /// <summary>Reads shorter than a block are served from cached blocks; longer ones go to the file directly.</summary>
    private const int BlockSize = 4096, Blocks = 8;

    private readonly SafeFileHandle handle;
    private readonly long[] blockStart = new long[Blocks];
    private readonly int[] blockLength = new int[Blocks];
    private readonly long[] blockUse = new long[Blocks];
    private byte[]? cache = ArrayPool<byte>.Shared.Rent(BlockSize * Blocks); // pooled: per-file buffers showed in a tree scan's allocation profile
    private readonly List<(long Start, int Length, byte[] Bytes)> held = [];
    private long uses;

    public PlainFileStream(SafeFileHandle handle, long length)
    {
        this.handle = handle;
        Length = length;
        Array.Fill(blockStart, -1);
    }

    public override long Length { get; }

    /// <summary>
    /// Bytes [<paramref name="start"/>, + <paramref name="length"/>), read once (into a pooled buffer, returned when the
    /// stream is disposed) and from then on served from memory; empty when the file does not hold them all.
    /// </summary>
    public ReadOnlySpan<byte> Hold(long start, int length)
    {
        ObjectDisposedException.ThrowIf(cache is null, this);
        if (HeldRange(start, length) is { } range)
        {
            return range.Bytes.AsSpan((int)(start - range.Start), length);
        }

        if (length <= 0 || start < 0 || start > Length - length)
        {
            return [];
        }

        var bytes = ArrayPool<byte>.Shared.Rent(length);
        int done = 0, read;
        while (done < length && (read = RandomAccess.Read(handle, bytes.AsSpan(done, length - done), start + done)) > 0)
        {
            done += read;
        }

        if (done < length)
        {
            ArrayPool<byte>.Shared.Return(bytes);
            return [];
        }

        held.Add((start, length, bytes));
        return bytes.AsSpan(0, length);
    }

    /// <summary>Fills <paramref name="destination"/> unless the file ends first (LibObjectFile reads a string table with one Read call).</summary>
    public override int Read(Span<byte> destination)
    {
        byte[] blocks = cache ?? throw new ObjectDisposedException(nameof(PlainFileStream));
        long position = Position;
        int done = 0;
        if (HeldRange(position, destination.Length) is { } range)
        {
            range.Bytes.AsSpan((int)(position - range.Start), destination.Length).CopyTo(destination);
            done = destination.Length;
        }
        else if (destination.Length >= BlockSize)
        {
            int read;
            while (done < destination.Length && (read = RandomAccess.Read(handle, destination[done..], position + done)) > 0)
            {
                done += read;
            }
        }
        else
        {
            while (done < destination.Length && position + done < Length)
            {
                long at = position + done;
                int block = Block(blocks, at & ~(long)(BlockSize - 1));
                int within = (int)(at - blockStart[block]);
                int take = Math.Min(destination.Length - done, blockLength[block] - within);
                if (take <= 0)
                {
                    break; // the file is shorter than its length said (changed under us)
                }

                blocks.AsSpan(block * BlockSize + within, take).CopyTo(destination[done..]);
                done += take;
            }
        }

        Position = position + done;
        return done;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && cache is not null)
        {
            handle.Dispose();
            ArrayPool<byte>.Shared.Return(cache);
            cache = null;
            held.ForEach(range => ArrayPool<byte>.Shared.Return(range.Bytes));
            held.Clear();
        }

        base.Dispose(disposing);
    }

    private (long Start, int Length, byte[] Bytes)? HeldRange(long start, int length)
    {
        foreach (var range in held)
        {
            if (start >= range.Start && start + length <= range.Start + range.Length)
            {
                return range;
            }
        }

        return null;
    }

    /// <summary>The cached block that starts at <paramref name="start"/>, read into the least recently used one if none does.</summary>
    private int Block(byte[] blocks, long start)
    {
        int victim = 0;
        for (int i = 0; i < Blocks; i++)
        {
            if (blockStart[i] == start)
            {
                blockUse[i] = ++uses;
                return i;
            }

            victim = blockUse[i] < blockUse[victim] ? i : victim;
        }

        blockStart[victim] = start;
        blockLength[victim] = RandomAccess.Read(handle, blocks.AsSpan(victim * BlockSize, BlockSize), start);
        blockUse[victim] = ++uses;
        return victim;
    }
}
