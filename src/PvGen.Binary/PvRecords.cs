using PvGen.Model;
using PvGen.X86.Records;

namespace PvGen.Binary;

/// <summary>
/// An object's pv site records from whichever family carries them: .parainstructions records (up to 6.7) and
/// .altinstructions ALT_FLAG_DIRECT_CALL entries (6.8+). The other alternatives at a pv site are its native
/// replacements (5.13+ PVOP_ALT_* sites); alternatives elsewhere are the kernel's ordinary CPU-feature patches,
/// counted but not pv sites.
/// </summary>
internal static class PvRecords
{
    public static (EquatableArray<Annotation> Records, RecordFormat? Format, AltSummary? Alternatives) Combine(ParaInstructionsResult para, AltInstructionsResult alt)
    {
        var groups = alt.Groups.ToDictionary(g => (g.Section, g.Offset), g => g);
        var records = new List<Annotation>(para.Records.Count);
        foreach (var record in para.Records)
        {
            records.Add(groups.TryGetValue((record.Section, record.Offset), out var group)
                ? record with { Natives = group.Entries.Where(e => !e.IsDirectCall).ToEquatableArray() }
                : record);
        }

        int directCalls = 0;
        foreach (var group in alt.Groups)
        {
            var natives = group.Entries.Where(e => !e.IsDirectCall).ToEquatableArray();
            foreach (var entry in group.Entries.Where(e => e.IsDirectCall))
            {
                directCalls++;
                records.Add(new Annotation(group.Section, group.Offset, -1, entry.InstrLength, null, entry.RecordOffset, HasSite: false, entry, natives));
            }
        }

        var pvSites = records.Select(r => (r.Section, r.Offset)).ToHashSet();
        int atPvSites = alt.Groups.Where(g => pvSites.Contains((g.Section, g.Offset))).Sum(g => g.Entries.Count(e => !e.IsDirectCall));
        var summary = alt.Present && alt.Format is { } altFormat
            ? new AltSummary(altFormat, alt.Entries, directCalls, atPvSites, alt.Entries - directCalls - atPvSites)
            : null;

        // The family that carries the pv records; a .parainstructions section without records still names its layout.
        var format = para.Records.Count > 0 ? para.Format
            : directCalls > 0 ? alt.Format
            : para.Format;
        return (records.ToEquatableArray(), format, summary);
    }
}
