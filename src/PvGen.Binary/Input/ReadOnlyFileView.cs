namespace PvGen.Binary.Input;

/// <summary>
/// What the input's read-only, seekable streams share: a position and a fixed length; a subclass says only how a read
/// at the position is served (<see cref="PlainFileStream"/> from the file, <see cref="PackedSectionView"/> from pieces).
/// </summary>
internal abstract class ReadOnlyFileView : Stream
{
    private long position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Position
    {
        get => position;
        set => position = value >= 0 ? value : throw new IOException("a position before the start of the data");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

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
}
