using System.Text;

namespace PvGen.Model.IO;

/// <summary>
/// Writes a file only when its content changes (so make rebuilds nothing) and atomically
/// (temp file in the same directory + rename), so an interrupted run never leaves half a file.
/// </summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <returns>True when the file was written, false when it already held this content.</returns>
    public static bool WriteIfChanged(string path, string content) => WriteIfChanged(path, Utf8.GetBytes(content));

    public static bool WriteIfChanged(string path, byte[] content)
    {
        string full = Path.GetFullPath(path);
        if (File.Exists(full) && new FileInfo(full).Length == content.Length && File.ReadAllBytes(full).AsSpan().SequenceEqual(content))
        {
            return false;
        }

        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllBytes(temp, content);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }

        return true;
    }

    /// <summary>True when writing <paramref name="content"/> would change the file (for --check).</summary>
    public static bool IsStale(string path, string content) =>
        !File.Exists(path) || !File.ReadAllBytes(path).AsSpan().SequenceEqual(Utf8.GetBytes(content));
}
