namespace PvGen.X86.Records;

/// <summary>
/// <c>struct alt_instr</c> of 5.13 to 6.2, 12 bytes packed: <c>s32 instr_offset; s32 repl_offset; u16 cpuid; u8 instrlen;
/// u8 replacementlen</c>; ALT_NOT sets bit 15 of cpuid (ALTINSTR_FLAG_INV). Debian's 6.1 kernels use it.
/// </summary>
public sealed class Alt12 : AltRecordFormat
{
    private static readonly RecordField Cpuid = new("cpuid", 8, 2);
    private static readonly RecordField InstrLen = new("instrlen", 10, 1);
    private static readonly RecordField ReplacementLen = new("replacementlen", 11, 1);

    public override string Name => "alt12";

    public override int Stride => 12;

    public override string Kernels => "5.13-6.2";

    public override string Description => "12 bytes: .long site - .; .long repl - .; .word cpuid (bit 15: NOT); .byte instrlen; .byte replacementlen";

    public override AltFlags StorableFlags => AltFlags.Not;

    public override IReadOnlyList<RecordField> Fields => [InstrOffset, ReplOffset, Cpuid, InstrLen, ReplacementLen];

    public override PvRecord Decode(ReadOnlySpan<byte> bytes, IReadOnlyList<CodeLocation> targets)
    {
        int cpuid = U16(bytes, Cpuid);
        var flags = (cpuid & Alternatives.LegacyNotBit) != 0 ? AltFlags.Not : AltFlags.None;
        return new AltRecord(targets[0], targets[1], cpuid & ~Alternatives.LegacyNotBit, flags, U8(bytes, InstrLen), U8(bytes, ReplacementLen));
    }

    public override EncodedRecord Encode(PvRecord record, bool implicitAddends)
    {
        var alt = ExpectStorable(record);
        var encoded = Start(Stride, alt, implicitAddends, out byte[] bytes);
        Put(bytes, Cpuid, alt.Feature | (alt.IsNot ? Alternatives.LegacyNotBit : 0));
        Put(bytes, InstrLen, alt.InstrLength);
        Put(bytes, ReplacementLen, alt.ReplacementLength);
        return encoded;
    }
}
