namespace PvGen.Proving;

/// <summary>The whole proof: schema pvgen.prove/1. Property names become snake_case in JSON.</summary>
public sealed record ProveReport(string Schema, string Struct, string Symbol, IReadOnlyList<string> Corpus, IReadOnlyList<ProveBuild> Builds,
    IReadOnlyList<SkippedFunction> SkippedFunctions, ProveTotals Totals)
{
    public const string SchemaId = "pvgen.prove/1";

    /// <summary>0 every build proved, 1 a difference, 2 a build or workload could not be proved at all.</summary>
    public int ExitCode => Builds.Any(b => b.Verdict is ProveVerdicts.BuildFailed or ProveVerdicts.WorkloadFailed) ? 2
        : Builds.Any(b => b.Verdict == ProveVerdicts.Differs) ? 1 : 0;
}

public static class ProveVerdicts
{
    public const string Proved = "proved";
    public const string Differs = "differs";
    public const string BuildFailed = "build-failed";
    public const string WorkloadFailed = "workload-failed";
}

/// <summary>One program: a compiler x target x optimisation x style x record format, built, patched, run twice and compared.</summary>
/// <param name="Verdict">proved, differs, build-failed (the program could not be built) or workload-failed (the unpatched run itself failed).</param>
/// <param name="Records">Records the patcher found; <paramref name="Patched"/> of them rewritten (calls, jumps, native code).</param>
/// <param name="Refused">Records the patcher refused (too short, type beyond the table, empty slot): the kernel BUG()s on these.</param>
/// <param name="SitesExecuted">Patched sites the workload reached, each one verified to run as a direct call or jump.</param>
/// <param name="DirectExecutions">Events that arrived through a patched site (direct call or jump).</param>
/// <param name="ThroughTable">Events of the patched run that came through the table: sites left indirect.</param>
/// <param name="Inlined">Events of the unpatched run that the patched run replaced by inlined native code.</param>
/// <param name="Sites">Every record and every reference to the table in the workload, with what became of it.</param>
/// <param name="Difference">The first difference between the runs, when there is one.</param>
/// <param name="Findings">Every reason the verdict is not "proved", each naming its site.</param>
public sealed record ProveBuild(
    string Id, string Compiler, string CompilerVersion, string Target, string Opt, bool Pic,
    string Style,
    string Format,
    string Verdict,
    string? Error,
    int Records,
    int Patched,
    int PatchedCalls,
    int PatchedJumps,
    int PatchedNative,
    int Refused,
    int SitesExecuted,
    int PatchedNotReached,
    int DirectExecutions,
    int EventsUnpatched,
    int EventsPatched,
    int ThroughTable,
    int Inlined,
    IReadOnlyList<ProveSite> Sites,
    ProveDifference? Difference,
    IReadOnlyList<string> Findings)
{
    public IEnumerable<ProveSite> LeftIndirect => Sites.Where(s => s.State == ProveSiteState.Indirect);

    /// <summary>Marker style: the markers in the workload's objects, paired or not (each unpaired one is a site left indirect, reason marker-unpaired); null for the other styles.</summary>
    public int? Markers { get; init; }

    /// <summary>Markers no call or jump could be paired with.</summary>
    public int MarkersUnpaired => Sites.Count(s => s.Reason == Binary.Annotating.UnpatchableReason.MarkerUnpaired);
}

/// <summary>What became of a site; pvgen.prove/1 spells each in kebab case (patched-call, patched-jmp, native, refused, skipped, indirect).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(ProveSiteStateConverter))]
public enum ProveSiteState
{
    PatchedCall,
    PatchedJmp,
    Native,
    Refused,

    /// <summary>An alternative whose condition does not hold.</summary>
    Skipped,

    /// <summary>No record: the site still goes through the table.</summary>
    Indirect,
}

public sealed class ProveSiteStateConverter() : System.Text.Json.Serialization.JsonStringEnumConverter<ProveSiteState>(System.Text.Json.JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false);

/// <summary>A site of the workload (a record, or a reference to the table without one) and what the proof saw there.</summary>
/// <param name="Kind">call, jmp, load, address, other (as `pvgen scan` classifies the instruction), record (a record on no reference), or marker (a marker paired with no site).</param>
/// <param name="Reason">Why the site was left indirect or refused (tail-jump, load, load-reused, got, address, too-short, ...).</param>
/// <param name="Executions">Events that arrived through this site in the patched run (direct for patched sites, through the table otherwise).</param>
public sealed record ProveSite(
    string Function,
    string Section,
    long Offset,
    int Length,
    string Kind,
    string? Op,
    ProveSiteState State,
    string? Reason,
    string? Explanation,
    int Executions);

/// <summary>Where the two runs first part: the workload call, the event, both events as logged.</summary>
public sealed record ProveDifference(string Call, int Event, string? Op, string? Site, string? Unpatched, string? Patched, string Message);

/// <summary>Sums over the builds, for the headline.</summary>
public sealed record ProveTotals(int Builds, int Proved, int Differ, int Failed, int Records, int Patched, int Refused, int SitesExecuted, int PatchedNotReached, int LeftIndirect,
    IReadOnlyDictionary<string, int> LeftIndirectByReason);
