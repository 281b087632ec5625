using System.Text.Json.Serialization;

namespace PvGen.Comparison;

/// <summary>The whole diff: schema pvgen.diff/1 (docs/diff-schema.md). Property names become snake_case in JSON.</summary>
/// <param name="Kernel">Real kernel objects built with Kbuild (pvgen diff --kernel-source): the tree, the equivalence of the
/// kernel's own build and the macro drop-in's, per-object warnings. Null (and absent from the JSON) for a corpus diff.</param>
public sealed record DiffReport(
    string Schema,
    string Struct,
    string Symbol,
    IReadOnlyList<string> Corpus,
    IReadOnlyList<BuildResult> Builds,
    IReadOnlyList<OpVerdict> Ops,
    DiffTotals Totals,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    KernelReport? Kernel = null)
{
    public const string SchemaId = "pvgen.diff/1";
}

/// <summary>One compiler x target x optimisation x code model build of the corpus in both styles.</summary>
/// <param name="Error">Neither style built: nothing was measured.</param>
/// <param name="MacroError">The macro style did not build (its counts are zero; functions and verdicts need both styles and are empty).</param>
/// <param name="PlainError">The plain style did not build.</param>
public sealed record BuildResult(
    string Id, string Compiler, string CompilerVersion, string Target, string Opt, bool Pic,
    string? Error,
    string? MacroError,
    string? PlainError,
    ApproachCounts Macro,
    ApproachCounts Reloc,
    RegisterEnvironment RegisterEnvironment,
    IReadOnlyList<FunctionCost> Functions,
    IReadOnlyList<SiteRecord> Sites,
    IReadOnlyList<SiteRecord> Lost,
    IReadOnlyList<RelocTypeCount> RelocTypes,
    LinkResult? Link,
    IReadOnlyList<OpVerdict> Ops,
    Behaviour? Behaviour = null)
{
    /// <summary>The marker style's measures (null, and absent from the JSON, unless --style asked for marker).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MarkerMeasures? Marker { get; init; }
}

/// <summary>
/// The marker style in one build: the same measures as the other two columns (sites, lengths, code, saves) for the sites its
/// markers were paired with, plus how far each marker sat from its call.
/// </summary>
/// <param name="Error">The marker style did not build (everything else is zero).</param>
/// <param name="Counts">Sites = markers paired with a call or jmp (References = every marker found).</param>
/// <param name="Markers">Every marker found: the NONE relocations against the table.</param>
/// <param name="Distances">Bytes from marker to paired site, to how many markers sat that far.</param>
/// <param name="Sites">Each marker, with its paired site (Kind call/jmp) or, unpaired, null Kind and the reason.</param>
/// <param name="UnmarkedCalls">Calls and jumps through the table in the marker-style objects that no marker describes (the corpus calling the table directly).</param>
public sealed record MarkerMeasures(
    string? Error,
    ApproachCounts Counts,
    int Markers,
    int Paired,
    int Unpaired,
    IReadOnlyDictionary<long, int> Distances,
    long MaxDistance,
    long CodeBytes,
    int SaveInstructions,
    long SaveBytes,
    IReadOnlyList<MarkerSite> Sites,
    int UnmarkedCalls);

/// <summary>One marker of a build and what it was paired with.</summary>
/// <param name="Offset">The marker, section-relative.</param>
/// <param name="SiteOffset">The paired call or jmp, or null.</param>
/// <param name="Distance">SiteOffset - Offset in bytes, or null.</param>
public sealed record MarkerSite(
    string File,
    string Section,
    long Offset,
    string Function,
    string? Op,
    long? SiteOffset,
    string? Kind,
    int? Length,
    long? Distance,
    int? InstructionsBetween,
    string? Unpaired);

