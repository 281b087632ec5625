using System.Text;
using LibObjectFile.Ar;
using LibObjectFile.Elf;
using PvGen.Binary.Input;
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

    /// <summary>Object names with a compression suffix: read ones (.ko.xz, .o.zst, ...) and ones pvgen reports it cannot read (.ko.bz2).</summary>
    private static readonly string[] CompressedObjectEndings =
        [.. new[] { ".o", ".ko" }.SelectMany(o => new[] { ".xz", ".zst", ".gz", ".bz2", ".lz4", ".lzma", ".lzo" }.Select(c => o + c))];

    /// <summary>Whether a file found in a directory is an object pvgen reads (or must report it cannot).</summary>
    public static bool IsObjectName(string path) =>
        ObjectExtensions.Any(e => path.EndsWith(e, StringComparison.Ordinal))
        || CompressedObjectEndings.Any(e => path.EndsWith(e, StringComparison.Ordinal))
        || Path.GetFileName(path).StartsWith("vmlinux", StringComparison.Ordinal) && !Path.HasExtension(path);

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
                    .Where(IsObjectName)
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

    /// <summary>Scans one file: an ELF object (plain or compressed) yields one result, an archive one per member.</summary>
    public static IReadOnlyList<ScannedObject> ScanFile(string path, ScanOptions options) => Inspect(path, options, (scanned, _) => scanned);

    /// <summary>
    /// Opens, guards, parses and scans one file once, and hands each object's scan together with the parsed object to
    /// <paramref name="use"/> (null when the object could not be parsed or was skipped), so a later stage reads the same
    /// bytes through the same guards. The <see cref="ElfObject"/> is valid only during the call.
    /// </summary>
    public static IReadOnlyList<T> Inspect<T>(string path, ScanOptions options, Func<ScannedObject, ElfObject?, T> use)
    {
        try
        {
            using var input = ObjectInput.Open(path);
            return InspectStream(input.Stream, path, options, use, compressedAlready: input.Compression != ObjectCompression.None);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // InvalidDataException: compression that is corrupt, truncated, oversized or not what the name says.
            return [use(ScannedObject.Failed(path, null, e.Message), null)];
        }
    }

    /// <summary>Scans a seekable stream holding an ELF object (plain or compressed) or an ar archive; <paramref name="path"/> names it in results.</summary>
    public static IReadOnlyList<ScannedObject> ScanStream(Stream stream, string path, ScanOptions options) =>
        InspectStream(stream, path, options, (scanned, _) => scanned, compressedAlready: false);

    private static IReadOnlyList<T> InspectStream<T>(Stream stream, string path, ScanOptions options, Func<ScannedObject, ElfObject?, T> use, bool compressedAlready)
    {
        Span<byte> magic = stackalloc byte[8];
        stream.Position = 0;
        int read = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        if (read >= 4 && magic[..4].SequenceEqual(ElfMagic))
        {
            return [ScanElf(stream, path, options, use)];
        }

        if (read == 8 && magic.SequenceEqual(ArMagic))
        {
            return ScanArchive(stream, path, options, use);
        }

        if (read == 8 && magic.SequenceEqual(ThinArMagic))
        {
            return [use(ScannedObject.Failed(path, null, "thin archive: scan the member objects it lists instead"), null)];
        }

        if (Decompression.Detect(magic[..read]) != ObjectCompression.None || Decompression.FromName(path) != ObjectCompression.None)
        {
            if (compressedAlready)
            {
                return [use(ScannedObject.Failed(path, null, "compressed twice: the decompressed data is itself compressed"), null)];
            }

            try
            {
                using var input = ObjectInput.FromStream(stream, path);
                return InspectStream(input.Stream, path, options, use, compressedAlready: true);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                return [use(ScannedObject.Failed(path, null, e.Message), null)];
            }
        }

        return [use(ScannedObject.Failed(path, null, read == 0 ? "empty file" : "not an ELF object or ar archive"), null)];
    }

    /// <summary>
    /// Scans many files on <paramref name="jobs"/> threads and yields the results in input order. At most a small
    /// window of files is in flight, so memory stays bounded however many files there are.
    /// </summary>
    /// <param name="onFileScanned">Called (from any thread) after each file, for progress displays.</param>
    public static IEnumerable<ScannedObject> ScanAll(IReadOnlyList<string> files, ScanOptions options, int jobs, Action? onFileScanned = null) =>
        InspectAll(files, options, jobs, (scanned, _) => scanned, onFileScanned);

    /// <summary>
    /// <see cref="ScanAll"/> with <see cref="Inspect{T}"/>'s callback: <paramref name="use"/> runs on the scanning threads
    /// while each object is open (it must be thread-safe), and its results are yielded in input order.
    /// </summary>
    public static IEnumerable<T> InspectAll<T>(IReadOnlyList<string> files, ScanOptions options, int jobs, Func<ScannedObject, ElfObject?, T> use, Action? onFileScanned = null)
    {
        jobs = Math.Clamp(jobs, 1, 256);
        if (jobs == 1)
        {
            foreach (string file in files)
            {
                var results = Inspect(file, options, use);
                onFileScanned?.Invoke();
                foreach (var result in results)
                {
                    yield return result;
                }
            }

            yield break;
        }

        int window = jobs * 4;
        var slots = new TaskCompletionSource<IReadOnlyList<T>>[files.Count];
        for (int i = 0; i < slots.Length; i++)
        {
            slots[i] = new TaskCompletionSource<IReadOnlyList<T>>(TaskCreationOptions.RunContinuationsAsynchronously);
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

                    try
                    {
                        slots[index].SetResult(Inspect(files[index], options, use));
                    }
                    catch (Exception e)
                    {
                        // A failing callback is the caller's bug: surface it on the consuming thread, in order.
                        slots[index].SetException(e);
                    }

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

    private static IReadOnlyList<T> ScanArchive<T>(Stream stream, string path, ScanOptions options, Func<ScannedObject, ElfObject?, T> use)
    {
        ArArchiveFile? archive;
        LibObjectFile.Diagnostics.DiagnosticBag diagnostics;
        try
        {
            if (!ArArchiveFile.TryRead(stream, new ArArchiveFileReaderOptions(ArArchiveKind.GNU) { ProcessObjectFiles = false }, out archive, out diagnostics))
            {
                return [use(ScannedObject.Failed(path, null, "bad archive: " + ElfLoader.FirstError(diagnostics)), null)];
            }
        }
        catch (Exception e) when (IsReaderFailure(e))
        {
            return [use(ScannedObject.Failed(path, null, "bad archive: " + e.Message), null)];
        }

        var results = new List<T>();
        foreach (var member in archive.Files)
        {
            string memberPath = $"{path}({member.Name})";
            if (member is ArBinaryFile { Stream: { } memberStream })
            {
                try
                {
                    memberStream.Position = 0;
                    results.AddRange(InspectStream(memberStream, memberPath, options, (scanned, elf) => use(
                        scanned.Error is "not an ELF object or ar archive" or "empty file" ? scanned with { Error = "archive member is not an ELF object" } : scanned,
                        elf), compressedAlready: false));
                }
                catch (Exception e) when (IsReaderFailure(e))
                {
                    results.Add(use(ScannedObject.Failed(memberPath, null, e.Message), null));
                }
            }
            else if (member is ArElfFile { ElfFile: { } elf })
            {
                results.Add(ScanParsed(new ElfObject(memberPath, elf), options, use));
            }
        }

        return results;
    }

    /// <summary>Larger objects (a vmlinux) are parsed without the byte search, which would touch every page of them.</summary>
    private const long MentionsLimit = 64L << 20;

    private static T ScanElf<T>(Stream stream, string path, ScanOptions options, Func<ScannedObject, ElfObject?, T> use)
    {
        var layout = ElfGuards.Read(stream, out string? headerError);
        if (headerError is not null)
        {
            return use(ScannedObject.Failed(path, layout.Machine, headerError), null);
        }

        if (layout.Machine is not ("x86_64" or "i386"))
        {
            return use(ScannedObject.Failed(path, layout.Machine, $"unsupported machine {layout.Machine}: pvgen scans i386 and x86-64 objects"), null);
        }

        if (options.SkipObjectsWithoutSymbol && stream.Length <= MentionsLimit && !Mentions(stream, options.Symbols.Keys))
        {
            return use(new ScannedObject(path, layout.Machine, null, EquatableArray<Site>.Empty, EquatableArray<Annotation>.Empty, null, Skipped: true), null);
        }

        ElfFile? elf;
        try
        {
            elf = ElfLoader.Read(stream, layout, out string? error);
            if (elf is null)
            {
                return use(ScannedObject.Failed(path, layout.Machine, error!), null);
            }
        }
        catch (Exception e) when (IsReaderFailure(e))
        {
            return use(ScannedObject.Failed(path, layout.Machine, "bad ELF: " + e.Message), null);
        }

        return ScanParsed(new ElfObject(path, elf), options, use);
    }

    private static T ScanParsed<T>(ElfObject elf, ScanOptions options, Func<ScannedObject, ElfObject?, T> use)
    {
        ScannedObject scanned;
        try
        {
            scanned = ElfObjectScanner.Scan(elf, options);
        }
        catch (Exception e) when (IsReaderFailure(e))
        {
            return use(ScannedObject.Failed(elf.Path, ElfSections.MachineName(elf.File), "bad ELF: " + e.Message), null);
        }

        return use(scanned, elf);
    }

    /// <summary>Corrupt input makes readers throw many kinds of exceptions; none of them may end the scan.</summary>
    /// <remarks>An OutOfMemoryException here is one oversized allocation requested by a corrupt count, not exhaustion.</remarks>
    private static bool IsReaderFailure(Exception e) => e is not (StackOverflowException or ThreadAbortException or OperationCanceledException);

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
