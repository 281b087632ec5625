namespace PvGen.X86.Records;

/// <summary>
/// <c>struct alt_instr</c> of 5.13 to 6.2, 12 bytes packed: <c>s32 instr_offset; s32 repl_offset; u16 cpuid; u8 instrlen;
/// u8 replacementlen</c>; ALT_NOT sets bit 15 of cpuid (ALTINSTR_FLAG_INV). Debian's 6.1 kernels use it.
/// </summary>
public sealed class Alt12() : AltRecordFormat(
    "alt12", 12, "5.13-6.2", "12 bytes: .long site - .; .long repl - .; .word cpuid (bit 15: NOT); .byte instrlen; .byte replacementlen",
    new RecordField("cpuid", 8, 2), AltFlags.Not)
{
    protected override (int Feature, AltFlags Flags) DecodeFeature(int stored) =>
        (stored & ~Alternatives.LegacyNotBit, (stored & Alternatives.LegacyNotBit) != 0 ? AltFlags.Not : AltFlags.None);

    protected override int EncodeFeature(AltRecord alt) => alt.Feature | (alt.IsNot ? Alternatives.LegacyNotBit : 0);
}
