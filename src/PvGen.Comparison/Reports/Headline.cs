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
            $"sites lost to the reloc approach (every build the plain style built in): {t.Lost} ({t.LostTailJumps} tail jumps, {t.LostGot} GOT loads under PIC, {t.LostLoads} pointer loads, {t.LostAddresses} addresses taken)",
            $"ops: {t.OpsAgree} agree, reloc misses sites of {t.OpsRelocMisses}, finds extra sites of {t.OpsRelocExtra}",
            $"room to patch: {t.MacroTooShortForCall} macro / {t.RelocTooShortForCall} reloc sites shorter than a 5-byte call; {t.MacroTooShortForNative} / {t.RelocTooShortForNative} shorter than the native code",
            $"code: macro {t.MacroBytes} bytes, plain {t.PlainBytes} bytes ({Signed(t.NetBytes)}, {Pct(t.NetBytes, t.MacroBytes)}); register saves/spills: macro {t.MacroSaveInstructions}, plain {t.PlainSaveInstructions} ({Signed(t.NetSaveInstructions)} instructions)",
            $"toolchain: references survive the link in {t.LinksSurvivingWithEmitRelocs} of {t.Links} executables with --emit-relocs, {t.LinksSurvivingWithout} without",
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

    public static string Types(IReadOnlyList<RelocTypeCount> types) =>
        types.Count == 0 ? "-" : string.Join(", ", types.Select(t => $"{t.Type}×{t.Count}"));
}
