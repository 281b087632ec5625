namespace PvGen.X86.Records;

/// <summary>
/// <c>struct alt_instr</c> from 6.3, 14 bytes packed: <c>s32 instr_offset; s32 repl_offset; u32 ft_flags; u8 instrlen;
/// u8 replacementlen</c>; ft_flags = feature (bits 0-15) | flags (16-31). From 6.8 every pv call site is one of its
/// ALT_FLAG_DIRECT_CALL entries (paravirt-facts section 12).
/// </summary>
public sealed class Alt14 : AltRecordFormat
{
    private static readonly RecordField FtFlags = new("ft_flags", 8, 4);
    private static readonly RecordField InstrLen = new("instrlen", 12, 1);
    private static readonly RecordField ReplacementLen = new("replacementlen", 13, 1);

    public override string Name => "alt14";

    public override int Stride => 14;

    public override string Kernels => "6.3+ (DIRECT_CALL pv sites from 6.8)";

    public override string Description => "14 bytes: .long site - .; .long repl - .; .4byte ft_flags; .byte instrlen; .byte replacementlen";

    public override AltFlags StorableFlags => AltFlags.Not | AltFlags.DirectCall;

    public override IReadOnlyList<RecordField> Fields => [InstrOffset, ReplOffset, FtFlags, InstrLen, ReplacementLen];

    public override PvRecord Decode(ReadOnlySpan<byte> bytes, IReadOnlyList<CodeLocation> targets)
    {
        int ftFlags = U32(bytes, FtFlags);
        return new AltRecord(targets[0], targets[1], Alternatives.FeatureOf(ftFlags), Alternatives.FlagsOf(ftFlags), U8(bytes, InstrLen), U8(bytes, ReplacementLen));
    }

    public override EncodedRecord Encode(PvRecord record, bool implicitAddends)
    {
        var alt = ExpectStorable(record);
        var encoded = Start(Stride, alt, implicitAddends, out byte[] bytes);
        Put(bytes, FtFlags, alt.FtFlags);
        Put(bytes, InstrLen, alt.InstrLength);
        Put(bytes, ReplacementLen, alt.ReplacementLength);
        return encoded;
    }
}
