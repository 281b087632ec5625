namespace PvGen.X86.Records;

/// <summary>
/// <c>struct alt_instr</c> up to 5.12, 13 bytes packed: <c>s32 instr_offset; s32 repl_offset; u16 cpuid; u8 instrlen;
/// u8 replacementlen; u8 padlen</c>. No flags: there is no ALT_NOT before 5.13.
/// </summary>
public sealed class Alt13 : AltRecordFormat
{
    private static readonly RecordField Cpuid = new("cpuid", 8, 2);
    private static readonly RecordField InstrLen = new("instrlen", 10, 1);
    private static readonly RecordField ReplacementLen = new("replacementlen", 11, 1);
    private static readonly RecordField PadLen = new("padlen", 12, 1);

    public override string Name => "alt13";

    public override int Stride => 13;

    public override string Kernels => "4.x-5.12";

    public override string Description => "13 bytes: .long site - .; .long repl - .; .word cpuid; .byte instrlen; .byte replacementlen; .byte padlen";

    public override AltFlags StorableFlags => AltFlags.None;

    public override IReadOnlyList<RecordField> Fields => [InstrOffset, ReplOffset, Cpuid, InstrLen, ReplacementLen, PadLen];

    public override PvRecord Decode(ReadOnlySpan<byte> bytes, IReadOnlyList<CodeLocation> targets) =>
        new AltRecord(targets[0], targets[1], U16(bytes, Cpuid), AltFlags.None, U8(bytes, InstrLen), U8(bytes, ReplacementLen), U8(bytes, PadLen));

    public override EncodedRecord Encode(PvRecord record, bool implicitAddends)
    {
        var alt = ExpectStorable(record);
        var encoded = Start(Stride, alt, implicitAddends, out byte[] bytes);
        Put(bytes, Cpuid, alt.Feature);
        Put(bytes, InstrLen, alt.InstrLength);
        Put(bytes, ReplacementLen, alt.ReplacementLength);
        Put(bytes, PadLen, alt.PadLength ?? 0);
        return encoded;
    }
}
