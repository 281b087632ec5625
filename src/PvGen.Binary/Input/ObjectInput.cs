namespace PvGen.Binary.Input;

/// <summary>
/// The bytes of one input file as the ELF reader sees them: a plain file read as far as needed (its headers and
/// string tables first, then only the sections the parser and the stages ask for; an archive whole, <see cref="InMemory"/>),
/// a compressed one decompressed (bounded by <see cref="Decompression"/>). Files are read, not mapped: the pages of a
/// mapping count in the process's resident set (44 MB of a 6.12 vmlinux scan's 168 MB peak), the page cache that reads
/// go through does not. Compression is told by the first bytes; a name that promises one it does not hold is an error. The stream is valid until the input is disposed, and on the thread that opened it (buffers are reused).
/// </summary>
internal sealed class ObjectInput : IDisposable
{
    /// <summary>The read buffer of a plain file: the reads at offset 0 (magic, compression, ELF header) are one.</summary>
    private const int HeadBuffer = 4096;

    /// <summary>Each scanning thread keeps its read buffer up to this size: no allocation per file for a kernel's modules.</summary>
    private const int KeptBufferLimit = 64 << 20;

    [ThreadStatic]
    private static byte[]? threadBuffer;

    private ObjectInput(Stream stream, ObjectCompression compression)
    {
        Stream = stream;
        Compression = compression;
    }

    public Stream Stream { get; }

    public ObjectCompression Compression { get; }

    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidDataException">Its compression is unsupported, corrupt, or not what its name says.</exception>
    public static ObjectInput Open(string path)
    {
        // Opened without blocking (a FIFO would wait for a writer, a device may never end), then only regular files are read.
        var handle = Posix.OpenForReading(path, out var status, out long length);
        if (handle is null)
        {
            // open(2) failed (a socket cannot be opened at all) or this is not x86-64 Linux: say what the path is, or let .NET say why.
            status = Posix.Stat(path);
        }

        if (status.Kind is not (FileKind.Regular or FileKind.Missing))
        {
            handle?.Dispose();
            throw new IOException($"{status.Describe()}, not a regular file: not read");
        }

        Stream file = handle is not null
            ? new PlainFileStream(handle, length)
            : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: HeadBuffer, FileOptions.None);
        bool handedOver = false;
        try
        {

            var compression = Sniff(file, path);
            if (compression != ObjectCompression.None)
            {
                using var buffered = new BufferedStream(file, 1 << 16);
                byte[] buffer = threadBuffer ?? new byte[1 << 20];
                int size = Decompression.DecompressElf(buffered, compression, ref buffer);
                Keep(buffer);
                return new ObjectInput(new MemoryStream(buffer, 0, size, writable: false, publiclyVisible: true), compression);
            }

            // Left unread: the guards and the symbol search read the headers and string tables only (most modules end
            // there), the parser the sections it parses, the scan the code it decodes.
            handedOver = true;
            return new ObjectInput(file, ObjectCompression.None);
        }
        finally
        {
            if (!handedOver)
            {
                file.Dispose();
            }
        }
    }

    /// <summary>
    /// The stream's bytes in memory, for an archive, whose members LibObjectFile reads as sub-streams: a file not read yet
    /// (see <see cref="Open"/>) of at most <see cref="ObjectScanner.NameSearchLimit"/> bytes is read whole into the thread's
    /// reused buffer; a larger file and any other stream are returned as they are. Valid as long as the input that opened
    /// the file, on the same thread.
    /// </summary>
    public static Stream InMemory(Stream stream)
    {
        if (stream is not (PlainFileStream or FileStream) || stream.Length > ObjectScanner.NameSearchLimit)
        {
            return stream;
        }

        long length = stream.Length;
        var whole = threadBuffer is { } kept && kept.Length >= length ? kept : new byte[Math.Max(length, 1 << 20)];
        Keep(whole);
        stream.Position = 0;
        stream.ReadExactly(whole, 0, (int)length);
        return new MemoryStream(whole, 0, (int)length, writable: false, publiclyVisible: true);
    }

    /// <summary>Wraps a seekable stream (an archive member, a test's bytes), decompressing it into a buffer of its own when compressed.</summary>
    public static ObjectInput FromStream(Stream stream, string path)
    {
        var compression = Sniff(stream, path);
        if (compression == ObjectCompression.None)
        {
            return new ObjectInput(stream, compression);
        }

        byte[] buffer = new byte[1 << 16];
        int size = Decompression.DecompressElf(stream, compression, ref buffer);
        return new ObjectInput(new MemoryStream(buffer, 0, size, writable: false, publiclyVisible: true), compression);
    }

    public void Dispose() => Stream.Dispose();

    /// <summary>The compression the first bytes show; leaves the stream at 0.</summary>
    private static ObjectCompression Sniff(Stream stream, string path)
    {
        Span<byte> head = stackalloc byte[6];
        stream.Position = 0;
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        var found = Decompression.Detect(head[..read]);
        var named = Decompression.FromName(path);
        if (named != ObjectCompression.None && found != named)
        {
            string suffix = Path.GetExtension(path);
            throw new InvalidDataException(found == ObjectCompression.None
                ? $"named {suffix} but not {Decompression.Name(named)} data"
                : $"named {suffix} but holds {Decompression.Name(found)} data");
        }

        if (found == ObjectCompression.None && Decompression.UnsupportedSuffix(path) is { } unsupported)
        {
            throw new InvalidDataException($"compressed as {unsupported}, which pvgen does not read (it reads {string.Join(", ", Decompression.Suffixes)})");
        }

        return found;
    }

    private static void Keep(byte[] buffer)
    {
        if (buffer.Length <= KeptBufferLimit)
        {
            threadBuffer = buffer;
        }
    }
}
