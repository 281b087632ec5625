using PvGen.Model;

namespace PvGen.Clang;

/// <summary>Builds the clang command line for a request: freestanding by default, the kernel's own flags with a kernel tree.</summary>
public static class CompilerFlags
{
    /// <summary>Markers older ops headers use without defining; empty unless the header defines them.</summary>
    internal const string Prelude = """
        #ifndef fastcall
        #define fastcall
        #endif
        #ifndef asmlinkage
        #define asmlinkage
        #endif
        #ifndef notrace
        #define notrace
        #endif
        #ifndef __no_randomize_layout
        #define __no_randomize_layout
        #endif

        """;

    public static string DefaultResourceDir => Path.Combine(AppContext.BaseDirectory, "pvgen-resource");

    public static List<string> For(ParseRequest request)
    {
        var args = new List<string> { "-x", "c", $"-std={request.Std}", $"--target={request.Target.Triple}", "-D__PVGEN__=1" };
        if (request.KernelTree is { } tree)
        {
            AddKernelFlags(args, Path.GetFullPath(tree), Path.GetFullPath(request.KernelBuild ?? tree), request.Target);
        }
        else
        {
            // Our own freestanding headers, never the host's: the same model on every machine.
            args.Add("-resource-dir");
            args.Add(Path.GetFullPath(request.ResourceDir ?? DefaultResourceDir));
            args.Add("-nostdlibinc");
            args.Add("-ffreestanding");
        }

        // Headers that define fastcall & co. after our prelude must not warn.
        args.Add("-Wno-macro-redefined");
        foreach (string dir in request.IncludeDirs)
        {
            args.Add("-I" + Path.GetFullPath(dir));
        }

        foreach (string define in request.Defines)
        {
            args.Add("-D" + define);
        }

        foreach (string include in request.Includes)
        {
            args.Add("-include");
            args.Add(Path.GetFullPath(include));
        }

        return args;
    }

    /// <summary>The include environment of Kbuild for a split source/build tree (as distributions ship headers).</summary>
    public static void AddKernelFlags(List<string> args, string src, string obj, Target target)
    {
        args.Add("-nostdinc");
        string[] includeDirs =
        [
            $"{src}/arch/x86/include",
            $"{obj}/arch/x86/include/generated",
            $"{src}/include",
            $"{obj}/include",
            $"{src}/arch/x86/include/uapi",
            $"{obj}/arch/x86/include/generated/uapi",
            $"{src}/include/uapi",
            $"{obj}/include/generated/uapi",
        ];
        foreach (string dir in includeDirs)
        {
            args.Add("-I" + dir);
        }

        foreach (string header in new[] { "linux/compiler-version.h", "linux/kconfig.h", "linux/compiler_types.h" })
        {
            string path = Path.Combine(src, "include", header);
            if (File.Exists(path))
            {
                args.Add("-include");
                args.Add(path);
            }
        }

        args.Add("-D__KERNEL__");
        args.Add("-fno-PIE");
        if (target.PointerSize == 4)
        {
            args.Add("-mregparm=3");
        }
        else
        {
            args.Add("-mcmodel=kernel");
        }
    }
}
