namespace PvGen.X86.Records;

/// <summary>What every <c>struct alt_instr</c> layout since 4.x shares: <c>s32 instr_offset; s32 repl_offset</c>, both PC-relative.</summary>
public abstract class AltRecordFormat : RecordFormat
{
    public sealed override RecordFamily Family => RecordFamily.AltInstructions;

    public sealed override int? PointerSize => null;

    protected static readonly RecordField InstrOffset = new("instr_offset", 0, 4, FieldRelocation.PcRelative32);

    protected static readonly RecordField ReplOffset = new("repl_offset", 4, 4, FieldRelocation.PcRelative32);

    /// <summary>Whether a flag can be stored in this layout (alt13 has none, alt12 only NOT, alt14 all).</summary>
    public abstract AltFlags StorableFlags { get; }

    public override bool CanRecordPvSites => (StorableFlags & AltFlags.DirectCall) != 0;

    protected static EncodedRecord Start(int stride, AltRecord alt, bool implicitAddends, out byte[] bytes)
    {
        bytes = new byte[stride];
        return new EncodedRecord(bytes, [Point(bytes, InstrOffset, alt.Site, implicitAddends), Point(bytes, ReplOffset, alt.Replacement, implicitAddends)]);
    }

    protected AltRecord ExpectStorable(PvRecord record)
    {
        var alt = Expect<AltRecord>(record);
        if ((alt.Flags & ~StorableFlags) != 0)
        {
            throw new ArgumentException($"{Name} entries cannot store the flags {alt.Flags & ~StorableFlags}", nameof(record));
        }

        return alt;
    }
}
