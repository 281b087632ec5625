namespace PvGen.X86.Records;

/// <summary>
/// <c>struct alt_instr</c> up to 5.12, 13 bytes packed: <c>s32 instr_offset; s32 repl_offset; u16 cpuid; u8 instrlen;
/// u8 replacementlen; u8 padlen</c>. No flags: there is no ALT_NOT before 5.13.
/// </summary>
public sealed class Alt13() : AltRecordFormat(
    "alt13", 13, "4.x-5.12", "13 bytes: .long site - .; .long repl - .; .word cpuid; .byte instrlen; .byte replacementlen; .byte padlen",
    new RecordField("cpuid", 8, 2), AltFlags.None, hasPadLength: true)
{
    protected override (int Feature, AltFlags Flags) DecodeFeature(int stored) => (stored, AltFlags.None);

    protected override int EncodeFeature(AltRecord alt) => alt.Feature;
}
