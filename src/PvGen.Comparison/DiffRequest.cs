using PvGen.Checking.Annotations;
using PvGen.Checking.Toolchain;
using PvGen.Model;

namespace PvGen.Comparison;

/// <summary>What one target needs: its model, both generated wrapper headers on disk, and the flags the header was parsed with.</summary>
/// <param name="MacroHeader">Absolute path of BASE_macro.h (force-included).</param>
/// <param name="PlainHeader">Absolute path of BASE_plain.h (force-included).</param>
/// <param name="CompileFlags">-D/-I/-include flags of the parse, absolute paths.</param>
/// <param name="Expected">Per slot: native length and friends, from pvgen.json.</param>
/// <param name="MarkerHeader">Absolute path of BASE_marker.h when the marker style is diffed too, else null.</param>
public sealed record TargetInput(
    Target Target,
    OpsModel Model,
    string MacroHeader,
    string PlainHeader,
    IReadOnlyList<string> CompileFlags,
    IReadOnlyDictionary<int, ExpectedOp> Expected,
    string? MarkerHeader = null);

/// <summary>The matrix to build and where to build it.</summary>
/// <param name="Corpus">Caller sources (absolute paths).</param>
/// <param name="WorkDirectory">Objects and executables go here, one directory per build.</param>
/// <param name="Jobs">Builds run in parallel.</param>
public sealed record DiffRequest(
    IReadOnlyList<TargetInput> Targets,
    IReadOnlyList<string> Corpus,
    IReadOnlyList<Compiler> Compilers,
    IReadOnlyList<string> Optimizations,
    IReadOnlyList<bool> Pic,
    string WorkDirectory,
    int Jobs);

/// <summary>One cell of the matrix.</summary>
public sealed record BuildKey(Compiler Compiler, TargetInput Input, string Optimization, bool Pic)
{
    public BuildFlavour Flavour => new(Input.Target, Optimization, Pic);

    /// <summary>A stable, file-system safe name: gcc-x86_64-O2-nopic.</summary>
    public string Id => $"{Compiler.Family}-{Input.Target.Arch}-{Optimization}-{(Pic ? "pic" : "nopic")}";
}
