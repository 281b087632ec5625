namespace PvGen.X86.Records;

/// <summary>Packed PC-relative <c>.parainstructions</c>, about 6.5 to 6.7: <c>.long site - .; .byte type; .byte len</c> (6 bytes, no clobbers).</summary>
public sealed class Para6() : ParaRecordFormat(
    "para6", 6, "~6.5-6.7", "6 bytes, packed: .long site - .; .byte type; .byte len",
    new RecordField("instr_offset", 0, 4, FieldRelocation.PcRelative32), hasClobbers: false);
