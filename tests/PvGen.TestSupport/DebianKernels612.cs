using System.Diagnostics;

namespace PvGen.TestSupport;

/// <summary>
/// Debian 12's 6.12 kernel (the first packaged era of 6.8+ <c>.altinstructions</c> pv sites): headers for amd64 and the
/// cloud-amd64 modules (all <c>.ko.xz</c>), found in the cache scripts/fetch-debian-kernels.sh fills (same layout:
/// <c>root/usr/src/linux-headers-VER-{common,amd64}</c>, <c>root/lib/modules/VER-cloud-amd64</c>). Tests that need
/// plain <c>.ko</c> files (objdump, the decompressor-free paths) get a decompressed copy made once with <c>xz -dk</c>.
/// </summary>
public sealed record DebianKernels612(string Version, string Source, string BuildAmd64, string ModulesCompressed)
{
    public static string Cache => Environment.GetEnvironmentVariable("PVGEN_KERNEL_CACHE") ?? "/var/cache/pvgen/debian-kernels";

    public static DebianKernels612? Instance { get; } = Find();

    public static string Reason =>
        $"Debian 6.12 headers and cloud-amd64 modules not unpacked under {Cache}/root (linux-headers-6.12.*+deb12-{{common,amd64}}, linux-image-6.12.*+deb12-cloud-amd64-unsigned)";

    private static readonly Lock Gate = new();

    /// <summary>A plain-.ko copy of the modules (xz -d of every file), made on first use next to the cache.</summary>
    public string ModulesDecompressed()
    {
        string target = Path.Combine(Cache, "decompressed", Path.GetFileName(ModulesCompressed));
        lock (Gate)
        {
            if (Directory.Exists(target))
            {
                return target;
            }

            string temporary = $"{target}.tmp-{Environment.ProcessId}";
            if (Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }

            CopyTree(ModulesCompressed, temporary);
            var compressed = Directory.GetFiles(temporary, "*.ko.xz", SearchOption.AllDirectories);
            foreach (var chunk in compressed.Chunk(128))
            {
                var result = Tool.Run("xz", ["-d", "-T1", .. chunk]);
                if (result.ExitCode != 0)
                {
                    throw new InvalidOperationException("xz -d failed: " + result);
                }
            }

            try
            {
                Directory.Move(temporary, target);
            }
            catch (IOException) when (Directory.Exists(target))
            {
                // Another test process made it first.
                Directory.Delete(temporary, recursive: true);
            }

            return target;
        }
    }

    private static void CopyTree(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            if (!File.GetAttributes(file).HasFlag(FileAttributes.ReparsePoint))
            {
                File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
            }
        }
    }

    private static DebianKernels612? Find()
    {
        string src = Path.Combine(Cache, "root", "usr", "src");
        if (!Directory.Exists(src))
        {
            return null;
        }

        // Newest 6.12 ABI whose common and amd64 headers and cloud-amd64 modules are all there.
        foreach (string common in Directory.GetDirectories(src, "linux-headers-6.12.*-common").OrderByDescending(d => d, StringComparer.Ordinal))
        {
            string name = Path.GetFileName(common);
            if (name.EndsWith("-rt-common", StringComparison.Ordinal) || name.Contains("common-rt", StringComparison.Ordinal))
            {
                continue;
            }

            string version = name["linux-headers-".Length..^"-common".Length];
            string build = Path.Combine(src, $"linux-headers-{version}-amd64");
            string modules = Path.Combine(Cache, "root", "lib", "modules", $"{version}-cloud-amd64");
            if (Directory.Exists(build) && Directory.Exists(modules))
            {
                return new DebianKernels612(version, common, build, modules);
            }
        }

        Debug.WriteLine("no complete Debian 6.12 kernel under " + src);
        return null;
    }
}