/// <summary>Measurements 1 and 2 for one approach in one build.</summary>
/// <param name="Sites">Sites the approach can patch in place: macro = .parainstructions records; reloc = call and jmp through the table.</param>
/// <param name="References">Reloc only: every instruction with a relocation against the table (each one had to be decoded).</param>
/// <param name="Decoded">Reloc only: references told apart by disassembly (a call and a jmp carry the same relocation).</param>
/// <param name="Lengths">Site length in bytes to number of sites.</param>
/// <param name="TooShortForCall">Sites shorter than a 5-byte direct call.</param>
/// <param name="TooShortForNative">Sites shorter than the op's native replacement (pvgen.json "native").</param>
public sealed record ApproachCounts(
    int Sites,
    int Calls,
    int Jumps,
    int References,
    int Decoded,
    int Loads,
    int Addresses,
    int Other,
    int ViaGot,
    IReadOnlyDictionary<int, int> Lengths,
    int TooShortForCall,
    int TooShortForNative)
{
    public static readonly ApproachCounts Empty = new(0, 0, 0, 0, 0, 0, 0, 0, 0, new Dictionary<int, int>(), 0, 0);
}

/// <summary>Measurement 3, summed over the build's functions: code size and register save/restore/spill traffic per style.</summary>
public sealed record RegisterEnvironment(
    long MacroBytes,
    long PlainBytes,
    int MacroSaveInstructions,
    int PlainSaveInstructions,
    long MacroSaveBytes,
    long PlainSaveBytes)
{
    public long NetBytes => PlainBytes - MacroBytes;

    public int NetSaveInstructions => PlainSaveInstructions - MacroSaveInstructions;

    public long NetSaveBytes => PlainSaveBytes - MacroSaveBytes;

    public static readonly RegisterEnvironment Empty = new(0, 0, 0, 0, 0, 0);
}

/// <summary>One function in both styles (size from the symbol table; save = push/pop and mov to/from a stack slot).</summary>
public sealed record FunctionCost(
    string File,
    string Function,
    long MacroSize,
    long PlainSize,
    int MacroSaveInstructions,
    int PlainSaveInstructions,
    long MacroSaveBytes,
    long PlainSaveBytes,
    int MacroSites,
    int RelocSites);

/// <summary>One site or reference: macro (a .parainstructions record) or reloc (an instruction referring to the table).</summary>
/// <param name="Offset">Instruction start, section-relative (the address in the object).</param>
/// <param name="FunctionOffset">Offset inside <paramref name="Function"/>.</param>
/// <param name="Kind">call, jmp, load, address, other (macro records are "call").</param>
/// <param name="Reason">For lost sites: tail-jump, got, retpoline (the pointer loaded into a register for a call to the
/// retpoline thunk, as -mindirect-branch=thunk-extern compiles every indirect call), load-reused (the loaded pointer reaches
/// several calls), load, address, other.</param>
/// <param name="Feeds">For loads and addresses: the indirect calls and jumps the loaded register reaches in the function.</param>
/// <param name="Reaches">For a site that names no slot itself (the table's address through the GOT): the ops of the calls it feeds.</param>
public sealed record SiteRecord(
    string Approach,
    string File,
    string Section,
    long Offset,
    string Function,
    long FunctionOffset,
    int Length,
    string Kind,
    string? Op,
    string? RelocType,
    string? Reason,
    int Feeds = 0,
    IReadOnlyList<string>? Reaches = null)
{
    /// <summary>The op column of the reports: the site's op, else the ops it reaches ("-> irq.irq_enable, mmu.write_cr3"), else "-".</summary>
    public static string OpText(SiteRecord site) =>
        site.Op ?? (site.Reaches is { Count: > 0 } reached ? "-> " + string.Join(", ", reached) : "-");
}

public sealed record RelocTypeCount(string Type, int Count);

/// <summary>Measurement 5: the plain-style objects linked into an executable, scanned with and without --emit-relocs.</summary>
/// <param name="CodeModel">The -mcmodel the link objects were built with (small when kernel failed to link).</param>
/// <param name="ObjectReferences">References in the objects that went into the link.</param>
/// <param name="WithEmitRelocs">References found in the executable linked with --emit-relocs.</param>
/// <param name="WithoutEmitRelocs">References found in the executable linked without it.</param>
public sealed record LinkResult(
    string? CodeModel,
    string? Note,
    string? Error,
    int ObjectReferences,
    int WithEmitRelocs,
    int WithoutEmitRelocs,
    IReadOnlyList<RelocTypeCount> WithEmitRelocsTypes);

