using System.Globalization;
using PvGen.Model;

namespace PvGen.Kernel;

/// <summary>One step of a long kernel run, for progress displays.</summary>
/// <param name="Step">extract, copy, configure, prepare, build, import, scan, or note (a sentence the run must say).</param>
/// <param name="Done">Work done so far in <paramref name="Total"/>'s unit (bytes, objects); 0 of 0 when unknown.</param>
public sealed record KernelProgress(string Step, string Detail, long Done = 0, long Total = 0);

/// <summary>The errors of kernel runs.</summary>
public static class KernelTrees
{
    /// <summary>An unusable kernel tree, configuration or tool: an input problem (exit code 2).</summary>
    public static PvGenException Unusable(string message) => PvGenException.Error(DiagnosticIds.KernelTreeUnusable, message);
}

/// <summary>An unpacked kernel source tree.</summary>
/// <param name="Version">From the tree's Makefile, e.g. 6.1.192.</param>
/// <param name="Tarball">The archive it was extracted from, or null for a tree given as a directory.</param>
public sealed record KernelSource(string Root, string Version, string? Tarball)
{
    public string ParavirtHeader => Path.Combine(Root, "arch", "x86", "include", "asm", "paravirt.h");

    public string TypesHeader => Path.Combine(Root, "arch", "x86", "include", "asm", "paravirt_types.h");
}

/// <summary>Where kernel sources are extracted and kernel trees configured and built, so a second run rebuilds only what changed.</summary>
public sealed class KernelCache(string root)
{
    public const string EnvironmentVariable = "PVGEN_KERNEL_BUILD_CACHE";

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>--kernel-cache, else $PVGEN_KERNEL_BUILD_CACHE, else /var/cache/pvgen/kernel-build when writable, else ~/.cache/pvgen/kernel-build.</summary>
    public static KernelCache Resolve(string? given)
    {
        if ((given ?? Environment.GetEnvironmentVariable(EnvironmentVariable)) is { Length: > 0 } chosen)
        {
            return new KernelCache(chosen);
        }

        const string shared = "/var/cache/pvgen/kernel-build";
        try
        {
            Directory.CreateDirectory(shared);
            string probe = Path.Combine(shared, $".probe-{Environment.ProcessId}");
            File.WriteAllText(probe, string.Empty);
            File.Delete(probe);
            return new KernelCache(shared);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new KernelCache(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "pvgen", "kernel-build"));
        }
    }

    /// <summary>
    /// Holds the lock of one cache directory for the life of the returned handle; another pvgen on the same directory
    /// waits (and says so) instead of building into it at the same time.
    /// </summary>
    public static IDisposable Lock(string directory, Action<KernelProgress>? progress)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, ".lock");
        bool said = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                if (!said)
                {
                    progress?.Invoke(new KernelProgress("note", $"waiting for another pvgen that is using {directory}"));
                    said = true;
                }

                Thread.Sleep(1000);
            }
        }
    }

    /// <summary>
    /// A kernel source: a directory is used as it is (never written to); a .tar.xz, .tar.gz or .tar (Debian's
    /// linux-source-X.Y ships /usr/src/linux-source-X.Y.tar.xz) is extracted once into the cache, with progress.
    /// </summary>
    public KernelSource Source(string path, Action<KernelProgress>? progress)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            return Checked(full, null);
        }

        if (!File.Exists(full))
        {
            throw KernelTrees.Unusable($"kernel source '{path}' not found (give an unpacked tree or a linux-source .tar.xz)");
        }

        string name = Path.GetFileName(full);
        string? compression = name.EndsWith(".tar.xz", StringComparison.Ordinal) ? "-J"
            : name.EndsWith(".tar.gz", StringComparison.Ordinal) || name.EndsWith(".tgz", StringComparison.Ordinal) ? "-z"
            : name.EndsWith(".tar", StringComparison.Ordinal) ? string.Empty
            : null;
        if (compression is null)
        {
            throw KernelTrees.Unusable($"kernel source '{path}' is neither a directory nor a .tar.xz/.tar.gz/.tar archive");
        }

        var info = new FileInfo(full);
        string identity = $"{full}\n{info.Length}\n{info.LastWriteTimeUtc.Ticks}";
        string stem = name[..name.IndexOf(".tar", StringComparison.Ordinal)];
        string destination = Path.Combine(Root, "sources", $"{stem}-{Processes.Sha256(identity)[..12]}");
        using (Lock(Path.Combine(Root, "sources"), progress))
        {
            string marker = Path.Combine(destination, ".pvgen-extracted");
            if (!File.Exists(marker))
            {
                Extract(full, compression, destination, info.Length, progress);
                File.WriteAllText(marker, identity + "\n");
            }
        }

        var tops = Directory.GetDirectories(destination);
        if (tops.Length != 1)
        {
            throw KernelTrees.Unusable($"'{name}' holds {tops.Length} top-level directories; a kernel source archive holds one");
        }

        return Checked(tops[0], full);
    }

    private static void Extract(string archive, string compression, string destination, long size, Action<KernelProgress>? progress)
    {
        string temporary = destination + $".partial-{Environment.ProcessId}";
        if (Directory.Exists(temporary))
        {
            Directory.Delete(temporary, recursive: true);
        }

        Directory.CreateDirectory(temporary);
        string name = Path.GetFileName(archive);
        progress?.Invoke(new KernelProgress("extract", name, 0, size));
        string tar = Processes.Which("tar") ?? throw KernelTrees.Unusable("tar is not installed: it extracts the kernel source archive");
        using var input = File.OpenRead(archive);
        var args = new List<string> { "-x" };
        if (compression.Length > 0)
        {
            args.Add(compression);
        }

        args.AddRange(["-f", "-", "-C", temporary]);
        var run = Processes.Run(tar, args, input: input, onInput: done => progress?.Invoke(new KernelProgress("extract", name, done, size)));
        if (run.ExitCode != 0)
        {
            Directory.Delete(temporary, recursive: true);
            throw KernelTrees.Unusable($"extracting '{archive}' failed: {run.Tail(3)}");
        }

        if (Directory.Exists(destination))
        {
            Directory.Delete(destination, recursive: true);
        }

        Directory.Move(temporary, destination);
    }

    private static KernelSource Checked(string root, string? tarball)
    {
        string makefile = Path.Combine(root, "Makefile");
        var source = new KernelSource(root, string.Empty, tarball);
        foreach (string needed in new[] { makefile, source.ParavirtHeader, source.TypesHeader })
        {
            if (!File.Exists(needed))
            {
                throw KernelTrees.Unusable($"'{root}' is not an x86 kernel source tree: {Path.GetRelativePath(root, needed)} is missing");
            }
        }

        return source with { Version = MakefileVersion(makefile) };
    }

    /// <summary>VERSION.PATCHLEVEL.SUBLEVEL from the first assignments of the top-level Makefile.</summary>
    internal static string MakefileVersion(string makefile)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(makefile).Take(20))
        {
            int equals = line.IndexOf('=');
            if (equals > 0)
            {
                values.TryAdd(line[..equals].Trim(), line[(equals + 1)..].Trim());
            }
        }

        string Get(string key) => values.TryGetValue(key, out string? v) && v.Length > 0 ? v : "?";
        return string.Create(CultureInfo.InvariantCulture, $"{Get("VERSION")}.{Get("PATCHLEVEL")}.{Get("SUBLEVEL")}");
    }
}
