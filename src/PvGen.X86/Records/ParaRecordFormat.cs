namespace PvGen.X86.Records;

/// <summary>What the three <c>.parainstructions</c> layouts share: a pointer to the site, then <c>.byte type; .byte len</c> [; <c>.short clobbers</c>].</summary>
public abstract class ParaRecordFormat : RecordFormat
{
    public sealed override RecordFamily Family => RecordFamily.ParaInstructions;

    protected abstract RecordField Instr { get; }

    protected RecordField TypeField => new("type", Instr.End, 1);

    protected RecordField LenField => new("len", Instr.End + 1, 1);

    protected RecordField ClobbersField => new("clobbers", Instr.End + 2, 2);

    public override PvRecord Decode(ReadOnlySpan<byte> bytes, IReadOnlyList<CodeLocation> targets)
    {
        int? clobbers = HasClobbers && bytes.Length >= ClobbersField.End ? U16(bytes, ClobbersField) : null;
        return new ParaRecord(targets[0], U8(bytes, TypeField), U8(bytes, LenField), clobbers);
    }

    public override EncodedRecord Encode(PvRecord record, bool implicitAddends)
    {
        var para = Expect<ParaRecord>(record);
        var bytes = new byte[Stride];
        var fixup = Point(bytes, Instr, para.Site, implicitAddends);
        Put(bytes, TypeField, para.Type);
        Put(bytes, LenField, para.Length);
        if (HasClobbers)
        {
            Put(bytes, ClobbersField, para.Clobbers ?? 0);
        }

        return new EncodedRecord(bytes, [fixup]);
    }
}
