using System.Buffers.Binary;
using LibObjectFile.Elf;
using PvGen.Binary;
using PvGen.Binary.Annotating;
using PvGen.Model;

namespace PvGen.Proving;

/// <summary>
/// Reads one program's two runs and decides: every record applied as the kernel would (bytes verified against the
/// program's own symbols), every patched site that ran did so as a direct call or jump, and the event logs equal up
/// to the tag (events at sites given native code vanish, and nothing else does).
/// </summary>
public static class ProveAnalysis
{
    public static ProveBuild Failed(ProveKey key, string verdict, string error) => new(
        key.Id, key.Compiler.Family, key.Compiler.Version, key.Target.Target.Arch, key.Optimization, key.Pic, key.Style, key.Format.Name, verdict, error,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, [], null, [error]);

    /// <summary>A reference to the table in the linked program, at its address.</summary>
    private sealed record Reference(Site Site, ulong Address, UnpatchableSite? Unpatchable)
    {
        public ulong End => Address + (ulong)Site.Length;
    }

    public static ProveBuild Analyse(ProveKey key, string exe, IReadOnlyList<string> harnessObjects, IReadOnlyList<(string Object, UnpatchableSite Site)> annotateUnpatchable,
        string output, int exitCode, bool timedOut)
    {
        var log = HarnessLog.Parse(output);
        var image = new ExecutableImage(exe);
        var target = key.Target;
        var ops = target.Ops;
        string OpName(int slot) => ops.TryGetValue(slot, out var op) ? op.Path : target.Input.Model.Ops.FirstOrDefault(o => o.Slot == slot)?.Path ?? $"slot {slot}";

        if (timedOut && !log.ReachedPatching || log.Crash is { Phase: 1 } || !log.ReachedPatching)
        {
            string why = log.Crash is { } c ? $"the unpatched run faults (signal {c.Signal} at {image.Describe(c.Address)})"
                : timedOut ? "the unpatched run does not finish"
                : log.Failure is { } f ? "the unpatched run stops: " + f
                : $"the unpatched run ends with exit code {exitCode} before the patcher runs";
            return Failed(key, ProveVerdicts.WorkloadFailed, why + ": the workload itself is broken, so nothing can be compared");
        }

        var harnessFunctions = FunctionsDefinedIn(harnessObjects);
        var scanned = ObjectScanner.ScanFile(exe, ScanOptions.ForModel(target.Input.Model) with { SkipObjectsWithoutSymbol = false, AnnotationFormat = key.Format.Format })[0];
        if (scanned.Error is { } unreadable)
        {
            // Without the program's references nothing can be attributed: never a proof over sites we did not see.
            return Failed(key, ProveVerdicts.BuildFailed, $"pvgen scan cannot read the linked program: {unreadable}");
        }

        var workloadSites = scanned.Sites.Where(s => s.FunctionSymbol is null || !harnessFunctions.Contains(s.FunctionSymbol)).ToList();
        var jumpSlots = target.Expected.Values.Where(e => e.Jump).Select(e => e.Slot).ToHashSet();
        var plan = AnnotationPlanner.Plan(scanned with { Sites = workloadSites.ToEquatableArray() }, key.Format.Format, jumpSlots);
        // Why a reference is unpatchable: what annotate said about it in its object (the linker may have rewritten it since:
        // a GOT load relaxed into a lea), else what the same planner says about the linked instruction.
        var unpatchableAt = plan.Unpatchable.ToDictionary(u => (u.Section, u.Offset));
        var annotateSaid = annotateUnpatchable.Where(u => u.Site.Reason != UnpatchableReason.MarkerUnpaired)
            .GroupBy(u => u.Site.Function).ToDictionary(g => g.Key, g => g.First().Site);
        var references = workloadSites
            .Select(s => new Reference(s, image.Address(s.Section, s.Offset) ?? 0,
                annotateSaid.GetValueOrDefault(s.Function) ?? unpatchableAt.GetValueOrDefault((s.Section, s.Offset))))
            .ToList();

        var findings = new List<string>();
        var records = log.Records;
        string RecordName(PatchedRecord r) => $"record {r.Index} ({OpName(r.Type)}, {r.Length} bytes) at {image.Describe(r.Site)}";

        // 1. Every record applied as the kernel would, the bytes verified against the program's own symbols.
        foreach (var record in records)
        {
            if (record.Refused)
            {
                string why = record.Action switch
                {
                    "refused-short" => $"too short for a {AnnotationPlanner.DirectCallLength}-byte direct call",
                    "refused-type" => $"type {record.Type} names no slot of the table",
                    "refused-null" => "its slot is empty",
                    "refused-length" => $"instrlen {record.Length}, but alt_replace_call() takes only {X86.Alternatives.DirectCallInstrLength}-byte sites",
                    "refused-original" => $"the original bytes {Convert.ToHexString(record.After.AsSpan(0, Math.Min(2, record.After.Length))).ToLowerInvariant()} are no call or jump through a slot (ff 15 / ff 25)",
                    "refused-replacement" => "the replacement is no 5-byte e8 call (or e9 jump)",
                    "refused-kind" => "the replacement's kind differs from the original's (a call replacement on a jump, or a jump replacement on a call)",
                    _ => record.Action,
                };
                findings.Add($"{RecordName(record)}: refused by the patcher ({why}); the kernel would BUG() here");
                continue;
            }

            if (!record.Applied)
            {
                continue;
            }

            if (VerifyBytes(record, target, image, OpName, key.Format.IsAlt) is { } wrong)
            {
                findings.Add($"{RecordName(record)}: {wrong}");
            }
        }

        // Entries at one site apply in order (a native alternative after its DIRECT_CALL entry): the last one decides.
        var applied = records.Where(r => r.Applied).GroupBy(r => r.Site).Select(g => g.Last()).ToList();
        PatchedRecord? RecordCovering(ulong address) => applied.FirstOrDefault(r => address >= r.Site && address < r.Site + (ulong)r.Length);

        // 2. Attribution: which site an event came through, from its return address.
        var callEnds = new Dictionary<ulong, Reference>();
        foreach (var reference in references)
        {
            if (reference.Site.Kind == SiteKind.Call && reference.Site.IndirectThroughMemory)
            {
                callEnds.TryAdd(reference.End, reference);
            }

            foreach (var fed in reference.Site.Feeds)
            {
                if (fed.Kind == SiteKind.Call && image.Address(reference.Site.Section, fed.Offset + fed.Length) is { } end)
                {
                    callEnds.TryAdd(end, reference);
                }
            }
        }

        var directReturns = applied.Where(r => r.Action is "call" or "native").GroupBy(r => r.Site + 5).ToDictionary(g => g.Key, g => g.First());

        // A tail jump returns to its function's caller: the direct call before the return address names the function.
        ulong? TailJumpFunction(ulong returnAddress)
        {
            var before = image.Read(returnAddress - 5, 5);
            if (before is null || before[0] != 0xe8)
            {
                return null;
            }

            ulong callee = returnAddress + (ulong)(long)BinaryPrimitives.ReadInt32LittleEndian(before.AsSpan(1));
            return image.FunctionAt(callee)?.Address;
        }

        Reference? ReferenceOf(LoggedEvent e)
        {
            if (callEnds.TryGetValue(e.ReturnAddress, out var reference))
            {
                return reference;
            }

            return TailJumpFunction(e.ReturnAddress) is { } function
                ? references.FirstOrDefault(r => r.Site.Kind == SiteKind.Jmp && r.Site.Slot == e.Slot && image.FunctionAt(r.Address)?.Address == function)
                : null;
        }

        PatchedRecord? RecordOf(LoggedEvent e)
        {
            if (directReturns.TryGetValue(e.ReturnAddress, out var record))
            {
                return record;
            }

            return TailJumpFunction(e.ReturnAddress) is { } function
                ? applied.FirstOrDefault(r => r.Action == "jmp" && r.Type == e.Slot && image.FunctionAt(r.Site)?.Address == function)
                : null;
        }

        // 3. The unpatched run, less the events of sites the patched run inlines native code at.
        var inlinedRecords = applied.Where(r => r.Action == "native").ToHashSet();
        var expected = new List<LoggedEvent>();
        int inlined = 0;
        foreach (var e in log.Unpatched)
        {
            if (!e.Guard && ReferenceOf(e) is { } reference && RecordCovering(reference.Address) is { } record && inlinedRecords.Contains(record))
            {
                inlined++;
                continue;
            }

            expected.Add(e);
        }

        // 4. The two runs, event by event.
        ProveDifference? difference = null;
        var patched = log.Patched;
        for (int i = 0; i < Math.Max(expected.Count, patched.Count) && difference is null; i++)
        {
            var before = i < expected.Count ? expected[i] : null;
            var after = i < patched.Count ? patched[i] : null;
            if (before is not null && after is not null && before.Call == after.Call && before.Behaviour == after.Behaviour)
            {
                continue;
            }

            var at = before ?? after!;
            string CallName(int index) => index >= 0 && index < log.Calls.Count ? log.Calls[index] : "(outside the workload)";
            string call = CallName(at.Call);
            string? site = before is null ? null : ReferenceOf(before) is { } r ? Where(image, r, RecordCovering(r.Address)) : image.Describe(before.ReturnAddress);
            string message = after is null
                ? log.Crash is { } crash
                    ? $"the patched run faults (signal {crash.Signal}) at {image.Describe(crash.Address)}{Near(RecordCovering(crash.Address) ?? Nearest(applied, crash.Address), image, OpName)} before this event"
                    : timedOut ? "the patched run does not finish"
                    : log.Failure is { } f ? "the patched run stops: " + f
                    : $"the patched run ends (exit code {exitCode}) before this event"
                : before is null ? $"the patched run logs {OpName(after.Slot)}{Args(after)} from {image.Describe(after.ReturnAddress)}, which the unpatched run never does"
                : before.Call != after.Call ? $"the patched run logs {OpName(after.Slot)}{Args(after)} from {image.Describe(after.ReturnAddress)} in workload call '{CallName(after.Call)}'"
                : $"the patched run calls {OpName(after.Slot)}{Args(after)} from {image.Describe(after.ReturnAddress)} instead";

            // The culprit of a fall-through or a wrong target is usually the patched site the runs last agreed on.
            string context = string.Empty;
            if (i > 0 && i - 1 < patched.Count && !patched[i - 1].Guard)
            {
                var last = patched[i - 1];
                context = RecordOf(last) is { } lastRecord
                    ? $"; the last event both runs agree on, {OpName(last.Slot)}, came through {RecordName(lastRecord)}, patched to {lastRecord.Action}"
                    : $"; the last event both runs agree on, {OpName(last.Slot)}, returned to {image.Describe(last.ReturnAddress)}";
            }

            difference = new ProveDifference(call, i, before is null ? null : OpName(before.Slot), site, before is null ? null : Describe(before, OpName), after is null ? null : Describe(after, OpName),
                $"{call}, event {i}{(before is null ? string.Empty : $" ({OpName(before.Slot)}{Args(before)} at {site})")}: {message}{context}");
        }

        // 5. Every event of the patched run: direct through a patched site, or through the table at a site left indirect.
        var directCounts = new Dictionary<PatchedRecord, int>();
        var indirectCounts = new Dictionary<Reference, int>();
        int direct = 0, throughTable = 0;
        foreach (var e in patched.Where(e => !e.Guard))
        {
            if (e.Tag is 'H' or 'N')
            {
                direct++;
                if (RecordOf(e) is { } record)
                {
                    directCounts[record] = directCounts.GetValueOrDefault(record) + 1;
                }
            }
            else if (e.Tag == 'T')
            {
                throughTable++;
                if (ReferenceOf(e) is { } reference)
                {
                    indirectCounts[reference] = indirectCounts.GetValueOrDefault(reference) + 1;
                    if (RecordCovering(reference.Address) is { } record)
                    {
                        findings.Add($"{RecordName(record)}: patched, yet {OpName(e.Slot)} arrived through the table from it");
                    }
                }
            }
            else
            {
                findings.Add($"an event of the patched run carries tag '{e.Tag}' (the patched run must reach only the hypervisor's, native or through-table set)");
            }
        }

        // 6. Every record and every reference, with what became of it.
        var sites = new List<ProveSite>();
        foreach (var record in records)
        {
            var function = image.FunctionAt(record.Site);
            var covered = references.FirstOrDefault(r => r.Address >= record.Site && r.Address < record.Site + (ulong)record.Length);
            var state = record.Action switch
            {
                "call" => ProveSiteState.PatchedCall,
                "jmp" => ProveSiteState.PatchedJmp,
                "native" => ProveSiteState.Native,
                "skipped-condition" => ProveSiteState.Skipped,
                _ => ProveSiteState.Refused,
            };
            sites.Add(new ProveSite(image.Describe(record.Site), covered?.Site.Section ?? string.Empty, covered?.Site.Offset ?? 0, record.Length,
                covered is null ? "record" : ScanKind(covered.Site.Kind), OpName(record.Type), state,
                record.Refused ? record.Action.Replace("refused-", string.Empty, StringComparison.Ordinal) : record.Applied ? null : "condition", null,
                directCounts.GetValueOrDefault(record)));
        }

        foreach (var reference in references.Where(r => RecordCovering(r.Address) is null && !records.Any(p => r.Address >= p.Site && r.Address < p.Site + (ulong)p.Length)))
        {
            var unpatchable = reference.Unpatchable;
            sites.Add(new ProveSite(reference.Site.Function, reference.Site.Section, reference.Site.Offset, reference.Site.Length, ScanKind(reference.Site.Kind), reference.Site.Op,
                ProveSiteState.Indirect, unpatchable?.Reason ?? "unrecorded",
                unpatchable?.Explanation ?? "a call or jump through the table without a record (a plain call of the macro style, or code that bypasses the wrappers)",
                indirectCounts.GetValueOrDefault(reference)));
        }

        // Markers that describe no site (marker style): listed, never dropped, though no reference of the program is theirs.
        foreach (var (objectName, marker) in annotateUnpatchable.Where(u => u.Site.Reason == UnpatchableReason.MarkerUnpaired))
        {
            sites.Add(new ProveSite($"{objectName}: {marker.Function}", marker.Section, marker.Offset, marker.Length, "marker", marker.Op, ProveSiteState.Indirect,
                marker.Reason, marker.Explanation, 0));
        }

        int executed = applied.Count(r => directCounts.ContainsKey(r) || inlinedRecords.Contains(r) && log.Unpatched.Any(e => ReferenceOf(e) is { } x && RecordCovering(x.Address) == r));
        string verdict = difference is null && findings.Count == 0 ? ProveVerdicts.Proved : ProveVerdicts.Differs;
        if (difference is not null)
        {
            findings.Insert(0, difference.Message);
        }

        return new ProveBuild(key.Id, key.Compiler.Family, key.Compiler.Version, target.Target.Arch, key.Optimization, key.Pic, key.Style, key.Format.Name, verdict, null,
            records.Count, records.Count(r => r.Applied), records.Count(r => r.Action == "call"), records.Count(r => r.Action == "jmp"), records.Count(r => r.Action == "native"),
            records.Count(r => r.Refused), executed, applied.Count - executed, direct, log.Unpatched.Count(e => !e.Guard), patched.Count(e => !e.Guard), throughTable, inlined,
            sites, difference, findings);
    }

