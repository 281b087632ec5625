using System.Globalization;

namespace PvGen.Comparison.Reports;

/// <summary>The lines every report format leads with: the numbers a mailing-list post would quote.</summary>
public static class Headline
{
    public static IReadOnlyList<string> Lines(DiffReport report)
    {
        var t = report.Totals;
        string Pct(long part, long whole) => whole == 0 ? "n/a" : (100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture) + "%";
        IReadOnlyList<string> marker = t.MarkerSites is { } markers
            ?
            [
                $"marker style: {markers} markers (NONE relocations against the table), {t.MarkerPaired} paired with their call or jmp ({t.MarkerJumps} tail jumps), {t.MarkerUnpaired} unpaired"
                    + (t.MarkerStyleFailed > 0 ? $"; the marker style failed in {t.MarkerStyleFailed} build(s)" : string.Empty),
                $"marker-to-site distance: {t.MarkerOnSite} of {t.MarkerPaired} markers on their call, at most {t.MarkerMaxDistance} bytes before it; code: marker {t.MarkerBytes} bytes, register saves/spills {t.MarkerSaveInstructions}",
            ]
            : [];
        return
        [
            $"{t.ComparableBuilds} of {t.Builds} builds of {report.Corpus.Count} corpus file(s) built in both styles"
                + (t.MacroStyleFailed + t.PlainStyleFailed + t.BuildsFailed > 0 ? $" (macro style failed in {t.MacroStyleFailed}, plain style in {t.PlainStyleFailed}, both in {t.BuildsFailed})" : string.Empty),
            $"macro approach: {t.MacroSites} annotated sites; reloc approach: {t.RelocSites} in-place sites ({t.RelocCalls} calls, {t.RelocJumps} tail jumps) out of {t.RelocReferences} table references, every one told apart by disassembly",
            $"sites lost to the reloc approach (every build the plain style built in): {t.Lost} ({t.LostTailJumps} tail jumps, {t.LostGot} GOT loads under PIC, {t.LostLoads} pointer loads, {t.LostAddresses} addresses taken{(t.LostRetpoline > 0 ? $", {t.LostRetpoline} pointer loads for a retpoline thunk call" : string.Empty)})",
            $"ops: {t.OpsAgree} agree, reloc misses sites of {t.OpsRelocMisses}, finds extra sites of {t.OpsRelocExtra}",
            $"room to patch: {t.MacroTooShortForCall} macro / {t.RelocTooShortForCall} reloc sites shorter than a 5-byte call; {t.MacroTooShortForNative} / {t.RelocTooShortForNative} shorter than the native code",
            $"code: macro {t.MacroBytes} bytes, plain {t.PlainBytes} bytes ({Signed(t.NetBytes)}, {Pct(t.NetBytes, t.MacroBytes)}); register saves/spills: macro {t.MacroSaveInstructions}, plain {t.PlainSaveInstructions} ({Signed(t.NetSaveInstructions)} instructions)",
            report.Kernel is null || t.Links > 0
                ? $"toolchain: references survive the link in {t.LinksSurvivingWithEmitRelocs} of {t.Links} executables with --emit-relocs, {t.LinksSurvivingWithout} without"
                : "toolchain: kernel objects are not linked here (a shipped vmlinux keeps its relocations only up to 6.4; since 6.5 they are stripped after the relocs tool ran)",
            .. t.BehaviourBuilds == 0 ? Array.Empty<string>() :
            [
                $"patched behaviour ({string.Join(", ", report.Builds.Select(b => b.Behaviour?.Format).OfType<string>().Distinct())} records, pvgen prove): macro proved in {t.MacroProved} of {t.BehaviourBuilds} builds ({t.MacroPatched} sites patched), plain + annotate in {t.PlainProved} of {t.BehaviourBuilds} ({t.PlainPatched} patched, {t.PlainLeftIndirect} left indirect)",
            ],
            .. KernelLines(report.Kernel),
            .. marker,
        ];
    }

    /// <summary>"0:12 5:7": marker-to-site distances in bytes and how many markers sat that far.</summary>
    public static string Distances(IReadOnlyDictionary<long, int> distances) =>
        distances.Count == 0 ? "-" : string.Join(" ", distances.OrderBy(d => d.Key).Select(d => $"{d.Key}B×{d.Value}"));

