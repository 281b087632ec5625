using Iced.Intel;
using PvGen.Binary;
using PvGen.Model;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Checking.Annotations;

/// <summary>How one check fared on one object's records: how many it examined and failed, or why it does not apply.</summary>
/// <param name="Format">The record format of the records it examined.</param>
/// <param name="NotApplicable">Why the check cannot be made on this format's records (null when it was made).</param>
public sealed record CheckCoverage(string Id, string Format, int Checked, int Failed, string? NotApplicable = null);

/// <summary>The verdict on one object: its findings, and per check what was verified or why it could not be.</summary>
/// <param name="NonCallReferences">References to the table that are no call or jump through it (with <c>callsOnly</c>: noted, not failed).</param>
public sealed record Verification(IReadOnlyList<Finding> Findings, IReadOnlyList<CheckCoverage> Coverage, RecordFormat? Format, int NonCallReferences = 0);

/// <summary>
/// Verifies every pv site record of one object against the machine code it claims to describe, in whichever family
/// the object carries them (detected per object): .parainstructions records (up to 6.7) or .altinstructions
/// ALT_FLAG_DIRECT_CALL entries (6.8+). Common to both: the site is an indirect call (a jump for jump ops) through
/// the table on an instruction boundary, of the recorded length, with room for a direct call and the native
/// replacement; records do not overlap; no record lacks a site and no table reference lacks a record. Per family:
/// a .parainstructions record's slot and clobbers match its site and op; a DIRECT_CALL entry annotates exactly the
/// 6-byte <c>ff 15</c> that alt_replace_call() accepts, with instrlen 6, a 5-byte <c>e8</c> replacement, and comes first
/// at its site. Native alternatives at a site must fit it and equal the op's configured native bytes. Checks that a
/// family's records cannot carry are reported as not applicable, never as passed.
/// </summary>
public static class AnnotationVerifier
{
    /// <summary>The smallest site a patcher can turn into a direct call (e8 rel32).</summary>
    public static int DirectCallLength => SiteEncodings.DirectCallLength;

    /// <summary>The checks made on a family's records, and why the others are not applicable to it.</summary>
    private static readonly string[] CommonChecks =
    [
        DiagnosticIds.RecordNotOnInstruction, DiagnosticIds.SiteNotIndirectCall, DiagnosticIds.LengthMismatch, DiagnosticIds.SiteTooShort,
        DiagnosticIds.TooShortForNative, DiagnosticIds.OverlappingRecords, DiagnosticIds.RecordWithoutSite, DiagnosticIds.UnannotatedReference,
        DiagnosticIds.NativeDoesNotFit, DiagnosticIds.NativeMismatch,
    ];

    private static readonly string[] ParaChecks = [DiagnosticIds.WrongSlot, DiagnosticIds.ClobberMismatch];

    private static readonly string[] DirectCallChecks =
        [DiagnosticIds.DirectCallNotFf15, DiagnosticIds.DirectCallInstrLength, DiagnosticIds.DirectCallReplacement, DiagnosticIds.DirectCallNotFirst];

    public static IReadOnlyList<Finding> Verify(ScannedObject scanned, OpsModel model, IReadOnlyDictionary<int, ExpectedOp> expected, SectionBytes? code = null, bool callsOnly = false) =>
        Run(scanned, model, expected, code, callsOnly).Findings;

