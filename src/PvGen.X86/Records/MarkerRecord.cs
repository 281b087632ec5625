using System.Buffers.Binary;
using System.Globalization;

namespace PvGen.X86.Records;

/// <summary>Flags of a marker's side record.</summary>
[Flags]
public enum MarkerFlags
{
    None = 0,

    /// <summary>The op is callee-save: its implementations keep every register but the result (the site still assumed the C ABI).</summary>
    CalleeSave = 1,

    /// <summary>The op is a jump op (iret): reached with jmp, it never returns.</summary>
    Jump = 2,
}

/// <summary>A decoded side record of the marker style.</summary>
/// <param name="Marker">The marked place (where the <c>.reloc</c> sits, not necessarily the call).</param>
/// <param name="Slot">The op's slot: the table offset over the pointer size.</param>
/// <param name="InputRegisters">CLBR_* bits of the registers that carry the argument words at the call.</param>
/// <param name="OutputRegisters">CLBR_* bits of the result registers (none for void).</param>
/// <param name="Clobbers">CLBR_* bits of the registers the compiler treated as dead across the call (the ABI's caller-saved set).</param>
/// <param name="StackWords">Argument words passed on the stack.</param>
public sealed record MarkerSideRecord(CodeLocation Marker, int Slot, int InputRegisters, int OutputRegisters, int Clobbers, int StackWords, MarkerFlags Flags);

/// <summary>
/// The marker style's side record (Amsden's "local relocation types" plus the register environment the relocation cannot
/// carry): one per marked site in <see cref="Section"/>, written by the same asm statement that emits the marker, 16 bytes,
/// 4-aligned, little-endian:
/// <code>
///  0  s32 marker       .long 1b - .   (R_X86_64_PC32 / R_386_PC32 to the marker's label)
///  4  u16 slot         table offset / pointer size
///  6  u16 in_regs      CLBR_* bits of the argument registers (x86-64 rdi rsi rdx rcx r8 r9; i386 -mregparm=3 eax edx ecx)
///  8  u16 out_regs     CLBR_* bits of the result registers (rax; i386 eax, edx:eax for 8-byte results; 0 for void)
/// 10  u16 clobbers     CLBR_* bits the compiler assumed clobbered: the ABI's caller-saved set (a plain C call)
/// 12  u8  stack_words  argument words beyond the registers
/// 13  u8  flags        1 callee-save op, 2 jump op
/// 14  u16 reserved     0
/// </code>
/// The bits are the kernel's 2.6.25+ CLBR_* numbering (<see cref="Register.Bit"/>). The record exists because on i386 the
/// marker cannot name the op: R_386_NONE has no field, so a REL object keeps no addend and every marker reads pv_ops+0.
/// </summary>
public static class MarkerRecord
{
    public const string Section = ".pvgen.markers";

    public const int Stride = 16;

    public const int Alignment = 4;

    public static readonly RecordField MarkerField = new("marker", 0, 4, FieldRelocation.PcRelative32);
    public static readonly RecordField SlotField = new("slot", 4, 2);
    public static readonly RecordField InputsField = new("in_regs", 6, 2);
    public static readonly RecordField OutputsField = new("out_regs", 8, 2);
    public static readonly RecordField ClobbersField = new("clobbers", 10, 2);
    public static readonly RecordField StackWordsField = new("stack_words", 12, 1);
    public static readonly RecordField FlagsField = new("flags", 13, 1);
    public static readonly RecordField ReservedField = new("reserved", 14, 2);

    public static IReadOnlyList<RecordField> Fields { get; } =
        [MarkerField, SlotField, InputsField, OutputsField, ClobbersField, StackWordsField, FlagsField, ReservedField];

    private static readonly string[] CArguments64 = ["rdi", "rsi", "rdx", "rcx", "r8", "r9"];

    private static readonly string[] CArguments32 = ["eax", "edx", "ecx"];

    /// <summary>The registers a plain C call passes integer argument words in, in order (the psABI; i386 as built, -mregparm=3).</summary>
    public static IReadOnlyList<Register> ArgumentRegisters(CallAbi abi) =>
        [.. (abi.WordSize == 8 ? CArguments64 : CArguments32).Select(n => abi.Find(n)!)];

    /// <summary>The register environment of a plain C call of an op taking <paramref name="argumentWords"/> words and returning <paramref name="resultSize"/> bytes.</summary>
    public static MarkerSideRecord Environment(CallAbi abi, CodeLocation marker, int slot, int argumentWords, int resultSize, MarkerFlags flags)
    {
        var arguments = ArgumentRegisters(abi);
        int inputs = arguments.Take(argumentWords).Aggregate(0, (mask, r) => mask | r.Mask);
        int outputs = resultSize == 0 ? 0 : resultSize > abi.WordSize ? abi.ReturnRegister.Mask | abi.ReturnHighRegister.Mask : abi.ReturnRegister.Mask;
        int clobbers = abi.CallerSaved.Aggregate(0, (mask, r) => mask | r.Mask);
        return new MarkerSideRecord(marker, slot, inputs, outputs, clobbers, Math.Max(0, argumentWords - arguments.Count), flags);
    }

    /// <summary>
    /// The assembler text of one marker and its record, for an asm statement placed right before the call: the <c>.reloc</c> on
    /// label 1, the label, and the record in <see cref="Section"/> pointing back at it; one assembler line each, unescaped.
    /// </summary>
    /// <param name="target">What the relocation names: "pv_ops+0x8", or an asm operand ("%c0") bound to the slot's address.</param>
    public static IReadOnlyList<string> Directives(bool is64, string target, MarkerSideRecord record) =>
    [
        $".reloc 1f, {RelocationInfo.NoneName(is64)}, {target}",
        "1:",
        $".pushsection {Section},\"a\"",
        $".balign {Alignment}",
        ".long 1b - .",
        string.Create(CultureInfo.InvariantCulture, $".short {record.Slot}, 0x{record.InputRegisters:x}, 0x{record.OutputRegisters:x}, 0x{record.Clobbers:x}"),
        string.Create(CultureInfo.InvariantCulture, $".byte {record.StackWords}, {(int)record.Flags}"),
        ".short 0",
        ".popsection",
    ];

    /// <summary>Decodes one record; <paramref name="marker"/> is where its relocated first field points.</summary>
    public static MarkerSideRecord Decode(ReadOnlySpan<byte> bytes, CodeLocation marker)
    {
        if (bytes.Length < Stride)
        {
            throw new ArgumentException($"a marker record is {Stride} bytes, not {bytes.Length}", nameof(bytes));
        }

        return new MarkerSideRecord(marker,
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[SlotField.Offset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[InputsField.Offset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[OutputsField.Offset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[ClobbersField.Offset..]),
            bytes[StackWordsField.Offset],
            (MarkerFlags)bytes[FlagsField.Offset]);
    }

    /// <summary>Register names of a CLBR_* bit set, in bit order ("rdi rsi").</summary>
    public static IReadOnlyList<string> RegisterNames(CallAbi abi, int mask) =>
        [.. abi.Registers.Where(r => (mask & r.Mask) != 0).Select(r => r.Name)];
}
