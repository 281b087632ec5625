using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Binary.Annotating;

/// <summary>Whether a recorded site is patched into a direct call or a direct jump.</summary>
public enum PatchKind
{
    Call,
    Jump,
}

/// <summary>One record to write: the site's instruction, the slot it calls through, and what it becomes when patched.</summary>
/// <param name="Offset">Section-relative start of the site (the record's address field).</param>
/// <param name="Length">The record's length field: the bytes a patcher may rewrite.</param>
/// <param name="Slot">The record's type field (para formats): offset into the table / pointer size.</param>
public sealed record PlannedRecord(string Section, long Offset, int Length, int Slot, PatchKind Kind, string? Op, string Function);

/// <summary>Why a reference to the table gets no record (stable codes, as the diff's lost sites use).</summary>
public static class UnpatchableReason
{
    public const string TailJump = "tail-jump";
    public const string Load = "load";
    public const string LoadReused = "load-reused";
    public const string Got = "got";
    public const string Address = "address";
    public const string Other = "other";
    public const string Encoding = "encoding";
    public const string Slot = "slot";
    public const string CallOfJumpOp = "call-of-jump-op";

    /// <summary>Marker style: a marker no call or jump through its slot follows (scan's reason is the explanation).</summary>
    public const string MarkerUnpaired = "marker-unpaired";

    /// <summary>Marker style: a call or jump through the table that no marker describes (code that bypasses the wrappers).</summary>
    public const string Unmarked = "unmarked";
}

/// <summary>Which references annotate records: every patchable one it finds (plain style), or the sites the markers pair with (marker style).</summary>
public enum AnnotateSites
{
    References,
    Markers,
}

/// <summary>A reference to the table that cannot be patched in place, and why.</summary>
/// <param name="Reason">One of <see cref="UnpatchableReason"/>.</param>
/// <param name="Explanation">The reason in words, for reports.</param>
public sealed record UnpatchableSite(string Section, long Offset, int Length, SiteKind Kind, long TargetOffset, string? Op, string Function, string Reason, string Explanation);

/// <summary>The records for one object and the references left without one.</summary>
public sealed record AnnotationPlan(IReadOnlyList<PlannedRecord> Records, IReadOnlyList<UnpatchableSite> Unpatchable)
{
    /// <summary>Marker style: the markers the plan was made from (paired or not); null when planned from the references.</summary>
    public int? Markers { get; init; }
}

/// <summary>
/// Decides, from the sites `scan` found, which references become records (objtool-style: only an indirect call or
/// jump through the table, on the instruction itself, can be rewritten in place) and which cannot, with the reason.
/// </summary>
public static class AnnotationPlanner
{
    /// <summary>The smallest site a patcher can turn into a direct call or jump (e8/e9 rel32).</summary>
    public static int DirectCallLength => SiteEncodings.DirectCallLength;

    /// <param name="jumpSlots">Slots of ops reached by jmp (pvgen.json "jump": true, e.g. iret): the kernel's patcher writes a jump for them.</param>
    public static AnnotationPlan Plan(ScannedObject scanned, RecordFormat format, IReadOnlySet<int> jumpSlots)
    {
        int pointerSize = scanned.Machine == "x86_64" ? 8 : 4;
        var records = new List<PlannedRecord>();
        var unpatchable = new List<UnpatchableSite>();
        foreach (var site in scanned.Sites)
        {
            Plan(site, format, pointerSize, jumpSlots, records, unpatchable);
        }

        return new AnnotationPlan(records, unpatchable);
    }

    /// <summary>
    /// The marker style: a record for each site a marker pairs with (scan's pairing), where the site can be patched in
    /// place; the plain planner's reason where it cannot (a marked call through a register is its load's "load"). Every
    /// unpaired marker is listed, and so is each call or jump through the table that no marker describes.
    /// </summary>
    public static AnnotationPlan PlanFromMarkers(ScannedObject scanned, RecordFormat format, IReadOnlySet<int> jumpSlots)
    {
        int pointerSize = scanned.Machine == "x86_64" ? 8 : 4;
        var byStart = new Dictionary<(string, long), Site>();
        var loadOf = new Dictionary<(string, long), Site>();
        foreach (var site in scanned.Sites)
        {
            byStart.TryAdd((site.Section, site.Offset), site);
            foreach (var fed in site.Feeds)
            {
                loadOf.TryAdd((site.Section, fed.Offset), site);
            }
        }

        var records = new List<PlannedRecord>();
        var unpatchable = new List<UnpatchableSite>();
        var described = new HashSet<Site>(ReferenceEqualityComparer.Instance);
        foreach (var marker in scanned.Markers)
        {
            if (marker.SiteOffset is not long at)
            {
                unpatchable.Add(new UnpatchableSite(marker.Section, marker.Offset, 0, SiteKind.Other, marker.TargetOffset, marker.Op, marker.Function,
                    UnpatchableReason.MarkerUnpaired, $"{marker.RelocType} marker: {marker.Unpaired}"));
                continue;
            }

            var site = byStart.GetValueOrDefault((marker.Section, at)) ?? loadOf.GetValueOrDefault((marker.Section, at));
            if (site is null)
            {
                unpatchable.Add(new UnpatchableSite(marker.Section, marker.Offset, 0, SiteKind.Other, marker.TargetOffset, marker.Op, marker.Function,
                    UnpatchableReason.MarkerUnpaired, $"{marker.RelocType} marker paired with {marker.Section}+0x{at:x}, where scan found no reference to the table"));
                continue;
            }

            if (!described.Add(site))
            {
                continue; // a load reused by several marked calls: one entry for the load, as the plain planner lists it
            }

            Plan(site, format, pointerSize, jumpSlots, records, unpatchable);
        }

        foreach (var site in scanned.Sites.Where(s => !described.Contains(s)))
        {
            if (site.Kind is SiteKind.Call or SiteKind.Jmp && site.IndirectThroughMemory)
            {
                unpatchable.Add(new UnpatchableSite(site.Section, site.Offset, site.Length, site.Kind, site.TargetOffset, site.Op, site.Function, UnpatchableReason.Unmarked,
                    "a call or jump through the table that no marker describes: the marker style records only the calls its wrappers mark"));
            }
            else
            {
                Plan(site, format, pointerSize, jumpSlots, records, unpatchable);
            }
        }

        return new AnnotationPlan([.. records.OrderBy(r => r.Section, StringComparer.Ordinal).ThenBy(r => r.Offset)], unpatchable) { Markers = scanned.Markers.Count };
    }