    /// <param name="callsOnly">
    /// For objects built by anyone: only calls and jumps through the table need a record. The kernel's patcher rewrites
    /// nothing else, and a kernel references its table in other ways on purpose (a 6.12 vmlinux: 73 init-time stores that
    /// fill the table, compares against native functions, <c>__set_fixmap</c>'s plain C call through a loaded pointer), so
    /// those are one note per object with their count. In generated output every reference is a wrapper's site and must have one.
    /// </param>
    public static Verification Run(ScannedObject scanned, OpsModel model, IReadOnlyDictionary<int, ExpectedOp> expected, SectionBytes? code = null, bool callsOnly = false)
    {
        var findings = new List<Finding>();
        int pointerSize = model.Target.PointerSize;
        var sites = scanned.Sites.ToList();
        var format = scanned.AnnotationFormat;
        string formatName = format?.Name ?? "none";
        var counts = new Dictionary<string, (int Checked, int Failed)>();
        void Count(string id, bool failed)
        {
            var (c, f) = counts.GetValueOrDefault(id);
            counts[id] = (c + 1, f + (failed ? 1 : 0));
        }

        foreach (var record in scanned.Annotations.OrderBy(a => a.Section, StringComparer.Ordinal).ThenBy(a => a.Offset).ThenBy(a => a.RecordOffset))
        {
            long end = record.Offset + record.Length;
            var site = sites.FirstOrDefault(s => s.Section == record.Section && s.Offset < end && s.Offset + s.Length > record.Offset)
                ?? sites.FirstOrDefault(s => s.Section == record.Section && s.Offset == record.Offset);
            expected.TryGetValue(record.Type, out var op);
            string opName = op?.Path ?? (record.Type >= 0 ? $"slot {record.Type}" : "no slot");
            string what = record.Alt is null ? "record" : "DIRECT_CALL entry";
            bool Check(string id, bool failed, string message, long? offset = null)
            {
                Count(id, failed);
                if (failed)
                {
                    findings.Add(new Finding(id, Severity.Error, message, scanned.Path, record.Section, offset ?? record.Offset, site?.Function));
                }

                return failed;
            }

            if (Check(DiagnosticIds.RecordWithoutSite, site is null,
                $"{what} for {opName} ({(record.Alt is null ? $"type {record.Type}, " : string.Empty)}length {record.Length}) covers no reference to the table"))
            {
                continue;
            }

            var region = CheckRegion(record, site!, code, pointerSize, allowSaves: record.Alt is null);
            Check(DiagnosticIds.RecordNotOnInstruction, region?.Id == DiagnosticIds.RecordNotOnInstruction, region?.Message ?? string.Empty);
            Check(DiagnosticIds.LengthMismatch, region?.Id == DiagnosticIds.LengthMismatch, region?.Message ?? string.Empty);

            var wanted = op?.Jump == true && record.Alt is null ? SiteKind.Jmp : SiteKind.Call;
            bool notIndirect = site!.Kind != wanted || !site.IndirectThroughMemory;
            Check(DiagnosticIds.SiteNotIndirectCall, notIndirect || (record.Alt is not null && op?.Jump == true),
                record.Alt is not null && op?.Jump == true && !notIndirect
                    ? $"DIRECT_CALL entry for {opName}, a jump op: alt_replace_call() can only patch calls"
                    : $"{what} for {opName} annotates a {Describe(site)}, not an indirect {(wanted == SiteKind.Jmp ? "jump" : "call")} through the table", site.Offset);

            if (record.Alt is null && !notIndirect)
            {
                string called = site.Op ?? $"slot {site.Slot}";
                Check(DiagnosticIds.WrongSlot, site.TargetOffset != (long)record.Type * pointerSize,
                    $"record type {record.Type} ({opName}) but the site calls {called} (table offset {site.TargetOffset}, slot {site.TargetOffset / pointerSize})", site.Offset);
            }

            Check(DiagnosticIds.SiteTooShort, record.Length < DirectCallLength, $"{what} for {opName} is {record.Length} bytes: too short for a {DirectCallLength}-byte direct call");
            if (op?.NativeLength is int native)
            {
                Check(DiagnosticIds.TooShortForNative, record.Length < native, $"{what} for {opName} is {record.Length} bytes but its native replacement needs {native}");
            }

            if (record.Alt is null && op?.ClobberMask is int mask && record.Clobbers is int clobbers)
            {
                Check(DiagnosticIds.ClobberMismatch, clobbers != mask, $"record for {opName} clobbers 0x{clobbers:x} but {op.ClobberSource ?? $"the op clobbers 0x{mask:x}"}");
            }

            if (record.Alt is { } entry)
            {
                var original = SiteEncodings.DirectCallOriginal(pointerSize);
                bool ff15 = site.Offset == record.Offset && site.Kind == SiteKind.Call && site.IndirectThroughMemory && original.Matches([.. site.Bytes]) && site.Length == original.Length;
                Check(DiagnosticIds.DirectCallNotFf15, !ff15,
                    $"DIRECT_CALL entry for {opName} annotates '{Convert.ToHexStringLower([.. site.Bytes])}' ({site.Length} bytes, {Describe(site)}); alt_replace_call() needs the {original.Length}-byte 'ff 15' ({original.Name})", site.Offset);
                Check(DiagnosticIds.DirectCallInstrLength, entry.InstrLength != Alternatives.DirectCallInstrLength,
                    $"DIRECT_CALL entry for {opName} has instrlen {entry.InstrLength}; alt_replace_call() BUG()s unless it is {Alternatives.DirectCallInstrLength}");
                bool e8 = entry.ReplacementLength == SiteEncodings.DirectCall.Length && SiteEncodings.DirectCall.Matches([.. entry.Replacement]);
                Check(DiagnosticIds.DirectCallReplacement, !e8,
                    $"DIRECT_CALL entry for {opName} has a {entry.ReplacementLength}-byte replacement '{Convert.ToHexStringLower([.. entry.Replacement])}'; alt_replace_call() needs a 5-byte 'e8' call");
                Check(DiagnosticIds.DirectCallNotFirst, entry.GroupIndex != 0,
                    $"DIRECT_CALL entry for {opName} is entry {entry.GroupIndex + 1} at its site; it must come first, while the original 'ff 15' is still there to read the slot from");
            }

            foreach (var alternative in record.Natives)
            {
                Check(DiagnosticIds.NativeDoesNotFit, alternative.ReplacementLength > record.Length || alternative.ReplacementLength > alternative.InstrLength,
                    $"native alternative for {opName} ({Convert.ToHexStringLower([.. alternative.Replacement])}, feature {Alternatives.FeatureText(alternative.Feature)}) is {alternative.ReplacementLength} bytes; the site has {Math.Min(record.Length, alternative.InstrLength)}");
                if (op?.Native is { } configured)
                {
                    string actual = string.Join(' ', alternative.Replacement.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
                    Check(DiagnosticIds.NativeMismatch, actual != configured, $"native alternative for {opName} is '{actual}' but the op's configured native bytes are '{configured}'");
                }
            }
        }

        foreach (var group in scanned.Annotations.GroupBy(a => a.Section))
        {
            Annotation? previous = null;
            foreach (var record in group.OrderBy(a => a.Offset).ThenBy(a => a.RecordOffset))
            {
                bool overlaps = previous is not null && record.Offset < previous.Offset + previous.Length;
                Count(DiagnosticIds.OverlappingRecords, overlaps);
                if (overlaps)
                {
                    findings.Add(new Finding(DiagnosticIds.OverlappingRecords, Severity.Error,
                        $"record at +0x{record.Offset:x} (length {record.Length}) overlaps the record at +0x{previous!.Offset:x} (length {previous.Length})",
                        scanned.Path, record.Section, record.Offset));
                }

                previous = record;
            }
        }

        var nonCalls = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var site in sites)
        {
            if (callsOnly && !site.Annotated && !(site.Kind is SiteKind.Call or SiteKind.Jmp && site.IndirectThroughMemory))
            {
                string kind = site.Kind switch { SiteKind.Load => "loads", SiteKind.Address => "addresses taken", SiteKind.Other => "stores, compares and other uses", _ => "calls through a register" };
                nonCalls[kind] = nonCalls.GetValueOrDefault(kind) + 1;
                continue;
            }

            // A plain call by design (an op the macro machinery cannot bind) is reported, not failed.
            bool byDesign = site.Slot is int slot && expected.TryGetValue(slot, out var op) && !op.Annotated;
            Count(DiagnosticIds.UnannotatedReference, !site.Annotated && !byDesign);
            if (!site.Annotated)
            {
                findings.Add(new Finding(DiagnosticIds.UnannotatedReference, byDesign ? Severity.Note : Severity.Error,
                    $"{Describe(site)} {Reached(site)} has no annotation record{(byDesign ? " (a plain call by design)" : string.Empty)}",
                    scanned.Path, site.Section, site.Offset, site.Function));
            }
        }

        int nonCallCount = nonCalls.Values.Sum();
        if (nonCallCount > 0)
        {
            findings.Add(new Finding(DiagnosticIds.UnannotatedReference, Severity.Note,
                $"{nonCallCount} reference{(nonCallCount == 1 ? " is" : "s are")} to the table but no call through it ({string.Join(", ", nonCalls.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Value} {k.Key}"))}): "
                + "the kernel records and patches only calls, so these need no record ('pvgen scan' lists each)", scanned.Path));
        }

        return new Verification(findings, Coverage(format, formatName, counts, expected), format, nonCallCount);
    }

    /// <summary>Every check with its counts for this object's format, and the family's inapplicable checks with the reason.</summary>
    private static List<CheckCoverage> Coverage(RecordFormat? format, string formatName, Dictionary<string, (int Checked, int Failed)> counts, IReadOnlyDictionary<int, ExpectedOp> expected)
    {
        var coverage = new List<CheckCoverage>();
        bool alt = format?.Family == RecordFamily.AltInstructions;
        IEnumerable<string> applicable = format is null ? CommonChecks : alt ? [.. CommonChecks, .. DirectCallChecks] : [.. CommonChecks, .. ParaChecks];
        foreach (string id in applicable)
        {
            var (c, f) = counts.GetValueOrDefault(id);
            coverage.Add(new CheckCoverage(id, formatName, c, f));
        }

        if (format is null)
        {
            return coverage;
        }

        if (alt)
        {
            coverage.Add(new CheckCoverage(DiagnosticIds.WrongSlot, formatName, 0, 0, $"{formatName} entries name no slot: alt_replace_call() reads it through the site's displacement (checked by {DiagnosticIds.DirectCallNotFf15})"));
            coverage.Add(new CheckCoverage(DiagnosticIds.ClobberMismatch, formatName, 0, 0, $"{formatName} entries carry no clobber mask"));
        }
        else
        {
            foreach (string id in DirectCallChecks)
            {
                coverage.Add(new CheckCoverage(id, formatName, 0, 0, $"{formatName} records are patched by apply_paravirt(), not by alt_replace_call()"));
            }

            if (!format.HasClobbers)
            {
                coverage[coverage.FindIndex(c => c.Id == DiagnosticIds.ClobberMismatch)] = new CheckCoverage(DiagnosticIds.ClobberMismatch, formatName, 0, 0, $"{formatName} records carry no clobber mask");
            }
            else if (!expected.Values.Any(e => e.ClobberMask is not null))
            {
                coverage[coverage.FindIndex(c => c.Id == DiagnosticIds.ClobberMismatch)] = new CheckCoverage(DiagnosticIds.ClobberMismatch, formatName, 0, 0, "no op has a clobber mask to compare with");
            }
        }

        return coverage;
    }

    /// <summary>What a site refers to: its op, else (the table's address through the GOT) the ops it reaches, else its offset.</summary>
    private static string Reached(Site site) =>
        site.Op is { } op ? $"of {op}"
        : site.ViaGot ? site.Feeds.Count > 0 ? $"(reaching {string.Join(", ", site.ReachedOps)})" : "(reaching no call)"
        : $"of table offset {site.TargetOffset}";

    private static string Describe(Site site) => site.ViaGot ? $"{(site.Kind == SiteKind.Load ? "load" : "use")} of the table's address through the GOT" : site.Kind switch
    {
        SiteKind.Call => site.IndirectThroughMemory ? "call through the table" : "call",
        SiteKind.Jmp => site.IndirectThroughMemory ? "jump through the table" : "jump",
        SiteKind.Load => "load of a table slot",
        SiteKind.Address => "use of the table's address",
        _ => "reference to the table",
    };

    /// <summary>
    /// The record must start on the site's instruction boundary (else PVG0201) and cover exactly whole
    /// instructions: the site, plus (for .parainstructions records) any registers its clobber set promises to keep,
    /// pushed and popped inside the annotated bytes as the kernel did (else PVG0204). Without the section's bytes,
    /// the record must be exactly the site's instruction.
    /// </summary>
    private static (string Id, string Message)? CheckRegion(Annotation record, Site site, SectionBytes? code, int pointerSize, bool allowSaves)
    {
        long end = record.Offset + record.Length;
        if (code is null || !code.TryGet(record.Section, out byte[] bytes) || !allowSaves)
        {
            if (site.Offset != record.Offset)
            {
                return (DiagnosticIds.RecordNotOnInstruction, $"record starts at +0x{record.Offset:x}, not at the instruction at +0x{site.Offset:x}");
            }

            return record.Length == site.Length ? null
                : (DiagnosticIds.LengthMismatch, $"record length {record.Length} but the instruction is {site.Length} bytes");
        }

        if (record.Offset < 0 || end > bytes.Length)
        {
            return (DiagnosticIds.LengthMismatch, $"record [+0x{record.Offset:x}, +0x{end:x}) runs past the end of {record.Section} ({bytes.Length} bytes)");
        }

        // x86 cannot be decoded backwards: walk forwards from the record's start over register saves
        // and require the walk to land exactly on the site.
        var decoder = Decoder.Create(pointerSize * 8, new ByteArrayCodeReader(bytes, (int)record.Offset, bytes.Length - (int)record.Offset), (ulong)record.Offset);
        while (decoder.IP < (ulong)site.Offset)
        {
            decoder.Decode(out Instruction save);
            if (save.IsInvalid || save.Mnemonic is not (Mnemonic.Push or Mnemonic.Pop))
            {
                break;
            }
        }

        if (decoder.IP != (ulong)site.Offset)
        {
            return (DiagnosticIds.RecordNotOnInstruction, $"record starts at +0x{record.Offset:x}, not on the instruction at +0x{site.Offset:x} or a register save before it");
        }

        decoder.Decode(out _);
        while (decoder.IP < (ulong)end)
        {
            decoder.Decode(out Instruction restore);
            if (restore.IsInvalid || restore.Mnemonic is not (Mnemonic.Push or Mnemonic.Pop))
            {
                return (DiagnosticIds.LengthMismatch,
                    $"record length {record.Length} reaches into '{restore.Mnemonic.ToString().ToLowerInvariant()}' at +0x{restore.IP:x}; the site is {site.Length} bytes");
            }
        }

        return decoder.IP == (ulong)end ? null
            : (DiagnosticIds.LengthMismatch, $"record length {record.Length} ends at +0x{end:x}, inside an instruction; the site is {site.Length} bytes");
    }
}
