using Iced.Intel;
using PvGen.Binary;
using PvGen.Generation;
using PvGen.Model;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Checking.Annotations;

/// <summary>
/// Verifies the VMI template set's output from a compiled object (docs/vmi-record.md): every vmi24 record is read through
/// its relocations and checked against the bytes it describes, decoded with Iced.
/// <list type="bullet">
/// <item>Registers: the record's inputs and outputs are the registers of the asm's own operands, as the compiler bound
/// them and the assembler encoded them in the site's witnesses (one <c>mov %reg, %reg</c> per operand); its clobbers
/// are the op's planned set.</item>
/// <item>Default: a native default is the configured bytes at the site's start, on an instruction boundary, NOP-padded
/// to the recorded length, with room for a direct call, and (for calls, not jumps) reads only the site's input
/// registers and writes only its outputs and clobbers; a call default is one indirect call (jump for jump ops) through
/// the record's slot, of the recorded length.</item>
/// <item>Slot: the site lies in its op's wrapper (or the exerciser function that inlined it).</item>
/// </list>
/// </summary>
public static class VmiVerifier
{
    private const int DirectCallLength = 5;

    public static (IReadOnlyList<Finding> Findings, IReadOnlyList<CheckCoverage> Coverage, int Records) Run(ScannedObject scanned, ElfObject elf, IReadOnlyList<ManifestOp> ops)
    {
        string format = VmiRecordFormat.Name;
        var read = VmiSections.Read(elf);
        var findings = new List<Finding>();
        if (read.Error is not null || !read.Present)
        {
            findings.Add(new Finding(DiagnosticIds.VmiRecordUnreadable, Severity.Error,
                read.Error ?? $"no {VmiRecordFormat.Section} section: the object carries no VMI records", scanned.Path));
            return (findings, [], 0);
        }

        int wordSize = elf.Bitness / 8;
        var bySlot = ops.Where(o => !o.Skipped && o.Annotated).ToDictionary(o => o.Slot);
        var byFunction = ops.Where(o => o.Wrapper is not null && !o.Skipped)
            .SelectMany(o => new[] { (CheckRunner.ExerciserPrefix + o.Wrapper, o), (o.Wrapper!, o) })
            .ToDictionary(p => p.Item1, p => p.o, StringComparer.Ordinal);

        // Each site's witnesses run from its bind label to the next site's (or the section's end).
        var bindStarts = read.Records.Select(r => r.Bind).Distinct().OrderBy(b => b.Section, StringComparer.Ordinal).ThenBy(b => b.Offset).ToList();
        var counts = new Dictionary<string, (int Checked, int Failed)>(StringComparer.Ordinal);
        void Count(string id, bool failed)
        {
            var (c, f) = counts.GetValueOrDefault(id);
            counts[id] = (c + 1, f + (failed ? 1 : 0));
        }

        foreach (var record in read.Records)
        {
            var function = elf.Functions.FirstOrDefault(f => f.Section == record.Site.Section && record.Site.Offset >= f.Offset && record.Site.Offset < f.Offset + Math.Max(f.Size, 1));
            Finding At(string id, string message) => new(id, Severity.Error, message, scanned.Path, record.Site.Section, record.Site.Offset, function?.Name);

            if (!bySlot.TryGetValue(record.Slot, out var op))
            {
                findings.Add(At(DiagnosticIds.WrongSlot, $"a {format} record names slot {record.Slot}, which no recorded wrapper has"));
                Count(DiagnosticIds.WrongSlot, true);
                continue;
            }

            string who = $"{op.Wrapper} ({op.Path})";
            bool wrongFunction = function is null || !byFunction.TryGetValue(function.Name, out var owner) || owner.Slot != op.Slot;
            if (wrongFunction)
            {
                findings.Add(At(DiagnosticIds.WrongSlot, $"{who}: its record (slot {op.Slot}) annotates a site in {function?.Name ?? "no function"}, not in {op.Wrapper} or its exerciser"));
            }

            Count(DiagnosticIds.WrongSlot, wrongFunction);
            if (!read.Sections.TryGetValue(record.Site.Section, out var code) || record.Site.Offset < 0 || record.Site.Offset + record.Length > code.Length)
            {
                findings.Add(At(DiagnosticIds.RecordWithoutSite, $"{who}: the record's {record.Length}-byte site lies outside {record.Site.Section}"));
                continue;
            }

            var site = code.AsSpan((int)record.Site.Offset, record.Length);
            if (record.Length < DirectCallLength)
            {
                findings.Add(At(DiagnosticIds.SiteTooShort, $"{who}: the site is {record.Length} bytes, too short for a {DirectCallLength}-byte direct call"));
            }

            VerifyDefault(record, op, site, wordSize, scanned, who, findings, At, Count);
            VerifyRegisters(record, op, read, bindStarts, wordSize, who, findings, At, Count);
        }

        var coverage = counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new CheckCoverage(c.Key, format, c.Value.Checked, c.Value.Failed)).ToList();
        return (findings, coverage, read.Records.Count);
    }

    private static void VerifyDefault(VmiRecord record, ManifestOp op, ReadOnlySpan<byte> site, int wordSize, ScannedObject scanned, string who, List<Finding> findings,
        Func<string, string, Finding> at, Action<string, bool> count)
    {
        int before = findings.Count;
        if (op.Native is { } native)
        {
            byte[] expected = [.. native.Split(' ').Select(b => Convert.ToByte(b, 16))];
            if (record.NativeLength != expected.Length)
            {
                findings.Add(at(DiagnosticIds.NativeMismatch, $"{who}: the record's native_len is {record.NativeLength}, pvgen.json's native bytes \"{native}\" are {expected.Length}"));
            }
            else if (expected.Length > record.Length)
            {
                findings.Add(at(DiagnosticIds.NativeDoesNotFit, $"{who}: the native default is {expected.Length} bytes, the site {record.Length}"));
            }
            else if (!site[..expected.Length].SequenceEqual(expected))
            {
                findings.Add(at(DiagnosticIds.NativeMismatch, $"{who}: the site starts with {Hex(site[..expected.Length])}, not the native bytes \"{native}\""));
            }
            else
            {
                var instructions = Decode(site.ToArray(), wordSize);
                int end = 0;
                int nativeEnd = -1;
                foreach (var instruction in instructions)
                {
                    end += instruction.Length;
                    if (end == expected.Length)
                    {
                        nativeEnd = end;
                    }
                    else if (end > expected.Length && instruction.Mnemonic != Mnemonic.Nop)
                    {
                        findings.Add(at(DiagnosticIds.NativeMismatch, $"{who}: after its native default the site holds {instruction} at +{end - instruction.Length}, not NOP padding"));
                        break;
                    }
                }

                if (nativeEnd < 0)
                {
                    findings.Add(at(DiagnosticIds.RecordNotOnInstruction, $"{who}: the native bytes \"{native}\" do not end on an instruction boundary"));
                }
                else if (!op.Jump)
                {
                    // A jump op leaves the function: its register environment is the whole machine state, not the site's.
                    VerifyNativeRegisters(record, instructions, expected.Length, wordSize, who, findings, at, count);
                }
            }

            count(DiagnosticIds.NativeMismatch, findings.Count > before);
            return;
        }

        if (record.NativeLength != 0)
        {
            findings.Add(at(DiagnosticIds.NativeMismatch, $"{who}: the record says {record.NativeLength} native bytes, but the op has none configured"));
        }

        var call = Decode(site.ToArray(), wordSize).FirstOrDefault();
        var flow = op.Jump ? FlowControl.IndirectBranch : FlowControl.IndirectCall;
        if (call.Length != record.Length || call.FlowControl != flow)
        {
            findings.Add(at(DiagnosticIds.SiteNotIndirectCall, $"{who}: the {record.Length}-byte site holds {Hex(site)}, not one indirect {(op.Jump ? "jmp" : "call")}"));
        }
        else if (scanned.Sites.FirstOrDefault(s => s.Section == record.Site.Section && s.Offset == record.Site.Offset) is var found && found?.Slot != op.Slot)
        {
            findings.Add(at(DiagnosticIds.WrongSlot, $"{who}: the site's call goes through {(found?.Slot is { } slot ? $"slot {slot}" : "no table slot")}, not slot {op.Slot}"));
        }

        count(DiagnosticIds.SiteNotIndirectCall, findings.Count > before);
    }

    /// <summary>The native default reads only the site's inputs and writes only its outputs and clobbers (the stack pointer aside).</summary>
    private static void VerifyNativeRegisters(VmiRecord record, IReadOnlyList<Instruction> instructions, int nativeLength, int wordSize, string who, List<Finding> findings,
        Func<string, string, Finding> at, Action<string, bool> count)
    {
        int before = findings.Count;
        var inputs = record.Inputs.ToHashSet();
        var writable = record.Outputs.Concat(RegisterNumbers.Names(record.Clobbers, wordSize).Select(n => RegisterNumbers.Of(n, wordSize) ?? -1)).ToHashSet();
        var factory = new InstructionInfoFactory();
        int offset = 0;
        foreach (var instruction in instructions)
        {
            if (offset >= nativeLength)
            {
                break;
            }

            offset += instruction.Length;
            foreach (var used in factory.GetInfo(instruction).GetUsedRegisters())
            {
                if (!used.Register.IsGPR())
                {
                    continue;
                }

                string name = (wordSize == 8 ? used.Register.GetFullRegister() : used.Register.GetFullRegister32()).ToString().ToLowerInvariant();
                int? number = RegisterNumbers.Of(name, wordSize);
                if (name is "rsp" or "esp" || number is null)
                {
                    continue;
                }

                bool reads = used.Access is OpAccess.Read or OpAccess.CondRead or OpAccess.ReadWrite or OpAccess.ReadCondWrite;
                bool writes = used.Access is OpAccess.Write or OpAccess.CondWrite or OpAccess.ReadWrite or OpAccess.ReadCondWrite;
                if (reads && !inputs.Contains(number.Value))
                {
                    findings.Add(at(DiagnosticIds.NativeRegisterUse, $"{who}: the native default ({instruction}) reads {name}, which is not among the site's inputs ({Names(record.Inputs, wordSize)})"));
                }

                if (writes && !writable.Contains(number.Value))
                {
                    findings.Add(at(DiagnosticIds.NativeRegisterUse, $"{who}: the native default ({instruction}) writes {name}, which is neither an output nor a clobber of the site"));
                }
            }
        }

        count(DiagnosticIds.NativeRegisterUse, findings.Count > before);
    }

    /// <summary>The record's registers against the witnesses the assembler encoded from the asm's operands, and its clobbers against the plan.</summary>
    private static void VerifyRegisters(VmiRecord record, ManifestOp op, VmiSectionResult read, List<CodeLocation> bindStarts, int wordSize, string who, List<Finding> findings,
        Func<string, string, Finding> at, Action<string, bool> count)
    {
        int before = findings.Count;
        var witnesses = Witnesses(record.Bind, read, bindStarts, wordSize, out string? problem);
        if (problem is not null)
        {
            findings.Add(at(DiagnosticIds.VmiRegisterMismatch, $"{who}: its register witnesses at {record.Bind} cannot be read: {problem}"));
        }
        else if (witnesses.Count != record.Inputs.Count + record.Outputs.Count)
        {
            findings.Add(at(DiagnosticIds.VmiRegisterMismatch,
                $"{who}: the record names {record.Inputs.Count} input and {record.Outputs.Count} output registers, but the asm binds {witnesses.Count} ({Names(witnesses, wordSize)})"));
        }
        else
        {
            for (int i = 0; i < witnesses.Count; i++)
            {
                bool input = i < record.Inputs.Count;
                int recorded = input ? record.Inputs[i] : record.Outputs[i - record.Inputs.Count];
                if (recorded != witnesses[i])
                {
                    string role = input ? $"input {i}" : $"output {i - record.Inputs.Count}";
                    findings.Add(at(DiagnosticIds.VmiRegisterMismatch,
                        $"{who}: the record says {role} is {RegisterName(recorded, wordSize)}, but the asm binds {RegisterName(witnesses[i], wordSize)}"));
                }
            }
        }

        int planned = RegisterNumbers.MaskOf(op.Clobbers.Select(n => CallAbi.For(wordSize).Find(n)!), wordSize);
        if (record.Clobbers != planned)
        {
            findings.Add(at(DiagnosticIds.ClobberMismatch,
                $"{who}: the record's clobbers are {{{string.Join(", ", RegisterNumbers.Names(record.Clobbers, wordSize))}}}, the op's are {{{string.Join(", ", op.Clobbers)}}}"));
        }

        count(DiagnosticIds.VmiRegisterMismatch, findings.Count > before);
    }

    /// <summary>The register numbers of the witnesses from <paramref name="bind"/> to the next site's: each must be <c>mov %reg, %reg</c>.</summary>
    private static List<int> Witnesses(CodeLocation bind, VmiSectionResult read, List<CodeLocation> bindStarts, int wordSize, out string? problem)
    {
        problem = null;
        var registers = new List<int>();
        if (!read.Sections.TryGetValue(bind.Section, out var bytes) || bind.Offset < 0 || bind.Offset > bytes.Length)
        {
            problem = $"outside {bind.Section}";
            return registers;
        }

        long end = bindStarts.Where(b => b.Section == bind.Section && b.Offset > bind.Offset).Select(b => b.Offset).DefaultIfEmpty(bytes.Length).Min();
        bool ended = false;
        foreach (var instruction in Decode(bytes.AsSpan((int)bind.Offset, (int)(end - bind.Offset)).ToArray(), wordSize))
        {
            if (instruction.Mnemonic == Mnemonic.Int3)
            {
                ended = true;
                break;
            }

            if (instruction.Mnemonic != Mnemonic.Mov || instruction.OpCount != 2 || instruction.Op0Kind != OpKind.Register || instruction.Op1Kind != OpKind.Register
                || instruction.Op0Register != instruction.Op1Register || !instruction.Op0Register.IsGPR())
            {
                problem = $"'{instruction}' is not a 'mov %reg, %reg' witness";
                return registers;
            }

            string name = (wordSize == 8 ? instruction.Op0Register.GetFullRegister() : instruction.Op0Register.GetFullRegister32()).ToString().ToLowerInvariant();
            registers.Add(RegisterNumbers.Of(name, wordSize) ?? -1);
        }

        if (!ended)
        {
            problem = $"they do not end with '{VmiRecordFormat.WitnessEnd}' before the next site's";
        }

        return registers;
    }

    private static List<Instruction> Decode(byte[] bytes, int wordSize)
    {
        var decoder = Decoder.Create(wordSize * 8, new ByteArrayCodeReader(bytes), 0);
        var instructions = new List<Instruction>();
        while (decoder.IP < (ulong)bytes.Length)
        {
            decoder.Decode(out var instruction);
            if (instruction.IsInvalid)
            {
                break;
            }

            instructions.Add(instruction);
        }

        return instructions;
    }

    private static string RegisterName(int number, int wordSize) => RegisterNumbers.Name(number, wordSize) ?? (number == RegisterNumbers.None ? "none (0xff)" : $"#{number}");

    private static string Names(IEnumerable<int> numbers, int wordSize) => string.Join(", ", numbers.Select(n => RegisterName(n, wordSize))) is { Length: > 0 } names ? names : "none";

    private static string Hex(ReadOnlySpan<byte> bytes) => string.Join(' ', bytes.ToArray().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
