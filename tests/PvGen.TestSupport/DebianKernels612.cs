using System.Diagnostics;

namespace PvGen.TestSupport;

/// <summary>
/// Debian 12's 6.12 kernel (the first packaged era of 6.8+ <c>.altinstructions</c> pv sites): headers for amd64 and the
/// cloud-amd64 modules (all <c>.ko.xz</c>), as scripts/fetch-debian-kernels.sh fills the cache and names them in
/// kernels.env (PVGEN_KERNEL612_*; without those keys, found by the same layout:
/// <c>root/usr/src/linux-headers-VER-{common,amd64}</c>, <c>root/lib/modules/VER-cloud-amd64</c>). Tests that need
/// plain <c>.ko</c> files (objdump, the decompressor-free paths) get the copy the script made with <c>xz -dc</c>
/// (or one made here once with <c>xz -d</c>).
/// </summary>
/// <param name="ModulesCompressed">The shipped tree: every module a <c>.ko.xz</c>.</param>
/// <param name="BuildCloudAmd64">The cloud-amd64 build tree (the modules' own flavour), or null when not fetched.</param>
public sealed record DebianKernels612(string Version, string Source, string BuildAmd64, string ModulesCompressed, string? BuildCloudAmd64 = null)
{
    public static string Cache => Environment.GetEnvironmentVariable("PVGEN_KERNEL_CACHE") ?? "/var/cache/pvgen/debian-kernels";

    public static DebianKernels612? Instance { get; } = Find();

    /// <summary>The modules are the cloud-amd64 flavour's (the one paravirt-facts section 12 counts).</summary>
    public bool IsCloudFlavour => ModulesCompressed.EndsWith("-cloud-amd64", StringComparison.Ordinal);

    public static string Reason =>
        $"Debian 6.12 headers and cloud-amd64 modules not unpacked under {Cache}/root (linux-headers-6.12.*+deb12-{{common,amd64}}, linux-image-6.12.*+deb12-cloud-amd64-unsigned)";

    private static readonly Lock Gate = new();

    /// <summary>The plain copy of a shipped module (<c>X.ko.xz</c> to <c>X.ko</c>).</summary>
    public string PlainOf(string compressed) =>
        Path.Combine(ModulesDecompressed(), Path.GetRelativePath(ModulesCompressed, compressed)[..^".xz".Length]);

    /// <summary>A plain-.ko copy of the modules (xz -d of every file): the script's, else made on first use next to the cache.</summary>
    public string ModulesDecompressed()
    {
        if (DebianKernels.Values.TryGetValue("PVGEN_KERNEL612_MODULES_CLOUD_AMD64_PLAIN", out var made) && Directory.Exists(made))
        {
            return made;
        }

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
        var keys = DebianKernels.Values;
        if (keys.TryGetValue("PVGEN_KERNEL612_ABI", out var abi) && keys.TryGetValue("PVGEN_KERNEL612_SRC", out var source)
            && keys.TryGetValue("PVGEN_KERNEL612_BUILD_AMD64", out var amd64) && keys.TryGetValue("PVGEN_KERNEL612_MODULES_CLOUD_AMD64", out var shipped)
            && Directory.Exists(source) && Directory.Exists(shipped))
        {
            return new DebianKernels612(abi, source, amd64, shipped, keys.GetValueOrDefault("PVGEN_KERNEL612_BUILD_CLOUD_AMD64"));
        }

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
            // The cloud flavour is the smaller download (paravirt-facts section 12 counts it); the amd64 flavour serves too.
            string? modules = new[] { "cloud-amd64", "amd64" }
                .Select(flavour => Path.Combine(Cache, "root", "lib", "modules", $"{version}-{flavour}"))
                .FirstOrDefault(Directory.Exists);
            if (Directory.Exists(build) && modules is not null)
            {
                return new DebianKernels612(version, common, build, modules);
            }
        }

        Debug.WriteLine("no complete Debian 6.12 kernel under " + src);
        return null;
    }
}
