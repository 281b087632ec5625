using Iced.Intel;
using PvGen.Model;
using PvGen.X86;
using Register = Iced.Intel.Register;

namespace PvGen.Binary;

/// <summary>A relocation against the table inside one executable section.</summary>
/// <param name="Offset">Section-relative offset of the relocated field.</param>
/// <param name="Addend">The explicit addend (RELA), or null to read it from the field (REL).</param>
/// <param name="Base">The table offset the relocated symbol's address stands for (non-zero only for split tables' group variables).</param>
/// <param name="ImplicitBias">
/// Subtracted from a REL field to get its addend. Zero in a relocatable object; in a linked one (--emit-relocs) the linker has
/// already written the final value into the field: S + A for absolute types (bias S), S + A - P for PC-relative ones (bias S - P).
/// </param>
internal readonly record struct RelocationHit(long Offset, RelocationInfo Info, long? Addend, long Base = 0, long ImplicitBias = 0);

/// <summary>A symbol that starts a run of code (objdump restarts decoding at each one, and so do we).</summary>
internal readonly record struct CodeSymbol(long Offset, string Name)
{
    /// <summary>The index of the last symbol at or before <paramref name="offset"/> in symbols sorted by offset, or -1.</summary>
    public static int LastAtOrBefore(IReadOnlyList<CodeSymbol> symbols, long offset)
    {
        int lo = 0, hi = symbols.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (symbols[mid].Offset <= offset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }
}

/// <summary>
/// Decodes only where relocations point: from the start of the symbol that contains a relocation up to the
/// instruction holding it, then classifies that instruction and follows a loaded register to the calls it feeds.
/// </summary>
internal sealed class SiteDecoder
{
    /// <summary>What a call kills: the psABI's caller-saved registers (PvGen.X86's call ABIs), as Iced's full registers.</summary>
    private static readonly Register[] CallerSaved64 = IcedRegisters(CallAbi.X86_64);

    private static readonly Register[] CallerSaved32 = IcedRegisters(CallAbi.I386);

    private static Register[] IcedRegisters(CallAbi abi) =>
        [.. abi.CallerSaved.Select(r => Enum.Parse<Register>(r.Name, ignoreCase: true).GetFullRegister())];

    private readonly byte[] code;
    private readonly int codeLength;
    private readonly int bitness;
    private readonly string section;
    private readonly OpNames names;
    private readonly ScanOptions options;
    private readonly InstructionInfoFactory infoFactory = new();
    private readonly IReadOnlyDictionary<long, Register> thunks;

    /// <param name="thunks">Section-relative offsets of relocated fields whose symbol is a retpoline thunk, with the thunk's register.</param>
    public SiteDecoder(byte[] code, int codeLength, bool is64, string section, OpNames names, ScanOptions options, IReadOnlyDictionary<long, Register>? thunks = null)
    {
        this.thunks = thunks ?? new Dictionary<long, Register>();
        this.code = code;
        this.codeLength = codeLength;
        bitness = is64 ? 64 : 32;
        this.section = section;
        this.names = names;
        this.options = options;
    }

    private int PointerSize => bitness / 8;

    /// <param name="hits">Sorted by offset, all inside the section (the caller checked the bounds).</param>
    /// <param name="symbols">Sorted by offset, all inside the section.</param>
    public List<Site> Decode(IReadOnlyList<RelocationHit> hits, IReadOnlyList<CodeSymbol> symbols)
    {
        var sites = new List<Site>(hits.Count);
        int h = 0;
        while (h < hits.Count)
        {
            // One linear pass per run of code: all hits between this symbol and the next share the decoder.
            int symbolIndex = CodeSymbol.LastAtOrBefore(symbols, hits[h].Offset);
            long start = symbolIndex >= 0 ? symbols[symbolIndex].Offset : 0;
            long end = symbolIndex + 1 < symbols.Count ? Math.Min(symbols[symbolIndex + 1].Offset, codeLength) : codeLength;
            string? symbolName = symbolIndex >= 0 ? symbols[symbolIndex].Name : null;
            var reader = new ByteArrayCodeReader(code, (int)start, (int)(end - start));
            var decoder = Iced.Intel.Decoder.Create(bitness, reader, (ulong)start, DecoderOptions.None);
            Instruction instruction = default;
            bool haveInstruction = false;

            int first = h;
            for (; h < hits.Count && hits[h].Offset < end; h++)
            {
                var hit = hits[h];
                while ((!haveInstruction || (long)instruction.NextIP <= hit.Offset) && reader.CanReadByte)
                {
                    decoder.Decode(out instruction);
                    haveInstruction = true;
                }

                bool contains = haveInstruction && (long)instruction.IP <= hit.Offset && hit.Offset < (long)instruction.NextIP;
                sites.Add(contains
                    ? Classify(decoder, instruction, hit, symbolName, start, end)
                    : Undecoded(hit, symbolName, start));
            }

            if (h == first)
            {
                // Cannot happen with sane symbols; guarantees progress with insane ones.
                sites.Add(Undecoded(hits[h], symbolName, start));
                h++;
            }
        }

        return sites;
    }

    private Site Classify(Iced.Intel.Decoder decoder, in Instruction instruction, RelocationHit hit, string? symbolName, long symbolStart, long runEnd)
    {
        long ip = (long)instruction.IP;
        int length = instruction.Length;
        var constants = decoder.GetConstantOffsets(instruction);
        int position = (int)(hit.Offset - ip);
        bool inDisplacement = constants.HasDisplacement && position == constants.DisplacementOffset;
        bool inImmediate = constants.HasImmediate && (position == constants.ImmediateOffset || position == constants.ImmediateOffset2);

        long addend = hit.Addend ?? ReadImplicitAddend(hit);
        bool viaGot = hit.Info.Mode == RelocationMode.Got;
        long target = hit.Base + hit.Info.Mode switch
        {
            RelocationMode.PcRelative => addend + ((long)instruction.NextIP - hit.Offset),
            RelocationMode.Got => 0,
            _ => addend,
        };

        var kind = SiteKind.Other;
        var form = MemoryForm.None;
        bool throughMemory = false;
        Register destination = Register.None;
        TrackedValue? tracked = null;
        if (inDisplacement && instruction.Mnemonic != Mnemonic.INVALID)
        {
            form = FormOf(instruction);
            switch (instruction.FlowControl)
            {
                case FlowControl.IndirectCall when instruction.Op0Kind == OpKind.Memory:
                    kind = SiteKind.Call;
                    throughMemory = true;
                    break;
                case FlowControl.IndirectBranch when instruction.Op0Kind == OpKind.Memory:
                    kind = SiteKind.Jmp;
                    throughMemory = true;
                    break;
                default:
                    if (instruction.Mnemonic == Mnemonic.Lea && instruction.Op0Kind == OpKind.Register)
                    {
                        kind = SiteKind.Address;
                        destination = instruction.Op0Register;
                        tracked = new TrackedValue(IsTableAddress: true, target);
                    }
                    else if (instruction.Mnemonic == Mnemonic.Mov && instruction.Op0Kind == OpKind.Register && instruction.Op1Kind == OpKind.Memory)
                    {
                        kind = SiteKind.Load;
                        destination = instruction.Op0Register;
                        tracked = new TrackedValue(IsTableAddress: viaGot, target);
                    }

                    break;
            }
        }
        else if (inImmediate && instruction.Mnemonic != Mnemonic.INVALID)
        {
            kind = SiteKind.Address;
            if (instruction.Mnemonic == Mnemonic.Mov && instruction.Op0Kind == OpKind.Register)
            {
                destination = instruction.Op0Register;
                tracked = new TrackedValue(IsTableAddress: true, target);
            }
        }

        var (feeds, readThrough) = tracked is { } value && destination != Register.None
            ? Follow((long)instruction.NextIP, runEnd, destination, value)
            : (EquatableArray<FedSite>.Empty, false);

        // Through the GOT the instruction loads the table's address, which names no slot (slot 0 is an op of its own):
        // the ops it reaches are its feeds. An address that is never read through nor called through is the address of
        // the table (or of a member, &pv_ops.x, offset later) handed on: taken, as a lea or mov $sym is without -fpic.
        if (viaGot && kind == SiteKind.Load && feeds.Count == 0 && !readThrough)
        {
            kind = SiteKind.Address;
        }

        return new Site(
            section,
            ip,
            length,
            kind,
            target,
            viaGot ? null : SlotOf(target),
            viaGot ? null : names.Find(target),
            symbolName,
            ip - symbolStart,
            hit.Info.Mode == RelocationMode.Resolved ? null : hit.Info.Name,
            hit.Offset,
            Annotated: false,
            throughMemory,
            form,
            viaGot,
            code.AsSpan((int)ip, length).ToArray().ToEquatableArray(),
            feeds);
    }

    /// <summary>A relocation that does not sit in an instruction's displacement or immediate field (data in code, a decoding desync).</summary>
    private Site Undecoded(RelocationHit hit, string? symbolName, long symbolStart)
    {
        bool viaGot = hit.Info.Mode == RelocationMode.Got;
        long target = hit.Base + (viaGot ? 0 : hit.Addend ?? ReadImplicitAddend(hit));
        return new Site(section, hit.Offset, 0, SiteKind.Other, target, viaGot ? null : SlotOf(target), viaGot ? null : names.Find(target), symbolName, hit.Offset - symbolStart,
            hit.Info.Mode == RelocationMode.Resolved ? null : hit.Info.Name, hit.Offset, false, false, MemoryForm.None, hit.Info.Mode == RelocationMode.Got, EquatableArray<byte>.Empty, EquatableArray<FedSite>.Empty);
    }

    private long ReadImplicitAddend(RelocationHit hit)
    {
        if (hit.Info.FieldSize <= 0 || hit.Offset + hit.Info.FieldSize > codeLength)
        {
            return 0;
        }

        // The field's arithmetic wraps at its width (an i386 kernel's addresses are above 2 GiB).
        return ElfSections.ImplicitAddend(hit.Info, code.AsSpan((int)hit.Offset, hit.Info.FieldSize), hit.ImplicitBias);
    }

    private int? SlotOf(long target) => target >= 0 && target / PointerSize <= int.MaxValue ? (int)(target / PointerSize) : null;

    private static MemoryForm FormOf(in Instruction instruction)
    {
        if (instruction.IsIPRelativeMemoryOperand)
        {
            return MemoryForm.RipRelative;
        }

        return instruction.MemoryBase == Register.None && instruction.MemoryIndex == Register.None ? MemoryForm.Absolute : MemoryForm.Register;
    }

    /// <summary>What a followed register holds: a slot's pointer, or the table's address plus an offset.</summary>
    private readonly record struct TrackedValue(bool IsTableAddress, long Offset);

    /// <summary>
    /// Walks forward in straight-line order to the end of the run or the first instruction that does not fall through
    /// (jmp, ret, int3), tracking which registers hold the value:
    /// copies propagate it, <c>mov off(%reg),%r2</c> turns a table address into a slot pointer, any other write
    /// kills it, and every call kills the caller-saved registers. Reports each indirect call/jmp it reaches.
    /// </summary>
    /// <returns>The calls and jumps reached, and whether a tracked table address was read through (a memory operand based on it).</returns>
    private (EquatableArray<FedSite> Feeds, bool ReadThrough) Follow(long from, long end, Register register, TrackedValue value)
    {
        if (from >= end)
        {
            return (EquatableArray<FedSite>.Empty, false);
        }

        bool readThrough = false;

        var live = new Dictionary<Register, TrackedValue> { [register.GetFullRegister()] = value };
        var feeds = new List<FedSite>();
        var reader = new ByteArrayCodeReader(code, (int)from, (int)(end - from));
        var decoder = Iced.Intel.Decoder.Create(bitness, reader, (ulong)from, DecoderOptions.None);
        var killed = new List<Register>();
        for (int count = 0; count < options.MaxFollowInstructions && live.Count > 0 && reader.CanReadByte; count++)
        {
            decoder.Decode(out var instruction);
            if (instruction.Code == Code.INVALID)
            {
                break;
            }

            var flow = instruction.FlowControl;
            if (instruction.Mnemonic != Mnemonic.Lea && HasMemoryOperand(instruction)
                && live.TryGetValue(instruction.MemoryBase.GetFullRegister(), out var based) && based.IsTableAddress)
            {
                readThrough = true;
            }

            if (flow is FlowControl.Call or FlowControl.UnconditionalBranch && ThunkRegister(instruction) is { } thunk
                && live.TryGetValue(thunk, out var thunkPointer) && !thunkPointer.IsTableAddress)
            {
                var kind = flow == FlowControl.Call ? SiteKind.Call : SiteKind.Jmp;
                feeds.Add(Fed(instruction, kind, thunkPointer.Offset, thunk, MemoryForm.None) with { Thunk = true });
            }
            else if (flow is FlowControl.IndirectCall or FlowControl.IndirectBranch)
            {
                var kind = flow == FlowControl.IndirectCall ? SiteKind.Call : SiteKind.Jmp;
                if (instruction.Op0Kind == OpKind.Register && live.TryGetValue(instruction.Op0Register.GetFullRegister(), out var pointer) && !pointer.IsTableAddress)
                {
                    feeds.Add(Fed(instruction, kind, pointer.Offset, instruction.Op0Register, MemoryForm.None));
                }
                else if (instruction.Op0Kind == OpKind.Memory && instruction.MemoryIndex == Register.None
                    && live.TryGetValue(instruction.MemoryBase.GetFullRegister(), out var table) && table.IsTableAddress)
                {
                    feeds.Add(Fed(instruction, kind, table.Offset + Displacement(instruction), instruction.MemoryBase, MemoryForm.Register));
                }
            }

            // Values the instruction derives from a tracked register, before its writes kill anything.
            Register derivedInto = Register.None;
            TrackedValue derived = default;
            if (instruction.Op0Kind == OpKind.Register)
            {
                var target = instruction.Op0Register;
                if (instruction.Mnemonic == Mnemonic.Mov && instruction.Op1Kind == OpKind.Register
                    && IsFullWidth(instruction.Op1Register) && live.TryGetValue(instruction.Op1Register.GetFullRegister(), out var copied))
                {
                    (derivedInto, derived) = (target, copied);
                }
                else if (instruction.Mnemonic is Mnemonic.Mov or Mnemonic.Lea && instruction.Op1Kind == OpKind.Memory && instruction.MemoryIndex == Register.None
                    && live.TryGetValue(instruction.MemoryBase.GetFullRegister(), out var table) && table.IsTableAddress)
                {
                    // mov off(%table),%r: the slot's pointer; lea off(%table),%r: a further address into the table.
                    (derivedInto, derived) = (target, new TrackedValue(instruction.Mnemonic == Mnemonic.Lea, table.Offset + Displacement(instruction)));
                }
                else if (instruction.Mnemonic == Mnemonic.Add && instruction.Op1Kind is OpKind.Immediate8to64 or OpKind.Immediate32to64 or OpKind.Immediate8to32 or OpKind.Immediate32
                    && live.TryGetValue(target.GetFullRegister(), out var address) && address.IsTableAddress)
                {
                    (derivedInto, derived) = (target, address with { Offset = address.Offset + (long)instruction.GetImmediate(1) });
                }
            }

            killed.Clear();
            foreach (var used in infoFactory.GetInfo(instruction).GetUsedRegisters())
            {
                if (used.Access is OpAccess.Write or OpAccess.CondWrite or OpAccess.ReadWrite or OpAccess.ReadCondWrite)
                {
                    killed.Add(used.Register.GetFullRegister());
                }
            }

            if (flow is FlowControl.Call or FlowControl.IndirectCall)
            {
                killed.AddRange(bitness == 64 ? CallerSaved64 : CallerSaved32);
            }

            foreach (var dead in killed)
            {
                live.Remove(dead);
            }

            if (derivedInto != Register.None)
            {
                live[derivedInto.GetFullRegister()] = derived;
            }

            // Past a jmp, ret or int3 (padding after them) the next instruction is reached from elsewhere, with other register
            // values: a tail jmp through the retpoline thunk is followed by another branch of the function. (ud2 is not an
            // end: the kernel's WARN() traps and returns after it.)
            if (flow is FlowControl.UnconditionalBranch or FlowControl.IndirectBranch or FlowControl.Return || instruction.Code == Code.Int3)
            {
                break;
            }
        }

        return (feeds.ToEquatableArray(), readThrough);
    }

    private static bool HasMemoryOperand(in Instruction instruction)
    {
        for (int i = 0; i < instruction.OpCount; i++)
        {
            if (instruction.GetOpKind(i) == OpKind.Memory)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The register of the retpoline thunk a direct call or jmp targets (its relocated field lies inside the instruction), or null.</summary>
    private Register? ThunkRegister(in Instruction instruction)
    {
        if (thunks.Count == 0)
        {
            return null;
        }

        for (long at = (long)instruction.IP; at < (long)instruction.NextIP; at++)
        {
            if (thunks.TryGetValue(at, out var register))
            {
                return register;
            }
        }

        return null;
    }

    private long Displacement(in Instruction instruction) =>
        bitness == 64 ? (long)instruction.MemoryDisplacement64 : (int)instruction.MemoryDisplacement32;

    private bool IsFullWidth(Register register) => register.GetSize() == PointerSize;

    private FedSite Fed(in Instruction instruction, SiteKind kind, long target, Register register, MemoryForm form) =>
        new((long)instruction.IP, instruction.Length, kind, target, SlotOf(target), names.Find(target), register.ToString().ToLowerInvariant(), form);
}
