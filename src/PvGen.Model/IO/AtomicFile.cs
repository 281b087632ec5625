using System.Text;

namespace PvGen.Model.IO;

/// <summary>
/// The one writer of output files. A file is written only when its content changes (so make rebuilds nothing) and
/// atomically (temp file in the same directory + rename), so an interrupted run never leaves half a file; a set of
/// files is staged completely before any of them replaces its old version.
/// </summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <returns>True when the file was written, false when it already held this content.</returns>
    public static bool WriteIfChanged(string path, string content) => WriteIfChanged(path, Utf8.GetBytes(content));

    public static bool WriteIfChanged(string path, byte[] content) => CommitAll([(path, content)]).Count == 1;

    /// <summary>
    /// Streams into a temp file beside <paramref name="path"/>, then replaces the file only when the result differs
    /// (for output too large to hold in memory, e.g. the scan of a whole kernel).
    /// </summary>
    public static bool WriteIfChanged(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string temp = TempFor(full);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
            }

            if (File.Exists(full) && SameBytes(full, temp))
            {
                return false;
            }

            File.Move(temp, full, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw NotWritable(path, e);
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    /// <summary>
    /// All or nothing: every changed file is staged as a temp file first; only when all are staged do they replace
    /// their targets. A failure while staging leaves every target as it was.
    /// </summary>
    /// <returns>The paths that were written (unchanged files are skipped), in the order given.</returns>
    public static IReadOnlyList<string> CommitAll(IEnumerable<(string Path, byte[] Content)> files)
    {
        var staged = new List<(string Given, string Full, string Temp)>();
        try
        {
            foreach (var (path, content) in files)
            {
                string full = Path.GetFullPath(path);
                if (File.Exists(full) && new FileInfo(full).Length == content.Length && File.ReadAllBytes(full).AsSpan().SequenceEqual(content))
                {
                    continue;
                }

                try
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                    string temp = TempFor(full);
                    staged.Add((path, full, temp));
                    File.WriteAllBytes(temp, content);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw NotWritable(path, e);
                }
            }

            foreach (var (given, full, temp) in staged)
            {
                try
                {
                    File.Move(temp, full, overwrite: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw NotWritable(given, e);
                }
            }

            return staged.Select(s => s.Given).ToList();
        }
        finally
        {
            foreach (var (_, _, temp) in staged)
            {
                DeleteQuietly(temp);
            }
        }
    }

    /// <summary>True when writing <paramref name="content"/> would change the file (for --check).</summary>
    public static bool IsStale(string path, string content) =>
        !File.Exists(path) || !File.ReadAllBytes(path).AsSpan().SequenceEqual(Utf8.GetBytes(content));

    public static byte[] Bytes(string content) => Utf8.GetBytes(content);

    private static string TempFor(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

    private static PvGenException NotWritable(string path, Exception e) =>
        PvGenException.Error(DiagnosticIds.OutputNotWritable, $"cannot write '{path}': {FileOnPath(path) ?? Describe(e)}");

    /// <summary>"'x' is a file, not a directory" when a directory the path needs exists as a file (the runtime says only "file exists").</summary>
    private static string? FileOnPath(string path)
    {
        for (string? parent = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent))
            {
                return $"'{parent}' is a file, not a directory";
            }
        }

        return null;
    }

    /// <summary>The runtime's IO messages in words of ours (the build strips resource strings, so they can be bare keys).</summary>
    /// <param name="path">The file that was read, if any: a directory there is said as such (the runtime says "access denied").</param>
    public static string Describe(Exception e, string? path = null) => e switch
    {
        UnauthorizedAccessException or IOException when path is not null && Directory.Exists(path) => "it is a directory, not a file",
        UnauthorizedAccessException => "permission denied",
        DirectoryNotFoundException => "a directory on the path does not exist",
        PathTooLongException => "the path is too long",
        FileNotFoundException => "no such file",
        IOException io when io.HResult == 28 || io.Message.Contains("space", StringComparison.OrdinalIgnoreCase) => "no space left on the device",
        IOException io when io.HResult == 21 => "it is a directory",
        IOException io when io.HResult == 20 => "a component of the path is not a directory",
        IOException io when io.HResult == 30 => "read-only file system",
        _ => RuntimeMessages.Describe(e),
    };

    private static bool SameBytes(string a, string b)
    {
        var (left, right) = (new FileInfo(a), new FileInfo(b));
        if (left.Length != right.Length)
        {
            return false;
        }

        using var x = File.OpenRead(a);
        using var y = File.OpenRead(b);
        Span<byte> bx = stackalloc byte[8192], by = stackalloc byte[8192];
        int n;
        while ((n = x.ReadAtLeast(bx, bx.Length, throwOnEndOfStream: false)) > 0)
        {
            y.ReadExactly(by[..n]);
            if (!bx[..n].SequenceEqual(by[..n]))
            {
                return false;
            }
        }

        return true;
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temp file we cannot remove is left behind; the target is still consistent.
        }
    }
}
