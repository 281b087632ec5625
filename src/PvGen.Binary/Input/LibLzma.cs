using System.Runtime.InteropServices;

namespace PvGen.Binary.Input;

/// <summary>
/// Thin bindings to the system's liblzma (XZ Utils' own library, what <c>xz -dc</c> runs; on Debian every system has it,
/// dpkg depends on it): the stream decoder only. Used for xz because SharpCompress's managed XZStream decodes at about
/// half its speed (scripts/bench-scan.sh); where liblzma cannot be loaded the managed decoder is used instead.
/// </summary>
internal static unsafe partial class LibLzma
{
    private const string Library = "liblzma.so.5";

    private static readonly Lazy<bool> Loadable = new(() => NativeLibrary.TryLoad(Library, typeof(LibLzma).Assembly, null, out _));

    /// <summary>Whether liblzma can be loaded on this machine.</summary>
    public static bool Available => Loadable.Value;

    // lzma_ret values (lzma/base.h).
    public const int Ok = 0, StreamEnd = 1, MemError = 5, MemlimitError = 6, FormatError = 7, OptionsError = 8, DataError = 9, BufError = 10, ProgError = 11;

    // lzma_action values and lzma_stream_decoder flags.
    public const int Run = 0, Finish = 3;
    public const uint Concatenated = 0x08;

    /// <summary>lzma_stream (lzma/base.h); LZMA_STREAM_INIT is all zeros.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stream
    {
        public byte* NextIn;
        public nuint AvailIn;
        public ulong TotalIn;
        public byte* NextOut;
        public nuint AvailOut;
        public ulong TotalOut;
        public nint Allocator;
        public nint Internal;
        public nint Reserved1, Reserved2, Reserved3, Reserved4;
        public ulong ReservedInt1, ReservedInt2;
        public nuint ReservedInt3, ReservedInt4;
        public int ReservedEnum1, ReservedEnum2;
    }

    [LibraryImport(Library, EntryPoint = "lzma_stream_decoder")]
    public static partial int StreamDecoder(Stream* stream, ulong memoryLimit, uint flags);

    [LibraryImport(Library, EntryPoint = "lzma_code")]
    public static partial int Code(Stream* stream, int action);

    [LibraryImport(Library, EntryPoint = "lzma_end")]
    public static partial void End(Stream* stream);

    /// <summary>The message xz prints for a return code.</summary>
    public static string Describe(int code) => code switch
    {
        MemError => "cannot allocate memory",
        MemlimitError => "memory usage limit reached",
        FormatError => "file format not recognized",
        OptionsError => "unsupported options",
        DataError => "compressed data is corrupt",
        BufError => "unexpected end of input",
        _ => $"liblzma error {code}",
    };
}

/// <summary>A read-only xz decoding stream over liblzma (one stream or several concatenated, as <c>xz -dc</c> reads them).</summary>
internal sealed unsafe class LzmaDecoderStream : System.IO.Stream
{
    /// <summary>liblzma's own cap on decoder memory: the kernel compresses modules with a 1 MiB dictionary.</summary>
    private const ulong MemoryLimit = 256UL << 20;

    private readonly System.IO.Stream input;
    private readonly byte[] inputBuffer = new byte[1 << 16];
    private LibLzma.Stream* state;
    private int inputStart;
    private int inputEnd;
    private bool inputDone;
    private bool finished;

    public LzmaDecoderStream(System.IO.Stream input)
    {
        this.input = input;
        state = (LibLzma.Stream*)NativeMemory.AllocZeroed((nuint)sizeof(LibLzma.Stream));
        int result = LibLzma.StreamDecoder(state, MemoryLimit, LibLzma.Concatenated);
        if (result != LibLzma.Ok)
        {
            Release();
            throw new InvalidDataException(LibLzma.Describe(result));
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(state is null, this);
        if (finished || buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            if (inputStart == inputEnd && !inputDone)
            {
                inputStart = 0;
                inputEnd = input.Read(inputBuffer, 0, inputBuffer.Length);
                inputDone = inputEnd == 0;
            }

            int result;
            int produced;
            fixed (byte* source = inputBuffer)
            fixed (byte* target = buffer)
            {
                // liblzma keeps no pointer between calls: the buffers need to be fixed only for this one.
                state->NextIn = source + inputStart;
                state->AvailIn = (nuint)(inputEnd - inputStart);
                state->NextOut = target;
                state->AvailOut = (nuint)buffer.Length;
                result = LibLzma.Code(state, inputDone ? LibLzma.Finish : LibLzma.Run);
                inputStart = (int)(state->NextIn - source);
                produced = buffer.Length - (int)state->AvailOut;
            }

            if (result == LibLzma.StreamEnd)
            {
                finished = true;
                return produced;
            }

            if (result != LibLzma.Ok)
            {
                throw new InvalidDataException(LibLzma.Describe(result));
            }

            if (produced > 0)
            {
                return produced;
            }
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        Release();
        base.Dispose(disposing);
    }

    private void Release()
    {
        if (state is not null)
        {
            LibLzma.End(state);
            NativeMemory.Free(state);
            state = null;
        }
    }
}
