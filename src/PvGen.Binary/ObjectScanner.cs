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

    /// <summary>
    /// Plain files up to this size are searched for the symbol's name before they are parsed; larger ones (a vmlinux,
    /// which always names it) are parsed without the search. Either way a plain file is read section by section, as the
    /// parser and the scan ask: a module's .BTF, .rodata, .data and unwind tables are never read.
    /// </summary>
    public const long NameSearchLimit = 64L << 20;

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
    /// A path that does not exist is returned as is; scanning it reports the error. Each real file is listed once
    /// (by device and inode, under its ordinal-first name), each directory walked once (symbolic links to a parent or to
    /// itself cannot make the walk loop or repeat), and an object-named entry that is no regular file (a FIFO or device
    /// named *.ko would block a reader forever; a dangling link) is skipped with a warning in <paramref name="warnings"/>.
    /// </summary>
    public static IReadOnlyList<string> ExpandInputs(IEnumerable<string> paths, ICollection<Diagnostic>? warnings = null)
    {
        var files = new List<string>();
        var seenFiles = new Dictionary<(ulong, ulong), int>();
        var seenDirectories = new HashSet<(ulong, ulong)>();
        foreach (string path in paths)
        {
            var status = Posix.Stat(path);
            if (status.Kind == FileKind.Directory)
            {
                var found = new List<string>();
                Walk(path, status, found, seenFiles, seenDirectories, warnings);
                files.AddRange(found.Order(StringComparer.Ordinal));
            }
            else
            {
                files.Add(path);
            }
        }

        return files;
    }

    /// <summary>Depth first, every directory once by identity; the first name (in ordinal order) of each file wins.</summary>
    private static void Walk(string root, FileStatus rootStatus, List<string> found, Dictionary<(ulong, ulong), int> seenFiles, HashSet<(ulong, ulong)> seenDirectories, ICollection<Diagnostic>? warnings)
    {
        var pending = new Stack<(string Path, FileStatus Status)>();
        pending.Push((root, rootStatus));
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = true, ReturnSpecialDirectories = false };
        while (pending.Count > 0)
        {
            var (directory, status) = pending.Pop();
            if (!seenDirectories.Add((status.Device, status.Inode)))
            {
                continue; // reached again through a link: its files are already listed
            }

            string[] entries;
            try
            {
                entries = [.. Directory.EnumerateFileSystemEntries(directory, "*", options).Order(StringComparer.Ordinal)];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                warnings?.Add(new Diagnostic(DiagnosticIds.ScanInputSkipped, Severity.Warning, $"directory '{directory}' cannot be read: skipped", null));
                continue;
            }

            var subdirectories = new List<(string, FileStatus)>();
            foreach (string entry in entries)
            {
                var target = Posix.Stat(entry);
                switch (target.Kind)
                {
                    case FileKind.Directory:
                        subdirectories.Add((entry, target));
                        break;
                    case FileKind.Regular when IsObjectName(entry):
                        if (target.Device == 0 && target.Inode == 0 || seenFiles.TryAdd((target.Device, target.Inode), found.Count))
                        {
                            found.Add(entry);
                        }
                        else if (string.CompareOrdinal(entry, found[seenFiles[(target.Device, target.Inode)]]) < 0)
                        {
                            found[seenFiles[(target.Device, target.Inode)]] = entry;
                        }

                        break;
                    case FileKind.Missing when IsObjectName(entry):
                        warnings?.Add(new Diagnostic(DiagnosticIds.ScanInputSkipped, Severity.Warning,
                            Posix.LinkStat(entry).Kind == FileKind.SymbolicLink ? $"'{entry}' is a symbolic link that leads to no file (dangling, or a loop): skipped" : $"'{entry}' vanished during the walk: skipped", null));
                        break;
                    case not (FileKind.Regular or FileKind.Missing) when IsObjectName(entry):
                        warnings?.Add(new Diagnostic(DiagnosticIds.ScanInputSkipped, Severity.Warning, $"'{entry}' is {target.Describe()}, not a regular file: skipped", null));
                        break;
                }
            }

            // Pushed in reverse so that directories are walked in ordinal order (the first name of a file is the one kept).
            for (int i = subdirectories.Count - 1; i >= 0; i--)
            {
                pending.Push(subdirectories[i]);
            }
        }
    }

    /// <summary>Scans one file: an ELF object (plain or compressed) yields one result, an archive one per member.</summary>
    public static IReadOnlyList<ScannedObject> ScanFile(string path, ScanOptions options) => InspectFile(path, options, KeepScan, scanOnly: true);

    /// <summary>The callback of the scan-only entry points: the parsed object is not handed out, so it need hold only what the scan reads.</summary>
    private static readonly Func<ScannedObject, ElfObject?, ScannedObject> KeepScan = (scanned, _) => scanned;

    /// <summary>
    /// Opens, guards, parses and scans one file once, and hands each object's scan together with the parsed object to
    /// <paramref name="use"/> (null when the object could not be parsed or was skipped), so a later stage reads the same
    /// bytes through the same guards. The <see cref="ElfObject"/> is valid only during the call.
    /// </summary>
    public static IReadOnlyList<T> Inspect<T>(string path, ScanOptions options, Func<ScannedObject, ElfObject?, T> use) => InspectFile(path, options, use, scanOnly: false);

    /// <param name="scanOnly">Whether <paramref name="use"/> ignores the parsed object: then tables the scan does not read stay unparsed.</param>
    private static IReadOnlyList<T> InspectFile<T>(string path, ScanOptions options, Func<ScannedObject, ElfObject?, T> use, bool scanOnly)
    {
        try
        {
            using var input = ObjectInput.Open(path);
            return InspectStream(input.Stream, path, options, use, compressedAlready: input.Compression != ObjectCompression.None, scanOnly);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // InvalidDataException: compression that is corrupt, truncated, oversized or not what the name says.
            return [use(ScannedObject.Failed(path, null, RuntimeMessages.Describe(e)), null)];
        }
    }

    /// <summary>Scans a seekable stream holding an ELF object (plain or compressed) or an ar archive; <paramref name="path"/> names it in results.</summary>
    public static IReadOnlyList<ScannedObject> ScanStream(Stream stream, string path, ScanOptions options) =>
        InspectStream(stream, path, options, KeepScan, compressedAlready: false, scanOnly: true);

    private static IReadOnlyList<T> InspectStream<T>(Stream stream, string path, ScanOptions options, Func<ScannedObject, ElfObject?, T> use, bool compressedAlready, bool scanOnly)
    {
        Span<byte> magic = stackalloc byte[8];
        stream.Position = 0;
        int read = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        if (read >= 4 && magic[..4].SequenceEqual(ElfMagic))
        {
            return [ScanElf(stream, path, options, use, scanOnly)];
        }

        if (read == 8 && magic.SequenceEqual(ArMagic))
        {
            return ScanArchive(ObjectInput.InMemory(stream), path, options, use, scanOnly);
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
                return InspectStream(input.Stream, path, options, use, compressedAlready: true, scanOnly);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                return [use(ScannedObject.Failed(path, null, RuntimeMessages.Describe(e)), null)];
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
        InspectFiles(files, options, jobs, KeepScan, onFileScanned, scanOnly: true);

    /// <summary>
    /// <see cref="ScanAll"/> with <see cref="Inspect{T}"/>'s callback: <paramref name="use"/> runs on the scanning threads
    /// while each object is open (it must be thread-safe), and its results are yielded in input order.
    /// </summary>
    public static IEnumerable<T> InspectAll<T>(IReadOnlyList<string> files, ScanOptions options, int jobs, Func<ScannedObject, ElfObject?, T> use, Action? onFileScanned = null) =>
        InspectFiles(files, options, jobs, use, onFileScanned, scanOnly: false);

    private static IEnumerable<T> InspectFiles<T>(IReadOnlyList<string> files, ScanOptions options, int jobs, Func<ScannedObject, ElfObject?, T> use, Action? onFileScanned, bool scanOnly)
    {
        jobs = Math.Clamp(jobs, 1, 256);
        if (jobs == 1)
        {
            foreach (string file in files)
            {
                var results = InspectFile(file, options, use, scanOnly);
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

        // Claims the next file not yet claimed and scans it into its slot; false when none is left.
        bool ScanNext()
        {
            int index = Interlocked.Increment(ref next);
            if (index >= files.Count)
            {
                return false;
            }

            try
            {
                slots[index].SetResult(InspectFile(files[index], options, use, scanOnly));
            }
            catch (Exception e)
            {
                // A failing callback is the caller's bug: surface it on the consuming thread, in order.
                slots[index].SetException(e);
            }

            onFileScanned?.Invoke();
            return true;
        }

        // jobs - 1 threads, and the consuming thread scans too while the file it waits for is not done: a waiting consumer
        // spun and slept, and cost -j 2 a tenth more CPU than -j 1.
        var workers = Enumerable.Range(0, jobs - 1).Select(_ => new Thread(() =>
        {
            try
            {
                do
                {
                    free.Wait(stop.Token);
                }
                while (ScanNext());
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
                while (!slots[i].Task.IsCompleted && free.Wait(0))
                {
                    if (!ScanNext())
                    {
                        free.Release();
                        break;
                    }
                }

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

    private static IReadOnlyList<T> ScanArchive<T>(Stream stream, string path, ScanOptions options, Func<ScannedObject, ElfObject?, T> use, bool scanOnly)
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
            return [use(ScannedObject.Failed(path, null, "bad archive: " + RuntimeMessages.Describe(e)), null)];
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
                        elf), compressedAlready: false, scanOnly));
                }
                catch (Exception e) when (IsReaderFailure(e))
                {
                    results.Add(use(ScannedObject.Failed(memberPath, null, RuntimeMessages.Describe(e)), null));
                }
            }
            else if (member is ArElfFile { ElfFile: { } elf })
            {
                results.Add(ScanParsed(new ElfObject(memberPath, elf), options, use));
            }
        }

        return results;
    }

    private static T ScanElf<T>(Stream stream, string path, ScanOptions options, Func<ScannedObject, ElfObject?, T> use, bool scanOnly)
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

        if (options.SkipObjectsWithoutSymbol && stream.Length <= NameSearchLimit && !Mentions(stream, layout, Needles(options)))
        {
            return use(new ScannedObject(path, layout.Machine, null, EquatableArray<Site>.Empty, EquatableArray<Annotation>.Empty, null, Skipped: true), null);
        }

        ElfFile? elf;
        try
        {
            elf = ElfLoader.Read(stream, layout, out string? error, scanOnly ? ElfObjectScanner.RecordSections(options) : null);
            if (elf is null)
            {
                return use(ScannedObject.Failed(path, layout.Machine, error!), null);
            }
        }
        catch (Exception e) when (IsReaderFailure(e))
        {
            return use(ScannedObject.Failed(path, layout.Machine, "bad ELF: " + RuntimeMessages.Describe(e)), null);
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
            return use(ScannedObject.Failed(elf.Path, ElfSections.MachineName(elf.File), "bad ELF: " + RuntimeMessages.Describe(e)), null);
        }

        return use(scanned, elf);
    }

    /// <summary>Corrupt input makes readers throw many kinds of exceptions; none of them may end the scan.</summary>
    /// <remarks>An OutOfMemoryException here is one oversized allocation requested by a corrupt count, not exhaustion.</remarks>
    private static bool IsReaderFailure(Exception e) => e is not (StackOverflowException or ThreadAbortException or OperationCanceledException);

    /// <summary>
    /// Whether the object's string tables name the symbol (NUL-terminated, as a string table holds it) or ".parainstructions":
    /// every SHT_STRTAB section, the section-name table and whatever a symbol table takes its names from. Sites are found
    /// only through a symbol of that name and records only in a section of that name, so an object whose string tables hold
    /// neither has nothing to find; only those bytes are read (a tenth of a module), never the code or the relocations.
    /// An object without readable section headers is searched whole.
    /// </summary>
    private static bool Mentions(Stream stream, ElfLayout layout, byte[][] needles)
    {
        var sections = layout.Sections;
        if (sections.Count == 0)
        {
            return MentionsIn(stream, 0, stream.Length, needles);
        }

        // A symbol table's names are in a string table but for corrupt or odd objects: those few are searched as well.
        List<int>? otherNameTables = null;
        for (int i = 0; i < sections.Count; i++)
        {
            if (sections[i].Type is RawSection.SymbolTable or RawSection.DynamicSymbols && sections[i].Link < sections.Count
                && sections[(int)sections[i].Link].Type != RawSection.StringTable)
            {
                (otherNameTables ??= []).Add((int)sections[i].Link);
            }
        }

        for (int i = 0; i < sections.Count; i++)
        {
            // The guards proved every section with file bytes lies inside the file; NULL and NOBITS sections have none.
            var table = sections[i];
            if ((table.Type == RawSection.StringTable || i == layout.NameTableIndex || otherNameTables?.Contains(i) == true)
                && table.Type is not (RawSection.Null or RawSection.NoBits) && MentionsIn(stream, table.Offset, table.Size, needles))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The byte strings <see cref="Mentions"/> looks for, made once per options (the scan asks for every file).</summary>
    private static byte[][] Needles(ScanOptions options) => NeedlesByOptions.GetValue(options, o =>
        [Encoding.ASCII.GetBytes(ParaInstructionsReader.SectionName + "\0"), .. o.Symbols.Keys.Select(symbol => Encoding.UTF8.GetBytes(symbol + "\0"))]);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ScanOptions, byte[][]> NeedlesByOptions = [];

    /// <summary>Whether bytes [offset, offset + size) of the stream hold any of the needles.</summary>
    private static bool MentionsIn(Stream stream, long offset, long size, byte[][] needles)
    {
        if (size <= 0)
        {
            return false;
        }

        if (stream is MemoryStream memory && memory.TryGetBuffer(out var whole))
        {
            return Holds(whole.AsSpan((int)offset, (int)size), needles);
        }

        // Held, not streamed: a module that names the symbol is parsed next, and the parser reads these tables again.
        if (stream is PlainFileStream file && size <= int.MaxValue && file.Hold(offset, (int)size) is { IsEmpty: false } held)
        {
            return Holds(held, needles);
        }

        int keep = needles.Max(n => n.Length) - 1;
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(1 << 18, size + keep));
        try
        {
            stream.Position = offset;
            long left = size;
            int carried = 0;
            int read;
            while (left > 0 && (read = stream.Read(buffer, carried, (int)Math.Min(buffer.Length - carried, left))) > 0)
            {
                left -= read;
                var window = buffer.AsSpan(0, carried + read);
                if (Holds(window, needles))
                {
                    return true;
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

    private static bool Holds(ReadOnlySpan<byte> bytes, byte[][] needles)
    {
        foreach (byte[] needle in needles)
        {
            if (bytes.IndexOf(needle) >= 0)
            {
                return true;
            }
        }

        return false;
    }
}
