using PvGen.Model;

namespace PvGen.Clang;

/// <summary>Builds the clang command line for a request: freestanding by default, the kernel's own flags with a kernel tree.</summary>
public static class CompilerFlags
{
    /// <summary>
    /// The C standards clang 19 takes for -std= (clang's LangStandards.def, C entries). libclang answers any other with
    /// nothing but "AstReadError", so a value outside this list is refused before it is asked.
    /// </summary>
    public static readonly IReadOnlyList<string> CStandards =
    [
        "c89", "c90", "iso9899:1990", "iso9899:199409", "gnu89", "gnu90",
        "c99", "c9x", "iso9899:1999", "iso9899:199x", "gnu99", "gnu9x",
        "c11", "c1x", "iso9899:2011", "iso9899:201x", "gnu11", "gnu1x",
        "c17", "c18", "iso9899:2017", "iso9899:2018", "gnu17", "gnu18",
        "c23", "c2x", "iso9899:2024", "gnu23", "gnu2x", "c2y", "gnu2y",
    ];

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

    /// <summary>libclang's command line: the request's environment, freestanding (our own resource headers) without a kernel tree.</summary>
    public static List<string> For(ParseRequest request)
    {
        var args = new List<string> { "-x", "c", $"-std={request.Std}", $"--target={request.Target.Triple}", "-D__PVGEN__=1" };
        var environment = request.Environment.MapPaths(Path.GetFullPath);
        if (environment.KernelTree is null)
        {
            // Our own freestanding headers, never the host's: the same model on every machine.
            args.Add("-resource-dir");
            args.Add(Path.GetFullPath(request.ResourceDir ?? DefaultResourceDir));
            args.Add("-nostdlibinc");
            args.Add("-ffreestanding");
        }

        // Headers that define fastcall & co. after our prelude must not warn.
        args.Add("-Wno-macro-redefined");
        args.AddRange(environment.Flags());
        return args;
    }
}

/// <summary>What a kernel build tree's own configuration says.</summary>
public static class KernelConfig
{
    /// <summary>The target a configured tree was built for (CONFIG_X86_64=y or CONFIG_X86_32=y in its .config), or null when it does not say.</summary>
    public static Target? TargetOf(string buildTree)
    {
        string config = Path.Combine(buildTree, ".config");
        if (!File.Exists(config))
        {
            return null;
        }

        foreach (string line in File.ReadLines(config))
        {
            if (line == "CONFIG_X86_64=y")
            {
                return Target.X86_64;
            }

            if (line == "CONFIG_X86_32=y")
            {
                return Target.I386;
            }
        }

        return null;
    }
}