/// <summary>
/// Measurement 7: the build's corpus (and the exerciser) run as a program, unpatched and then patched the way the kernel
/// does, per style (`pvgen prove`): macro records, and the plain objects annotated by `pvgen annotate`.
/// </summary>
/// <param name="Format">The record format both styles were proved in (the target's default, or generate.record_format).</param>
public sealed record Behaviour(string Format, StyleBehaviour? Macro, StyleBehaviour? Plain);

/// <summary>One style's patched behaviour.</summary>
/// <param name="Verdict">proved (same behaviour), differs, build-failed or workload-failed (pvgen prove's verdicts).</param>
/// <param name="Patched">Records the patcher rewrote; <paramref name="SitesExecuted"/> of those ran, each as a direct call or jump.</param>
/// <param name="LeftIndirect">References to the table left going through it, and why (reason to count).</param>
/// <param name="Difference">The first difference between the runs, or why nothing could be compared.</param>
public sealed record StyleBehaviour(string Verdict, int Records, int Patched, int Refused, int SitesExecuted, int PatchedNotReached,
    IReadOnlyDictionary<string, int> LeftIndirect, string? Difference)
{
    public int LeftIndirectTotal => LeftIndirect.Values.Sum();
}

/// <summary>Measurement 6 for one op: macro records vs reloc call/jmp sites, matched per function.</summary>
public sealed record OpVerdict(string Op, int Macro, int Reloc, int Misses, int Extra, string Verdict);

/// <summary>The numbers a mailing-list post would quote.</summary>
/// <remarks>
/// Side-by-side numbers (sites, bytes, saves, ops) sum the comparable builds (both styles built); lost sites and links sum
/// every build whose plain style built. The nullable totals are the marker style's: null, and absent from pvgen.diff/1
/// (<see cref="Reports.JsonReport"/>), when it did not run.
/// </remarks>
public sealed record DiffTotals(
    int Builds,
    int BuildsFailed,
    int MacroStyleFailed,
    int PlainStyleFailed,
    int ComparableBuilds,
    int MacroSites,
    int RelocSites,
    int RelocCalls,
    int RelocJumps,
    int RelocReferences,
    int Lost,
    int LostTailJumps,
    int LostGot,
    int LostLoads,
    int LostAddresses,
    int LostRetpoline,
    int MacroTooShortForCall,
    int RelocTooShortForCall,
    int MacroTooShortForNative,
    int RelocTooShortForNative,
    long MacroBytes,
    long PlainBytes,
    int MacroSaveInstructions,
    int PlainSaveInstructions,
    int OpsAgree,
    int OpsRelocMisses,
    int OpsRelocExtra,
    int LinksSurvivingWithEmitRelocs,
    int LinksSurvivingWithout,
    int Links,
    int BehaviourBuilds = 0,
    int MacroProved = 0,
    int PlainProved = 0,
    int MacroPatched = 0,
    int PlainPatched = 0,
    int PlainLeftIndirect = 0)
{
    /// <summary>Every marker found in builds where the marker style built: equals the NONE relocations against the table (null without --style marker).</summary>
    public int? MarkerSites { get; init; }

    /// <summary>Markers no call or jmp could be paired with.</summary>
    public int? MarkerUnpaired { get; init; }

    /// <summary>Markers paired with their call or jmp (in-place sites of the marker style).</summary>
    public int? MarkerPaired { get; init; }

    public int? MarkerJumps { get; init; }

    /// <summary>The farthest a marker sat from its site, in bytes.</summary>
    public long? MarkerMaxDistance { get; init; }

    /// <summary>Markers that sat on their call (distance 0).</summary>
    public int? MarkerOnSite { get; init; }

    public long? MarkerBytes { get; init; }

    public int? MarkerSaveInstructions { get; init; }

    /// <summary>Builds where the marker style did not build.</summary>
    public int? MarkerStyleFailed { get; init; }

    public long NetBytes => PlainBytes - MacroBytes;

    public int NetSaveInstructions => PlainSaveInstructions - MacroSaveInstructions;
}
