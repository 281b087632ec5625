namespace PvGen.X86.Records;

/// <summary>i386 <c>.parainstructions</c>, 2.6.20 to 6.7: <c>.long site; .byte type; .byte len; .short clobbers</c> (8 bytes, R_386_32).</summary>
public sealed class Para8 : ParaRecordFormat
{
    public override string Name => "para8";

    public override int Stride => 8;

    /// <summary>type and len must be there; a record cut before its clobbers is read without them.</summary>
    public override int MinimumLength => 6;

    public override int? PointerSize => 4;

    public override string Kernels => "2.6.20-6.7 (i386)";

    public override string Description => "8 bytes, i386: .long site; .byte type; .byte len; .short clobbers";

    public override bool HasClobbers => true;

    protected override RecordField Instr => new("instr", 0, 4, FieldRelocation.Absolute32);

    public override IReadOnlyList<RecordField> Fields => [Instr, TypeField, LenField, ClobbersField];
}