    /// <summary>The patched bytes must be what the kernel writes: e8/e9 to the hypervisor's (or native set's) entry of the record's op, NOP-padded; or the native bytes, NOP-padded.</summary>
    private static string? VerifyBytes(PatchedRecord record, PreparedTarget target, ExecutableImage image, Func<int, string> opName, bool alt)
    {
        var after = record.After;
        if (after.Length != record.Length)
        {
            return $"the patcher reported {after.Length} bytes for a {record.Length}-byte record";
        }

        int used;
        if (record.Action == "native")
        {
            byte[]? native = target.Ops.TryGetValue(record.Type, out var op) ? op.Native : null;
            if (native is null || !after.AsSpan(0, Math.Min(native.Length, after.Length)).SequenceEqual(native))
            {
                return $"native code {Convert.ToHexString(after)} is not {opName(record.Type)}'s configured native bytes";
            }

            used = native.Length;
        }
        else
        {
            byte opcode = record.Action == "jmp" ? (byte)0xe9 : (byte)0xe8;
            if (after.Length < 5 || after[0] != opcode)
            {
                return $"patched to {Convert.ToHexString(after)}, not a direct {(opcode == 0xe9 ? "jump" : "call")} ({opcode:x2} rel32)";
            }

            ulong destination = record.Site + 5 + (ulong)(long)BinaryPrimitives.ReadInt32LittleEndian(after.AsSpan(1));
            // The slot held the hypervisor's set when the patcher read it: H, or N for ops whose native implementation it is.
            string wrapper = target.Ops.TryGetValue(record.Type, out var op) ? op.Wrapper : $"slot{record.Type}";
            string expected = $"pvgen_{(op?.Native is null ? 'H' : 'N')}_{wrapper}";
            ulong? hypervisor = image.Symbol(expected);
            if (destination != record.Target || hypervisor is null || destination != hypervisor)
            {
                return $"patched to call {image.Describe(destination)}, not the hypervisor's {opName(record.Type)} ({expected})";
            }

            // .parainstructions: the op decides (jump ops are patched to jumps); DIRECT_CALL entries: the original instruction does.
            if (alt)
            {
                bool original = image.Read(record.Site, 2) is [0xff, 0x25];
                if (original != (record.Action == "jmp"))
                {
                    return $"patched as a {record.Action} but the original instruction is a {(original ? "jump" : "call")}";
                }
            }
            else
            {
                bool jump = target.Ops.TryGetValue(record.Type, out var known) && known.Jump;
                if (jump != (record.Action == "jmp"))
                {
                    return $"patched as a {record.Action} but {opName(record.Type)} is {(jump ? "a jump op" : "a call op")}";
                }
            }

            used = 5;
        }

        return after.AsSpan(used).ToArray().All(b => b == 0x90) ? null : $"the bytes after the patch are {Convert.ToHexString(after.AsSpan(used))}, not NOPs";
    }

