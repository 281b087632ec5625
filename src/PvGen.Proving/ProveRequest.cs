using PvGen.Checking.Toolchain;
using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.Config;

namespace PvGen.Proving;

/// <summary>
/// One target to prove: the generation request every verb builds from the header and pvgen.json (model, per-op
/// configuration, generate settings, compile environment); the proof generates each style from it.
/// </summary>
/// <param name="HeaderPath">The ops header (absolute), for the generated headers' #include; null when generate's "include" names it.</param>
public sealed record ProveTarget(GenerationRequest Generation, string? HeaderPath)
{
    public OpsModel Model => Generation.Model;

    public OpsConfig? Config => Generation.Config;

    public GenerateSettings Settings => Generation.Settings;

    /// <summary>-D/-I/-include (and a kernel tree's) flags of the parse, absolute paths.</summary>
    public IReadOnlyList<string> CompileFlags => Generation.Environment.Flags();
}

/// <summary>
/// The styles a proof builds: the macro style's records, the plain style annotated with `pvgen annotate` at every
/// patchable reference, and the marker style annotated at the calls its markers pair with.
/// </summary>
public static class ProveStyles
{
    public const string Macro = "macro";
    public const string Plain = "plain";
    public const string Marker = "marker";

    /// <summary>What a proof builds unless told otherwise (the two designs PvGen generates by default).</summary>
    public static readonly IReadOnlyList<string> Default = [Macro, Plain];

    public static readonly IReadOnlyList<string> Known = [Macro, Plain, Marker];
}

/// <summary>What to prove and where to build it.</summary>
/// <param name="Corpus">Caller sources (absolute paths); the exerciser of every wrapper always runs too.</param>
/// <param name="Formats">Record formats by name; null: every format each target supports.</param>
/// <param name="TemplateDirectory">Template overrides (the generated headers' and the harness's), or null.</param>
/// <param name="TimeoutSeconds">How long one program may run.</param>
/// <param name="Exerciser">Run the generated exerciser (every wrapper once) besides the corpus; `pvgen diff` proves its corpus alone.</param>
/// <param name="Pic">Code models of the workload: false (kernel-like, the default), true (-fpic, module-like; the harness stays non-PIC).</param>
/// <param name="AnnotationFault">
/// Fault injection for the proof's own negative tests: rewrites an object's planned records before they are written
/// (a record moved, shortened, or put on a tail jump). Null everywhere else.
/// </param>
public sealed record ProveRequest(
    IReadOnlyList<ProveTarget> Targets,
    IReadOnlyList<string> Corpus,
    IReadOnlyList<Compiler> Compilers,
    IReadOnlyList<string> Optimizations,
    IReadOnlyList<string>? Formats,
    IReadOnlyList<string> Styles,
    string? TemplateDirectory,
    string WorkDirectory,
    int Jobs,
    int TimeoutSeconds = 60,
    IReadOnlyList<bool>? Pic = null,
    bool Exerciser = true,
    Func<string, Binary.Annotating.AnnotationPlan, Binary.Annotating.AnnotationPlan>? AnnotationFault = null);

