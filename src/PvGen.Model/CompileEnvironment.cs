namespace PvGen.Model;

/// <summary>
/// The C environment a header is parsed and its generated code compiled in: target, kernel trees, -D, -I, -include.
/// One record, turned into compiler flags in one place, for libclang, the manifest, check and diff alike.
/// </summary>
/// <param name="KernelTree">A kernel source tree: the kernel's own include environment replaces the freestanding one.</param>
/// <param name="KernelBuild">The kernel build tree (generated headers, .config); the source tree when null.</param>
public sealed record CompileEnvironment(
    Target Target,
    string? KernelTree,
    string? KernelBuild,
    IReadOnlyList<string> Defines,
    IReadOnlyList<string> IncludeDirs,
    IReadOnlyList<string> Includes)
{
    /// <summary>The headers Kbuild force-includes, in its order (those the tree has).</summary>
    public static readonly string[] KernelForcedIncludes = ["linux/compiler-version.h", "linux/kconfig.h", "linux/compiler_types.h"];

    /// <summary>
    /// The warnings check compiles the exerciser with, the ops header included: every warning outside a system header is
    /// an error there, so the parser refuses a header that draws one (HeaderParser's severity rule).
    /// </summary>
    public static readonly IReadOnlyList<string> CheckWarnings = ["-Wall", "-Wextra", "-Werror", "-Wstrict-prototypes"];

    /// <summary>The same environment with every path mapped (made absolute, or relative to an output directory).</summary>
    public CompileEnvironment MapPaths(Func<string, string> map) => this with
    {
        KernelTree = KernelTree is null ? null : map(KernelTree),
        KernelBuild = KernelBuild is null ? null : map(KernelBuild),
        IncludeDirs = [.. IncludeDirs.Select(map)],
        Includes = [.. Includes.Select(map)],
    };

    /// <summary>
    /// The compiler flags of this environment (target flags such as -m32 are the compiler driver's): the kernel's
    /// include directories and forced includes when there is a kernel tree, then -D, -I and -include in order.
    /// Kernel include directories are system directories (-isystem): their own warnings are not ours to fix.
    /// </summary>
    /// <param name="display">How paths are written into the flags (e.g. relative to an output directory); the
    /// environment's own paths are the ones the file system is asked about.</param>
    public IReadOnlyList<string> Flags(bool kernelDirsAsSystem = false, Func<string, string>? display = null)
    {
        display ??= path => path;
        var flags = new List<string>();
        if (KernelTree is { } src)
        {
            string obj = KernelBuild ?? src;
            flags.Add("-nostdinc");
            foreach (string dir in KernelIncludeDirs(src, obj))
            {
                flags.AddRange(kernelDirsAsSystem ? ["-isystem", display(dir)] : ["-I" + display(dir)]);
            }

            foreach (string header in KernelForcedIncludes)
            {
                string path = Path.Combine(src, "include", header);
                if (File.Exists(path))
                {
                    flags.AddRange(["-include", display(path)]);
                }
            }

            flags.Add("-D__KERNEL__");
            flags.Add("-fno-PIE");
            flags.Add(Target.PointerSize == 4 ? "-mregparm=3" : "-mcmodel=kernel");
        }

        flags.AddRange(Defines.Select(d => "-D" + d));
        flags.AddRange(IncludeDirs.Select(d => "-I" + display(d)));
        foreach (string include in Includes)
        {
            flags.AddRange(["-include", display(include)]);
        }

        return flags;
    }

    /// <summary>Kbuild's include search order for a split source/build tree (as distributions ship headers).</summary>
    public static IReadOnlyList<string> KernelIncludeDirs(string src, string obj) =>
    [
        Path.Combine(src, "arch/x86/include"),
        Path.Combine(obj, "arch/x86/include/generated"),
        Path.Combine(src, "include"),
        Path.Combine(obj, "include"),
        Path.Combine(src, "arch/x86/include/uapi"),
        Path.Combine(obj, "arch/x86/include/generated/uapi"),
        Path.Combine(src, "include/uapi"),
        Path.Combine(obj, "include/generated/uapi"),
    ];
}
