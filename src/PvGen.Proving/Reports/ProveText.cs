using System.Globalization;

namespace PvGen.Proving.Reports;

/// <summary>The lines a terminal report leads with.</summary>
public static class ProveText
{
    public static IReadOnlyList<string> Headline(ProveReport report)
    {
        var t = report.Totals;
        string reasons = t.LeftIndirectByReason.Count == 0 ? "none" : string.Join(", ", t.LeftIndirectByReason.Select(r => $"{r.Value} {r.Key}"));
        return
        [
            $"{t.Proved} of {t.Builds} programs behave the same patched and unpatched" + (t.Differ + t.Failed > 0 ? $" ({t.Differ} differ, {t.Failed} could not be proved)" : string.Empty),
            $"records: {t.Records} found, {t.Patched} patched, {t.Refused} refused; patched sites reached by the workload: {t.SitesExecuted} (every one ran as a direct call or jump), not reached: {t.PatchedNotReached}",
            $"references left indirect: {t.LeftIndirect} ({reasons})",
        ];
    }

    /// <summary>"gcc-x86_64-O2-plain-para16: proved, 87 patched (81 calls, 6 jumps, 0 native), 12 left indirect".</summary>
    public static string Summary(ProveBuild b) => b.Verdict switch
    {
        ProveVerdicts.Proved or ProveVerdicts.Differs => string.Create(CultureInfo.InvariantCulture,
            $"{b.Verdict}: {b.Patched} of {b.Records} records patched ({b.PatchedCalls} calls, {b.PatchedJumps} jumps, {b.PatchedNative} native), {b.SitesExecuted} reached, {b.LeftIndirect.Count()} left indirect"),
        _ => $"{b.Verdict}: {b.Error}",
    };
}
