namespace PvGen.TestSupport;

/// <summary>
/// Debian 12's kernel sources (linux-source-6.1 and -6.12) and the headers of the same versions, as
/// scripts/fetch-kernel-sources.sh leaves them. Real-build tests skip with <see cref="Reason"/> when they are absent.
/// </summary>
public sealed record KernelSources(KernelSources.Kernel Linux61, KernelSources.Kernel Linux612)
{
    /// <param name="Tarball">linux-source-X.Y.tar.xz.</param>
    /// <param name="Build">The linux-headers-*-amd64 flavour directory (its .config).</param>
    /// <param name="Headers">The linux-headers-*-common directory (the source side of the headers).</param>
    public sealed record Kernel(string Name, string Tarball, string Build, string Headers);

    public static string EnvFile =>
        Path.Combine(Environment.GetEnvironmentVariable("PVGEN_KERNEL_SOURCES") ?? "/var/cache/pvgen/kernel-sources", "kernel-sources.env");

    public static KernelSources? Instance { get; } = Load();

    public static string Reason => $"Debian kernel sources not fetched ({EnvFile} missing): run scripts/fetch-kernel-sources.sh";

    /// <summary>
    /// The kernels whose objects the real-build tests build: $PVGEN_KBUILD_KERNELS (comma- or space-separated, e.g. "6.1"),
    /// else both. CI builds one (configure + prepare of three trees is most of the cost); scripts/kernel-diff.sh builds both.
    /// </summary>
    public static IReadOnlyList<string> BuiltKernels { get; } =
        Environment.GetEnvironmentVariable("PVGEN_KBUILD_KERNELS") is { Length: > 0 } list
            ? list.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : ["6.1", "6.12"];

    /// <summary>Why the real builds of <paramref name="kernel"/> do not run here, or null when they do.</summary>
    public static string? BuildSkipReason(string kernel) =>
        Instance is null ? Reason
        : BuiltKernels.Contains(kernel) ? null
        : $"real builds of {kernel} left out here (PVGEN_KBUILD_KERNELS={string.Join(',', BuiltKernels)}): scripts/kernel-diff.sh builds both kernels";

    public Kernel this[string name] => name == "6.1" ? Linux61 : name == "6.12" ? Linux612 : throw new ArgumentException(name);

    private static KernelSources? Load()
    {
        if (!File.Exists(EnvFile))
        {
            return null;
        }

        var values = File.ReadAllLines(EnvFile).Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim().Trim('"', '\''));
        Kernel Get(string name, string key) => new(name, values[$"PVGEN_KSRC_{key}_TARBALL"], values[$"PVGEN_KSRC_{key}_BUILD"], values[$"PVGEN_KSRC_{key}_HEADERS"]);
        var sources = new KernelSources(Get("6.1", "61"), Get("6.12", "612"));
        return new[] { sources.Linux61, sources.Linux612 }.All(k => File.Exists(k.Tarball) && File.Exists(Path.Combine(k.Build, ".config"))) ? sources : null;
    }
}
