namespace PvGen.TestSupport;

/// <summary>
/// The Debian 12 kernel headers and modules unpacked by scripts/fetch-debian-kernels.sh.
/// Tests that need them skip with this class's <see cref="Reason"/> when they are absent.
/// </summary>
public sealed record DebianKernels(string Abi, string Source, string BuildAmd64, string BuildI386, string ModulesAmd64, string ModulesI386)
{
    public static string EnvFile =>
        Path.Combine(Environment.GetEnvironmentVariable("PVGEN_KERNEL_CACHE") ?? "/var/cache/pvgen/debian-kernels", "kernels.env");

    public static DebianKernels? Instance { get; } = Load();

    public static string Reason => $"Debian kernel packages not unpacked ({EnvFile} missing): run scripts/fetch-debian-kernels.sh";

    /// <summary>Every key of kernels.env (empty when it is missing).</summary>
    public static IReadOnlyDictionary<string, string> Values { get; } = ReadValues();

    /// <summary>The build tree of a flavour: amd64 for x86_64, 686-pae for i386.</summary>
    public string Build(string arch) => arch == "x86_64" ? BuildAmd64 : BuildI386;

    public string Modules(string arch) => arch == "x86_64" ? ModulesAmd64 : ModulesI386;

    private static Dictionary<string, string> ReadValues() =>
        !File.Exists(EnvFile) ? []
        : File.ReadAllLines(EnvFile)
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim().Trim('"'));

    private static DebianKernels? Load()
    {
        if (!File.Exists(EnvFile))
        {
            return null;
        }

        var values = ReadValues();
        string Get(string key) => values.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{EnvFile} lacks {key}");
        var kernels = new DebianKernels(
            Get("PVGEN_KERNEL_ABI"), Get("PVGEN_KERNEL_SRC"), Get("PVGEN_KERNEL_BUILD_AMD64"), Get("PVGEN_KERNEL_BUILD_I386"),
            Get("PVGEN_KERNEL_MODULES_AMD64"), Get("PVGEN_KERNEL_MODULES_I386"));
        return Directory.Exists(kernels.Source) ? kernels : null;
    }
}

/// <summary>
/// The vmlinux of two Debian -dbg packages (keys separate from the modules, so a missing -dbg package skips only these):
/// 6.1 (linked with --emit-relocs, relocations kept) and 6.12 (relocations stripped, as from 6.5 on).
/// </summary>
public static class DebianVmlinux
{
    /// <summary>linux-image-6.1.0-*-cloud-amd64-dbg's vmlinux, or null.</summary>
    public static string? Linux61 => Existing("PVGEN_VMLINUX61_CLOUD_AMD64");

    /// <summary>linux-image-6.12.*+deb12-cloud-amd64-dbg's vmlinux, or null.</summary>
    public static string? Linux612 => Existing("PVGEN_VMLINUX612_CLOUD_AMD64");

    public static string Reason(string version) =>
        $"the {version} cloud-amd64 vmlinux is not extracted (PVGEN_VMLINUX{version.Replace(".", string.Empty, StringComparison.Ordinal)}_CLOUD_AMD64 missing in {DebianKernels.EnvFile}): run scripts/fetch-debian-kernels.sh";

    private static string? Existing(string key) =>
        DebianKernels.Values.TryGetValue(key, out var path) && File.Exists(path) ? path : null;
}