    /// <summary>The three-style rows every report shows when the marker style was built: measure, macro, plain, marker.</summary>
    public static IReadOnlyList<(string Measure, string Macro, string Plain, string Marker)> ThreeStyles(BuildResult b)
    {
        var m = b.Marker!;
        var e = b.RegisterEnvironment;
        string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        string K(long v) => m.Error is null ? N(v) : "failed";
        return
        [
            ("in-place sites", Count(b.Macro.Sites, b.MacroError), Count(b.Reloc.Sites, b.PlainError), K(m.Counts.Sites)),
            ("tail jumps", N(b.Macro.Jumps), N(b.Reloc.Jumps), K(m.Counts.Jumps)),
            ("found from", "records", $"{b.Reloc.References} refs", m.Error is null ? $"{m.Markers} markers" : "failed"),
            ("lost / unpaired", "0", N(b.Lost.Count), K(m.Unpaired)),
            ("table calls no marker names", "-", "-", K(m.UnmarkedCalls)),
            ("site lengths", Lengths(b.Macro.Lengths), Lengths(b.Reloc.Lengths), m.Error is null ? Lengths(m.Counts.Lengths) : "failed"),
            ("< 5 B", N(b.Macro.TooShortForCall), N(b.Reloc.TooShortForCall), K(m.Counts.TooShortForCall)),
            ("code bytes", N(e.MacroBytes), N(e.PlainBytes), K(m.CodeBytes)),
            ("saves/spills", N(e.MacroSaveInstructions), N(e.PlainSaveInstructions), K(m.SaveInstructions)),
            ("marker-to-site distance", "-", "-", m.Error is null ? Distances(m.Distances) : "failed"),
        ];
    }

    /// <summary>What a kernel diff adds: the tree, the proof that the macro drop-in reproduces the kernel, the warnings each drop-in adds.</summary>
    public static IEnumerable<string> KernelLines(KernelReport? kernel)
    {
        if (kernel is null)
        {
            yield break;
        }

        var q = kernel.Equivalence;
        yield return $"kernel: linux {kernel.Version} (sites recorded in .{kernel.Recording}), {q.Objects} objects built by Kbuild with {kernel.Compiler} three times: the kernel's own PVOP macros, the macro drop-in, the plain drop-in (objtool as in a real build)";
        yield return $"the macro drop-in reproduces the kernel's records in {q.RecordsEqual} of {q.Objects} objects ({q.KernelRecords} records in the kernel's build, {q.MacroRecords} in the drop-in's); byte-identical objects (every allocated section and its relocations): {q.Identical} of {q.Objects}";
        yield return $"warnings the drop-ins add to the kernel's own build: macro {q.MacroNewWarnings}, plain {q.PlainNewWarnings}";
        foreach (string change in kernel.ConfigChanges)
        {
            yield return "configuration: " + change;
        }
    }

    /// <summary>The per-object table of a kernel diff, one row of cells per object (the formats lay it out).</summary>
    public static readonly string[] KernelColumns = ["object", "kernel records", "drop-in records", "records equal", "identical", "new warnings m/p", "record sections (kernel/drop-in relocations)"];

    public static IEnumerable<string[]> KernelRows(KernelReport kernel) => kernel.Objects.Select(o => new[]
    {
        o.Object,
        o.KernelError is null ? o.KernelRecords.ToString(CultureInfo.InvariantCulture) : "failed",
        o.MacroError is null ? o.MacroRecords.ToString(CultureInfo.InvariantCulture) : "failed",
        o.RecordsEqual ? "yes" : "NO",
        o.Identical ? "yes" : "no",
        $"{o.MacroNewWarnings.Count}/{o.PlainNewWarnings.Count}",
        string.Join(", ", o.Sections.Select(s => s.Kernel == s.Macro ? $"{s.Section} {s.Kernel}" : $"{s.Section} {s.Kernel}/{s.Macro}")),
    });

    /// <summary>A count, or "failed" when the style did not build.</summary>
    public static string Count(int value, string? styleError) => styleError is null ? value.ToString(CultureInfo.InvariantCulture) : "failed";

    public static string Signed(long value) => value > 0 ? "+" + value.ToString(CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture);

    /// <summary>"6:12 7:3": site lengths and how many sites have each.</summary>
    public static string Lengths(IReadOnlyDictionary<int, int> lengths) =>
        lengths.Count == 0 ? "-" : string.Join(" ", lengths.OrderBy(l => l.Key).Select(l => $"{l.Key}B×{l.Value}"));

    public static string Link(LinkResult? link) => link switch
    {
        null => "-",
        { Error: { } error } => "link failed: " + error,
        _ => $"{link.WithEmitRelocs}/{link.ObjectReferences} with, {link.WithoutEmitRelocs}/{link.ObjectReferences} without" + (link.CodeModel == "small" ? " (mcmodel=small)" : string.Empty),
    };

    /// <summary>"proved/differs": the patched-behaviour verdict of each style, "-" where it was not measured.</summary>
    public static string Behaviour(Behaviour? behaviour) =>
        behaviour is null ? "-" : $"{behaviour.Macro?.Verdict ?? "-"}/{behaviour.Plain?.Verdict ?? "-"}";

    /// <summary>"12 load, 3 tail-jump": sites left indirect by reason.</summary>
    public static string Reasons(IReadOnlyDictionary<string, int> reasons) =>
        reasons.Count == 0 ? "none" : string.Join(", ", reasons.Select(r => $"{r.Value} {r.Key}"));

    public static string Types(IReadOnlyList<RelocTypeCount> types) =>
        types.Count == 0 ? "-" : string.Join(", ", types.Select(t => $"{t.Type}×{t.Count}"));
}
