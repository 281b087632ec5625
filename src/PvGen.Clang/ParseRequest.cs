using PvGen.Model;
using PvGen.Model.Config;

namespace PvGen.Clang;

/// <summary>Everything the parser needs: one header, one struct, one target, the include environment.</summary>
public sealed record ParseRequest
{
    public required string HeaderPath { get; init; }
    public required string StructName { get; init; }
    public string? Symbol { get; init; }
    public Target Target { get; init; } = Target.X86_64;
    public IReadOnlyList<string> IncludeDirs { get; init; } = [];
    public IReadOnlyList<string> Defines { get; init; } = [];
    public IReadOnlyList<string> Includes { get; init; } = [];
    public string Std { get; init; } = "gnu11";

    /// <summary>A kernel source tree; switches to the kernel's own include flags.</summary>
    public string? KernelTree { get; init; }

    /// <summary>The kernel build tree (generated headers, .config); defaults to the source tree.</summary>
    public string? KernelBuild { get; init; }

    /// <summary>Overrides the bundled freestanding headers.</summary>
    public string? ResourceDir { get; init; }

    public string CalleeSaveType { get; init; } = "paravirt_callee_save";

    /// <summary>Per-op configuration (callee-save signatures); null when there is none.</summary>
    public OpsConfig? Config { get; init; }

    /// <summary>The environment the header is compiled in (the same one generated code is compiled in later).</summary>
    public CompileEnvironment Environment => new(Target, KernelTree, KernelBuild, Defines, IncludeDirs, Includes);

    /// <summary>Paths in the model are written relative to this directory when below it.</summary>
    public string BaseDirectory { get; init; } = System.Environment.CurrentDirectory;
}

/// <summary>The model (null when an error stopped the parse) and every diagnostic, in order.</summary>
public sealed record ParseResult(OpsModel? Model, IReadOnlyList<Diagnostic> Diagnostics)
{
    /// <summary>
    /// Every file the parse read (clang_getInclusions: the header and each file it included, transitively), as absolute
    /// paths, sorted and distinct; the generated main file is not one. What a later run must find unchanged to skip the parse.
    /// </summary>
    public IReadOnlyList<string> Inclusions { get; init; } = [];

    public bool Succeeded => Model is not null && !Diagnostics.Any(d => d.Severity == Severity.Error);
}
