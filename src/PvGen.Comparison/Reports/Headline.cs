using System.Globalization;

namespace PvGen.Comparison.Reports;

/// <summary>The lines every report format leads with: the numbers a mailing-list post would quote.</summary>
public static class Headline
{
    public static IReadOnlyList<string> Lines(DiffReport report)
    {
        var t = report.Totals;
        string Pct(long part, long whole) => whole == 0 ? "n/a" : (100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture) + "%";
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
            .. t.BehaviourBuilds == 0 ? Array.Empty<string>() :
            [
                $"patched behaviour ({string.Join(", ", report.Builds.Select(b => b.Behaviour?.Format).OfType<string>().Distinct())} records, pvgen prove): macro proved in {t.MacroProved} of {t.BehaviourBuilds} builds ({t.MacroPatched} sites patched), plain + annotate in {t.PlainProved} of {t.BehaviourBuilds} ({t.PlainPatched} patched, {t.PlainLeftIndirect} left indirect)",
            ],
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

    /// <summary>"proved/differs": the patched-behaviour verdict of each style, "-" where it was not measured.</summary>
    public static string Behaviour(Behaviour? behaviour) =>
        behaviour is null ? "-" : $"{behaviour.Macro?.Verdict ?? "-"}/{behaviour.Plain?.Verdict ?? "-"}";

    /// <summary>"12 load, 3 tail-jump": sites left indirect by reason.</summary>
    public static string Reasons(IReadOnlyDictionary<string, int> reasons) =>
        reasons.Count == 0 ? "none" : string.Join(", ", reasons.Select(r => $"{r.Value} {r.Key}"));

    public static string Types(IReadOnlyList<RelocTypeCount> types) =>
        types.Count == 0 ? "-" : string.Join(", ", types.Select(t => $"{t.Type}×{t.Count}"));
}