    private static HashSet<string> FunctionsDefinedIn(IReadOnlyList<string> objects)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string path in objects)
        {
            using var stream = File.OpenRead(path);
            var elf = ElfFile.Read(stream, new ElfReaderOptions());
            foreach (var symbol in elf.Sections.OfType<ElfSymbolTable>().SelectMany(t => t.Entries))
            {
                if (!symbol.SectionLink.IsEmpty && symbol.SectionLink.Section is { } && !symbol.Name.IsEmpty
                    && symbol.Type is ElfSymbolType.Function or ElfSymbolType.NoType)
                {
                    names.Add(symbol.Name.Value);
                }
            }
        }

        return names;
    }

    private static string Where(ExecutableImage image, Reference reference, PatchedRecord? record) =>
        $"{image.Describe(reference.Address)} ({reference.Site.Section}+0x{reference.Site.Offset:x}{(record is null ? ", no record" : $", record {record.Index}")})";

    private static PatchedRecord? Nearest(IReadOnlyList<PatchedRecord> records, ulong address) =>
        records.Where(r => r.Site <= address + 16 && r.Site + (ulong)r.Length + 16 >= address).OrderBy(r => Math.Abs((long)r.Site - (long)address)).FirstOrDefault();

    private static string Near(PatchedRecord? record, ExecutableImage image, Func<int, string> opName) =>
        record is null ? string.Empty : $", by record {record.Index} ({opName(record.Type)}, {record.Length} bytes at {image.Describe(record.Site)}, patched to {Convert.ToHexString(record.After).ToLowerInvariant()})";

    private static string Args(LoggedEvent e) => $"({string.Join(", ", e.Arguments.Select(a => "0x" + a))}){(e.Result is null ? string.Empty : " = 0x" + e.Result)}";

    private static string Describe(LoggedEvent e, Func<int, string> opName) => e.Guard ? "(guard: the call was cut short)" : $"{e.Tag} {opName(e.Slot)}{Args(e)}";

    private static string ScanKind(SiteKind kind) => Binary.Output.ScanJsonWriter.KindName(kind);
}
