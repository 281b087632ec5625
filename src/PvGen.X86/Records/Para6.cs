namespace PvGen.X86.Records;

/// <summary>Packed PC-relative <c>.parainstructions</c>, about 6.5 to 6.7: <c>.long site - .; .byte type; .byte len</c> (6 bytes, no clobbers).</summary>
public sealed class Para6 : ParaRecordFormat
{
    public override string Name => "para6";

    public override int Stride => 6;

    public override int? PointerSize => null;

    public override string Kernels => "~6.5-6.7";

    public override string Description => "6 bytes, packed: .long site - .; .byte type; .byte len";

    protected override RecordField Instr => new("instr_offset", 0, 4, FieldRelocation.PcRelative32);

    public override IReadOnlyList<RecordField> Fields => [Instr, TypeField, LenField];
}
