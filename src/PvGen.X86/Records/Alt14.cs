namespace PvGen.X86.Records;

/// <summary>
/// <c>struct alt_instr</c> from 6.3, 14 bytes packed: <c>s32 instr_offset; s32 repl_offset; u32 ft_flags; u8 instrlen;
/// u8 replacementlen</c>; ft_flags = feature (bits 0-15) | flags (16-31). From 6.8 every pv call site is one of its
/// ALT_FLAG_DIRECT_CALL entries (paravirt-facts section 12).
/// </summary>
public sealed class Alt14() : AltRecordFormat(
    "alt14", 14, "6.3+ (DIRECT_CALL pv sites from 6.8)", "14 bytes: .long site - .; .long repl - .; .4byte ft_flags; .byte instrlen; .byte replacementlen",
    new RecordField("ft_flags", 8, 4), AltFlags.Not | AltFlags.DirectCall)
{
    protected override (int Feature, AltFlags Flags) DecodeFeature(int stored) => (Alternatives.FeatureOf(stored), Alternatives.FlagsOf(stored));

    protected override int EncodeFeature(AltRecord alt) => alt.FtFlags;
}
