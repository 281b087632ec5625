namespace PvGen.X86.Records;

/// <summary>
/// i386 <c>.parainstructions</c>, 2.6.20 to 6.7: <c>.long site; .byte type; .byte len; .short clobbers</c> (8 bytes, R_386_32).
/// type and len must be there; a record cut before its clobbers is read without them.
/// </summary>
public sealed class Para8() : ParaRecordFormat(
    "para8", 8, "2.6.20-6.7 (i386)", "8 bytes, i386: .long site; .byte type; .byte len; .short clobbers",
    new RecordField("instr", 0, 4, FieldRelocation.Absolute32), hasClobbers: true, minimumLength: 6);
