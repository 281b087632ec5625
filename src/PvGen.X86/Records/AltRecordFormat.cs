namespace PvGen.X86.Records;

/// <summary>
/// What every <c>struct alt_instr</c> layout since 4.x shares: <c>s32 instr_offset; s32 repl_offset</c>, both PC-relative,
/// then the feature word, <c>u8 instrlen; u8 replacementlen</c> [; <c>u8 padlen</c>]. The layouts differ in how the feature
/// word stores the feature and the flags.
/// </summary>
/// <param name="feature">The feature word at offset 8 (<c>u16 cpuid</c> or <c>u32 ft_flags</c>).</param>
/// <param name="storableFlags">The flags the feature word can store (alt13 none, alt12 only NOT, alt14 all).</param>
/// <param name="hasPadLength">Whether <c>u8 padlen</c> ends the record (up to 5.12).</param>
public abstract class AltRecordFormat(string name, int stride, string kernels, string description, RecordField feature, AltFlags storableFlags, bool hasPadLength = false)
    : RecordFormat(name, stride, kernels, description)
{
    private static readonly RecordField InstrOffset = new("instr_offset", 0, 4, FieldRelocation.PcRelative32);
    private static readonly RecordField ReplOffset = new("repl_offset", 4, 4, FieldRelocation.PcRelative32);

    public sealed override RecordFamily Family => RecordFamily.AltInstructions;

    public sealed override int? PointerSize => null;

    /// <summary>Whether a flag can be stored in this layout (alt13 has none, alt12 only NOT, alt14 all).</summary>
    public AltFlags StorableFlags => storableFlags;

    public sealed override bool CanRecordPvSites => (storableFlags & AltFlags.DirectCall) != 0;

    public sealed override IReadOnlyList<RecordField> Fields =>
        hasPadLength ? [InstrOffset, ReplOffset, feature, InstrLen, ReplacementLen, PadLen] : [InstrOffset, ReplOffset, feature, InstrLen, ReplacementLen];

    private RecordField InstrLen => new("instrlen", feature.End, 1);

    private RecordField ReplacementLen => new("replacementlen", feature.End + 1, 1);

    private RecordField PadLen => new("padlen", feature.End + 2, 1);

    /// <summary>The feature number and flags a stored feature word holds.</summary>
    protected abstract (int Feature, AltFlags Flags) DecodeFeature(int stored);

    /// <summary>The feature word that stores an entry's feature and flags (only <see cref="StorableFlags"/> reach it).</summary>
    protected abstract int EncodeFeature(AltRecord alt);

    public sealed override PvRecord Decode(ReadOnlySpan<byte> bytes, IReadOnlyList<CodeLocation> targets)
    {
        var (featureNumber, flags) = DecodeFeature(feature.Size == 2 ? U16(bytes, feature) : U32(bytes, feature));
        int? padLength = hasPadLength ? U8(bytes, PadLen) : null;
        return new AltRecord(targets[0], targets[1], featureNumber, flags, U8(bytes, InstrLen), U8(bytes, ReplacementLen), padLength);
    }

    public sealed override EncodedRecord Encode(PvRecord record, bool implicitAddends)
    {
        var alt = Expect<AltRecord>(record);
        if ((alt.Flags & ~storableFlags) != 0)
        {
            throw new ArgumentException($"{Name} entries cannot store the flags {alt.Flags & ~storableFlags}", nameof(record));
        }

        var bytes = new byte[Stride];
        FieldFixup[] fixups = [Point(bytes, InstrOffset, alt.Site, implicitAddends), Point(bytes, ReplOffset, alt.Replacement, implicitAddends)];
        Put(bytes, feature, EncodeFeature(alt));
        Put(bytes, InstrLen, alt.InstrLength);
        Put(bytes, ReplacementLen, alt.ReplacementLength);
        if (hasPadLength)
        {
            Put(bytes, PadLen, alt.PadLength ?? 0);
        }

        return new EncodedRecord(bytes, fixups);
    }
}
