using System.Buffers.Binary;
using System.Text;
using LibObjectFile.Ar;
using LibObjectFile.Elf;
using PvGen.Model;

namespace PvGen.Binary;

/// <summary>
/// The public entry point of the scan stage: files (ELF objects, modules, linked kernels, ar archives) in,
/// one <see cref="ScannedObject"/> per ELF object out. Never throws for bad input: every problem becomes the
/// object's <see cref="ScannedObject.Error"/>.
/// </summary>
public static class ObjectScanner
{
    private static readonly byte[] ElfMagic = [0x7f, (byte)'E', (byte)'L', (byte)'F'];
    private static readonly byte[] ArMagic = Encoding.ASCII.GetBytes("!<arch>\n");
    private static readonly byte[] ThinArMagic = Encoding.ASCII.GetBytes("!<thin>\n");

    /// <summary>File name endings picked up when a directory is given (explicit files are scanned whatever their name).</summary>
    public static readonly string[] ObjectExtensions = [".o", ".ko", ".a"];

    /// <summary>
    /// Expands files and directories (recursively, objects only, in ordinal path order so output is deterministic).
    /// A path that does not exist is returned as is; scanning it reports the error.
    /// </summary>
    public static IReadOnlyList<string> ExpandInputs(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true })
                    .Where(f => ObjectExtensions.Any(e => f.EndsWith(e, StringComparison.Ordinal)) || Path.GetFileName(f).StartsWith("vmlinux", StringComparison.Ordinal) && !Path.HasExtension(f))
                    .Order(StringComparer.Ordinal);
                files.AddRange(found);
            }
            else
            {
                files.Add(path);
            }
        }

        return files;
    }

    /// <summary>Files up to this size are read once into memory and parsed from there; larger ones are streamed.</summary>
    private const long WholeFileLimit = 256L << 20;

    /// <summary>Each scanning thread keeps its read buffer: no allocation per file, memory bounded by jobs x largest file.</summary>
    [ThreadStatic]
    private static byte[]? threadBuffer;

    /// <summary>Scans one file: an ELF object yields one result, an archive one per member.</summary>
    public static IReadOnlyList<ScannedObject> ScanFile(string path, ScanOptions options)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            long length = file.Length;
            if (length > WholeFileLimit)
            {
                using var buffered = new BufferedStream(file, 1 << 16);
                return ScanStream(buffered, path, options);
            }

            // One read per file: the symbol search and LibObjectFile's sub-streams then work on the same bytes.
            var buffer = threadBuffer is { } kept && kept.Length >= length ? kept : new byte[Math.Max(length, 1 << 20)];
            if (buffer.Length <= (64 << 20))
            {
                threadBuffer = buffer;
            }

            file.ReadExactly(buffer, 0, (int)length);
            using var memory = new MemoryStream(buffer, 0, (int)length, writable: false, publiclyVisible: true);
            return ScanStream(memory, path, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return [ScannedObject.Failed(path, null, e.Message)];
        }
    }

    /// <summary>Scans a seekable stream holding an ELF object or an ar archive; <paramref name="path"/> names it in results.</summary>
    public static IReadOnlyList<ScannedObject> ScanStream(Stream stream, string path, ScanOptions options)
    {
        Span<byte> magic = stackalloc byte[8];
        stream.Position = 0;
        int read = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        if (read >= 4 && magic[..4].SequenceEqual(ElfMagic))
        {
            return [ScanElf(stream, path, options)];
        }

        if (read == 8 && magic.SequenceEqual(ArMagic))
        {
            return ScanArchive(stream, path, options);
        }

        if (read == 8 && magic.SequenceEqual(ThinArMagic))
        {
            return [ScannedObject.Failed(path, null, "thin archive: scan the member objects it lists instead")];
        }

        return [ScannedObject.Failed(path, null, read == 0 ? "empty file" : "not an ELF object or ar archive")];
    }

    /// <summary>
    /// Scans many files on <paramref name="jobs"/> threads and yields the results in input order. At most a small
    /// window of files is in flight, so memory stays bounded however many files there are.
    /// </summary>
    /// <param name="onFileScanned">Called (from any thread) after each file, for progress displays.</param>
    public static IEnumerable<ScannedObject> ScanAll(IReadOnlyList<string> files, ScanOptions options, int jobs, Action? onFileScanned = null)
    {
        jobs = Math.Clamp(jobs, 1, 256);
        if (jobs == 1)
        {
            foreach (string file in files)
            {
                var results = ScanFile(file, options);
                onFileScanned?.Invoke();
                foreach (var result in results)
                {
                    yield return result;
                }
            }

            yield break;
        }

        int window = jobs * 4;
        var slots = new TaskCompletionSource<IReadOnlyList<ScannedObject>>[files.Count];
        for (int i = 0; i < slots.Length; i++)
        {
            slots[i] = new TaskCompletionSource<IReadOnlyList<ScannedObject>>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        using var free = new SemaphoreSlim(window);
        using var stop = new CancellationTokenSource();
        int next = -1;
        var workers = Enumerable.Range(0, jobs).Select(_ => new Thread(() =>
        {
            try
            {
                while (true)
                {
                    free.Wait(stop.Token);
                    int index = Interlocked.Increment(ref next);
                    if (index >= files.Count)
                    {
                        return;
                    }

                    slots[index].SetResult(ScanFile(files[index], options));
                    onFileScanned?.Invoke();
                }
            }
            catch (OperationCanceledException)
            {
                // The consumer stopped early.
            }
        }) { IsBackground = true, Name = "pvgen-scan" }).ToList();
        workers.ForEach(w => w.Start());
        try
        {
            for (int i = 0; i < slots.Length; i++)
            {
                var results = slots[i].Task.GetAwaiter().GetResult();
                slots[i] = null!;
                free.Release();
                foreach (var result in results)
                {
                    yield return result;
                }
            }
        }
        finally
        {
            stop.Cancel();
            workers.ForEach(w => w.Join());
        }
    }

    private static IReadOnlyList<ScannedObject> ScanArchive(Stream stream, string path, ScanOptions options)
    {
        ArArchiveFile? archive;
        LibObjectFile.Diagnostics.DiagnosticBag diagnostics;
        try
        {
            if (!ArArchiveFile.TryRead(stream, new ArArchiveFileReaderOptions(ArArchiveKind.GNU) { ProcessObjectFiles = false }, out archive, out diagnostics))
            {
                return [ScannedObject.Failed(path, null, "bad archive: " + FirstError(diagnostics))];
            }
        }
        catch (Exception e) when (IsReaderFailure(e))
        {
            return [ScannedObject.Failed(path, null, "bad archive: " + e.Message)];
        }

        var results = new List<ScannedObject>();
        foreach (var member in archive.Files)
        {
            string memberPath = $"{path}({member.Name})";
            if (member is ArBinaryFile { Stream: { } memberStream })
            {
                try
                {
                    memberStream.Position = 0;
                    foreach (var scanned in ScanStream(memberStream, memberPath, options))
                    {
                        results.Add(scanned.Error is "not an ELF object or ar archive" or "empty file"
                            ? scanned with { Error = "archive member is not an ELF object" }
                            : scanned);
                    }
                }
                catch (Exception e) when (IsReaderFailure(e))
                {
                    results.Add(ScannedObject.Failed(memberPath, null, e.Message));
                }
            }
            else if (member is ArElfFile { ElfFile: { } elf })
            {
                results.Add(ScanParsed(elf, memberPath, options));
            }
        }

        return results;
    }

    private static ScannedObject ScanElf(Stream stream, string path, ScanOptions options)
    {
        var header = ReadHeader(stream, out string? headerError);
        if (headerError is not null)
        {
            return ScannedObject.Failed(path, header.Machine, headerError);
        }

        if (header.Machine is not ("x86_64" or "i386"))
        {
            return ScannedObject.Failed(path, header.Machine, $"unsupported machine {header.Machine}: pvgen scans i386 and x86-64 objects");
        }

        if (options.SkipObjectsWithoutSymbol && !Mentions(stream, options.Symbols.Keys))
        {
            return new ScannedObject(path, header.Machine, null, EquatableArray<Site>.Empty, EquatableArray<Annotation>.Empty, null, Skipped: true);
        }

        try
        {
            stream.Position = 0;
            if (!ElfFile.TryRead(stream, out var elf, out var diagnostics, new ElfReaderOptions { UseSubStream = true }))
            {
                return ScannedObject.Failed(path, header.Machine, "bad ELF: " + FirstError(diagnostics));
            }

            return ScanParsed(elf, path, options);
        }
        catch (Exception e) when (IsReaderFailure(e))
        {
            return ScannedObject.Failed(path, header.Machine, "bad ELF: " + e.Message);
        }
    }

    private static ScannedObject ScanParsed(ElfFile elf, string path, ScanOptions options)
    {
        try
        {
            return ElfObjectScanner.Scan(elf, path, options);
        }
        catch (Exception e) when (IsReaderFailure(e))
        {
            return ScannedObject.Failed(path, ElfSections.MachineName(elf), "bad ELF: " + e.Message);
        }
    }

    /// <summary>Corrupt input makes readers throw many kinds of exceptions; none of them may end the scan.</summary>
    /// <remarks>An OutOfMemoryException here is one oversized allocation requested by a corrupt count, not exhaustion.</remarks>
    private static bool IsReaderFailure(Exception e) => e is not (StackOverflowException or ThreadAbortException or OperationCanceledException);

    private static string FirstError(LibObjectFile.Diagnostics.DiagnosticBag diagnostics) =>
        diagnostics.Messages.FirstOrDefault(m => m.Kind == LibObjectFile.Diagnostics.DiagnosticKind.Error).Message
        ?? diagnostics.Messages.FirstOrDefault().Message
        ?? "unreadable";

    private readonly record struct ElfHeader(string? Machine);

    /// <summary>
    /// The fixed ELF header fields the fast path needs before (or instead of) a full read: class, byte order, machine,
    /// and whether the section header table lies inside the file (so a truncated object is reported even when skipped).
    /// </summary>
    private static ElfHeader ReadHeader(Stream stream, out string? error)
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
            return new ElfHeader(null);
        }

        if (header[4] is not (1 or 2) || header[5] != 1)
        {
            error = header[5] == 2 ? "big-endian ELF: pvgen scans x86 objects" : $"bad ELF class {header[4]} / data encoding {header[5]}";
            return new ElfHeader(null);
        }

        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(header[18..]);
        string name = machine switch
        {
            62 => "x86_64",
            3 => "i386",
            _ => ElfSections.MachineName(machine),
        };
        if ((machine == 62 && !is64) || (machine == 3 && is64))
        {
            name = $"{name} ({(is64 ? "64" : "32")}-bit class)";
        }

        ulong shoff = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x28..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x20..]);
        ushort shentsize = BinaryPrimitives.ReadUInt16LittleEndian(header[(is64 ? 0x3A : 0x2E)..]);
        ushort shnum = BinaryPrimitives.ReadUInt16LittleEndian(header[(is64 ? 0x3C : 0x30)..]);
        if (shnum != 0 && (shoff > (ulong)stream.Length || (ulong)shentsize * shnum > (ulong)stream.Length - shoff))
        {
            error = $"truncated or corrupt: the section header table (0x{shoff:x} + {shnum} x {shentsize} bytes) lies beyond the end of the file (0x{stream.Length:x} bytes)";
        }
        else if (shnum != 0)
        {
            error = CheckSectionBounds(stream, is64, (long)shoff, shentsize, shnum);
        }

        return new ElfHeader(name);
    }

    /// <summary>
    /// LibObjectFile sizes its tables from section headers before checking them against the file, so a corrupt size asks
    /// it for gigabytes. Every section with contents must lie inside the file; that bounds all it allocates.
    /// </summary>
    private static string? CheckSectionBounds(Stream stream, bool is64, long shoff, int entrySize, int count)
    {
        int minimum = is64 ? 64 : 40;
        if (entrySize < minimum)
        {
            return $"corrupt: section headers of {entrySize} bytes (at least {minimum} expected)";
        }

        byte[] table = System.Buffers.ArrayPool<byte>.Shared.Rent(entrySize * count);
        try
        {
            stream.Position = shoff;
            stream.ReadExactly(table, 0, entrySize * count);
            for (int i = 0; i < count; i++)
            {
                var header = table.AsSpan(i * entrySize, minimum);
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
                ulong offset = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x10..]);
                ulong size = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[0x14..]);
                const uint Null = 0, NoBits = 8;
                if (type is not (Null or NoBits) && (offset > (ulong)stream.Length || size > (ulong)stream.Length - offset))
                {
                    return $"truncated or corrupt: section {i} (0x{offset:x} + 0x{size:x} bytes) lies beyond the end of the file (0x{stream.Length:x} bytes)";
                }
            }

            return null;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(table);
        }
    }

    /// <summary>
    /// Whether the object's bytes contain the symbol's name (NUL-terminated, as in a string table) or ".parainstructions".
    /// An object without either cannot reference the table; searching bytes is ten times cheaper than parsing the ELF.
    /// </summary>
    private static bool Mentions(Stream stream, IEnumerable<string> symbols)
    {
        byte[][] names = [.. symbols.Select(symbol => Encoding.UTF8.GetBytes(symbol + "\0"))];
        byte[] section = Encoding.ASCII.GetBytes(ParaInstructionsReader.SectionName + "\0");
        if (stream is MemoryStream memory && memory.TryGetBuffer(out var whole))
        {
            return whole.AsSpan().IndexOf(section) >= 0 || names.Any(name => whole.AsSpan().IndexOf(name) >= 0);
        }

        int keep = Math.Max(names.Max(n => n.Length), section.Length) - 1;
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 18);
        try
        {
            stream.Position = 0;
            int carried = 0;
            int read;
            while ((read = stream.Read(buffer, carried, buffer.Length - carried)) > 0)
            {
                var window = buffer.AsSpan(0, carried + read);
                if (window.IndexOf(section) >= 0)
                {
                    return true;
                }

                foreach (byte[] name in names)
                {
                    if (window.IndexOf(name) >= 0)
                    {
                        return true;
                    }
                }

                carried = Math.Min(keep, window.Length);
                window[^carried..].CopyTo(buffer);
            }

            return false;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
