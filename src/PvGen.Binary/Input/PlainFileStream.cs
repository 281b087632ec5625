using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace PvGen.Binary.Input;

/// <summary>
/// A read-only stream over an open file: positioned reads (pread) through <see cref="RandomAccess"/>, the length taken
/// once from the open (fstat), a small read buffer for the header-sized reads. FileStream costs a scan of a module tree
/// two flock(2) calls and three more fstat(2) calls per file for locking and lengths a reader of an unchanging input does
/// not need; at 4,000 modules that was a third of the scan's system time.
/// </summary>
internal sealed class PlainFileStream : Stream
{
    /// <summary>Reads shorter than this are served from one buffered read (the magic, compression and ELF header reads at 0 are one).</summary>
    private const int BufferSize = 4096;

    private readonly SafeFileHandle handle;
    private byte[]? buffer = ArrayPool<byte>.Shared.Rent(BufferSize); // pooled: a new one per file showed in a tree scan's allocation profile
    private long bufferStart;
    private int bufferCount;
    private long position;

    public PlainFileStream(SafeFileHandle handle, long length)
    {
        this.handle = handle;
        Length = length;
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length { get; }

    public override long Position
    {
        get => position;
        set => position = value >= 0 ? value : throw new IOException("a position before the start of the file");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <summary>Fills <paramref name="destination"/> unless the file ends first (LibObjectFile reads a string table with one Read call).</summary>
    public override int Read(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(buffer is null, this);
        if (destination.Length >= BufferSize)
        {
            int done = 0, read;
            while (done < destination.Length && (read = RandomAccess.Read(handle, destination[done..], position + done)) > 0)
            {
                done += read;
            }

            position += done;
            return done;
        }

        if (position < bufferStart || position >= bufferStart + bufferCount)
        {
            bufferStart = position;
            bufferCount = RandomAccess.Read(handle, buffer.AsSpan(0, BufferSize), position);
        }

        int take = (int)Math.Min(destination.Length, bufferStart + bufferCount - position);
        if (take <= 0)
        {
            return 0;
        }

        buffer.AsSpan((int)(position - bufferStart), take).CopyTo(destination);
        position += take;
        return take;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => position + offset,
        _ => Length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && buffer is not null)
        {
            handle.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }

        base.Dispose(disposing);
    }
}
