using Iced.Intel;
using PvGen.Binary;
using PvGen.Model;
using PvGen.X86;

namespace PvGen.Checking.Annotations;

/// <summary>
/// Verifies every .parainstructions record of one object against the machine code it claims to
/// describe: the site is an indirect call (jump for jump ops) through the table, on an instruction
/// boundary, through the record's slot; its length is right and leaves room for a direct call and
/// the native replacement; clobbers match; records do not overlap; every table reference is annotated.
/// </summary>
public static class AnnotationVerifier
{
    /// <summary>The smallest site a patcher can turn into a direct call (e8 rel32).</summary>
    public static int DirectCallLength => SiteEncodings.DirectCallLength;

    public static IReadOnlyList<Finding> Verify(ScannedObject scanned, OpsModel model, IReadOnlyDictionary<int, ExpectedOp> expected, SectionBytes? code = null)
    {
        var findings = new List<Finding>();
        int pointerSize = model.Target.PointerSize;
        var sites = scanned.Sites.ToList();

        foreach (var record in scanned.Annotations.OrderBy(a => a.Section, StringComparer.Ordinal).ThenBy(a => a.Offset))
        {
            long end = record.Offset + record.Length;
            var site = sites.FirstOrDefault(s => s.Section == record.Section && s.Offset < end && s.Offset + s.Length > record.Offset);
            expected.TryGetValue(record.Type, out var op);
            string opName = op?.Path ?? $"slot {record.Type}";
            Finding At(string id, string message, long? offset = null, string? function = null) =>
                new(id, Severity.Error, message, scanned.Path, record.Section, offset ?? record.Offset, function ?? site?.Function);

            if (site is null)
            {
                findings.Add(At(DiagnosticIds.RecordWithoutSite,
                    $"record for {opName} (type {record.Type}, length {record.Length}) covers no reference to the table"));
                continue;
            }

            if (CheckRegion(record, site, code, pointerSize) is { } regionProblem)
            {
                findings.Add(At(regionProblem.Id, regionProblem.Message));
            }

            var wanted = op?.Jump == true ? SiteKind.Jmp : SiteKind.Call;
            if (site.Kind != wanted || !site.IndirectThroughMemory)
            {
                findings.Add(At(DiagnosticIds.SiteNotIndirectCall,
                    $"record for {opName} annotates a {Describe(site)}, not an indirect {(wanted == SiteKind.Jmp ? "jump" : "call")} through the table", site.Offset));
            }
            else if (site.TargetOffset != (long)record.Type * pointerSize)
            {
                string called = site.Op ?? $"slot {site.Slot}";
                findings.Add(At(DiagnosticIds.WrongSlot,
                    $"record type {record.Type} ({opName}) but the site calls {called} (table offset {site.TargetOffset}, slot {site.TargetOffset / pointerSize})", site.Offset));
            }

            if (record.Length < DirectCallLength)
            {
                findings.Add(At(DiagnosticIds.SiteTooShort, $"record for {opName} is {record.Length} bytes: too short for a {DirectCallLength}-byte direct call"));
            }

            if (op?.NativeLength is int native && record.Length < native)
            {
                findings.Add(At(DiagnosticIds.TooShortForNative, $"record for {opName} is {record.Length} bytes but its native replacement needs {native}"));
            }

            if (op?.ClobberMask is int mask && record.Clobbers is int clobbers && clobbers != mask)
            {
                findings.Add(At(DiagnosticIds.ClobberMismatch, $"record for {opName} clobbers 0x{clobbers:x} but the op is configured to clobber 0x{mask:x}"));
            }
        }

        foreach (var group in scanned.Annotations.GroupBy(a => a.Section))
        {
            Annotation? previous = null;
            foreach (var record in group.OrderBy(a => a.Offset))
            {
                if (previous is not null && record.Offset < previous.Offset + previous.Length)
                {
                    findings.Add(new Finding(DiagnosticIds.OverlappingRecords, Severity.Error,
                        $"record at +0x{record.Offset:x} (length {record.Length}) overlaps the record at +0x{previous.Offset:x} (length {previous.Length})",
                        scanned.Path, record.Section, record.Offset));
                }

                previous = record;
            }
        }

        foreach (var site in sites.Where(s => !s.Annotated))
        {
            // A plain call by design (an op the macro machinery cannot bind) is reported, not failed.
            bool byDesign = site.Slot is int slot && expected.TryGetValue(slot, out var op) && !op.Annotated;
            findings.Add(new Finding(DiagnosticIds.UnannotatedReference, byDesign ? Severity.Note : Severity.Error,
                $"{Describe(site)} of {site.Op ?? $"table offset {site.TargetOffset}"} has no annotation record{(byDesign ? " (a plain call by design)" : string.Empty)}",
                scanned.Path, site.Section, site.Offset, site.Function));
        }

        return findings;
    }

    private static string Describe(Site site) => site.Kind switch
    {
        SiteKind.Call => site.IndirectThroughMemory ? "call through the table" : "call",
        SiteKind.Jmp => site.IndirectThroughMemory ? "jump through the table" : "jump",
        SiteKind.Load => "load of a table slot",
        SiteKind.Address => "use of the table's address",
        _ => "reference to the table",
    };

    /// <summary>
    /// The record must start on the site's instruction boundary (else PVG0201) and cover exactly whole
    /// instructions: the site, plus any registers its clobber set promises to keep, pushed and popped inside
    /// the annotated bytes as the kernel did (else PVG0204). Without the section's bytes, the record must be
    /// exactly the site's instruction.
    /// </summary>
    private static (string Id, string Message)? CheckRegion(Annotation record, Site site, SectionBytes? code, int pointerSize)
    {
        long end = record.Offset + record.Length;
        if (code is null || !code.TryGet(record.Section, out byte[] bytes))
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
