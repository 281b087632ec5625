namespace PvGen.X86.Records;

/// <summary>
/// x86-64 <c>.parainstructions</c>, 2.6.25 to 6.7: <c>.balign 8; .quad site; .byte type; .byte len; .short clobbers</c>, padded to
/// 16 bytes (R_X86_64_64). Kernels that aligned only before a record leave the last one 12 bytes; 6.2+ stopped emitting
/// the clobbers, which then read as the padding's zero.
/// </summary>
public sealed class Para16() : ParaRecordFormat(
    "para16", 16, "2.6.25-6.7 (x86-64)", "16 bytes, x86-64: .quad site; .byte type; .byte len; .short clobbers; 4 bytes padding",
    new RecordField("instr", 0, 8, FieldRelocation.Absolute64), hasClobbers: true, minimumLength: 10);