    private static void Plan(Site site, RecordFormat format, int pointerSize, IReadOnlySet<int> jumpSlots, List<PlannedRecord> records, List<UnpatchableSite> unpatchable)
    {
        string? why = Refusal(site, format, pointerSize, jumpSlots, out string reason);
        if (why is null)
        {
            var kind = site.Kind == SiteKind.Jmp ? PatchKind.Jump : PatchKind.Call;
            records.Add(new PlannedRecord(site.Section, site.Offset, site.Length, site.Slot!.Value, kind, site.Op, site.Function));
        }
        else
        {
            unpatchable.Add(new UnpatchableSite(site.Section, site.Offset, site.Length, site.Kind, site.TargetOffset, site.Op, site.Function, reason, why));
        }
    }

    private static string? Refusal(Site site, RecordFormat format, int pointerSize, IReadOnlySet<int> jumpSlots, out string reason)
    {
        reason = UnpatchableReason.Other;
        switch (site.Kind)
        {
            case SiteKind.Load when site.ViaGot:
                reason = UnpatchableReason.Got;
                return "the table's address is loaded from the GOT (PIC): the calls through it carry no relocation";
            case SiteKind.Load:
                reason = site.Feeds.Count > 1 ? UnpatchableReason.LoadReused : UnpatchableReason.Load;
                return site.Feeds.Count switch
                {
                    0 => "the slot's pointer is loaded into a register and no call through it follows in the function",
                    1 => "the slot's pointer is loaded into a register and called through it: the call carries no relocation",
                    _ => $"the slot's pointer is loaded once and reused by {site.Feeds.Count} calls through a register",
                };
            case SiteKind.Address:
                reason = UnpatchableReason.Address;
                return "the table's (or a slot's) address is taken, not called through";
            case SiteKind.Other:
                return site.Length == 0 ? "the relocation lies in no decodable instruction" : "not a call or jump (a store, compare or data reference)";
        }

        if (!site.IndirectThroughMemory)
        {
            return "not an indirect call or jump through the table";
        }

        if (site.Slot is not int slot || site.TargetOffset % pointerSize != 0)
        {
            reason = UnpatchableReason.Slot;
            return $"refers to table offset {site.TargetOffset}, not to the start of a slot";
        }

        if (slot > 255)
        {
            reason = UnpatchableReason.Slot;
            return $"slot {slot} does not fit the record's one-byte type";
        }

        if (site.Length < DirectCallLength)
        {
            reason = UnpatchableReason.Encoding;
            return $"{site.Length} bytes: too short for a {DirectCallLength}-byte direct call";
        }

        bool jumpOp = jumpSlots.Contains(slot);
        if (format.Family == RecordFamily.ParaInstructions)
        {
            if (site.Kind == SiteKind.Jmp && !jumpOp)
            {
                reason = UnpatchableReason.TailJump;
                return "a tail jump: .parainstructions records carry no kind, and the kernel's patcher writes a call for a call op (falling through after it returns)";
            }

            if (site.Kind == SiteKind.Call && jumpOp)
            {
                reason = UnpatchableReason.CallOfJumpOp;
                return "a call of an op configured as a jump: the kernel's patcher would write a jump here";
            }

            return null;
        }

        // .altinstructions (6.8+): alt_replace_call() accepts only the 6-byte ff 15 original; PvGen also writes a tail
        // jump's ff 25 original with a jmp replacement, whose opcode says what the site becomes.
        var original = SiteEncodings.IndirectCall(pointerSize, ripRelative: pointerSize == 8, jump: site.Kind == SiteKind.Jmp);
        byte[] bytes = [.. site.Bytes];
        if (!original.Matches(bytes) || site.Length != Alternatives.DirectCallInstrLength)
        {
            reason = UnpatchableReason.Encoding;
            return $"{site.Length} bytes {Convert.ToHexString(bytes.AsSpan(0, Math.Min(3, bytes.Length))).ToLowerInvariant()}: a DIRECT_CALL entry needs the {Alternatives.DirectCallInstrLength}-byte {original.Name} form";
        }

        return null;
    }
}
