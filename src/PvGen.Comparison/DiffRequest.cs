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
/// <param name="Prove">What `pvgen prove` needs to run both styles of each build patched (measurement 7); null skips it.</param>
public sealed record TargetInput(
    Target Target,
    OpsModel Model,
    string MacroHeader,
    string PlainHeader,
    IReadOnlyList<string> CompileFlags,
    IReadOnlyDictionary<int, ExpectedOp> Expected,
    Proving.ProveTarget? Prove = null,
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

/// <summary>What names a build in the report: its id and the cell of the matrix (or the kernel's own build flags).</summary>
public sealed record BuildIdentity(string Id, string Compiler, string CompilerVersion, string Target, string Opt, bool Pic);

/// <summary>One source file's objects in both styles; a null object with an error means that style did not build.</summary>
/// <param name="File">How the report names the source (a corpus file name, or a kernel object's tree path).</param>
public sealed record ObjectPair(string File, string? MacroObject, string? PlainObject, string? MacroError, string? PlainError);
