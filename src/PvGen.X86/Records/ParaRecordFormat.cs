namespace PvGen.X86.Records;

/// <summary>
/// What the three <c>.parainstructions</c> layouts share: a pointer to the site, then <c>.byte type; .byte len</c>
/// [; <c>.short clobbers</c>]. The site pointer's relocation decides the pointer size (absolute: the target's; PC-relative: either).
/// </summary>
/// <param name="instr">The site pointer field at offset 0.</param>
/// <param name="hasClobbers">Whether <c>.short clobbers</c> follows <c>len</c>.</param>
/// <param name="minimumLength">Bytes a record needs to decode (see <see cref="RecordFormat.MinimumLength"/>); the stride when 0.</param>
public abstract class ParaRecordFormat(string name, int stride, string kernels, string description, RecordField instr, bool hasClobbers, int minimumLength = 0)
    : RecordFormat(name, stride, kernels, description)
{
    public sealed override RecordFamily Family => RecordFamily.ParaInstructions;

    public sealed override int? PointerSize => instr.Relocation switch
    {
        FieldRelocation.Absolute32 => 4,
        FieldRelocation.Absolute64 => 8,
        _ => null,
    };

    public sealed override int MinimumLength => minimumLength == 0 ? Stride : minimumLength;

    public sealed override bool HasClobbers => hasClobbers;

    public sealed override IReadOnlyList<RecordField> Fields => hasClobbers ? [instr, TypeField, LenField, ClobbersField] : [instr, TypeField, LenField];

    private RecordField TypeField => new("type", instr.End, 1);

    private RecordField LenField => new("len", instr.End + 1, 1);

    private RecordField ClobbersField => new("clobbers", instr.End + 2, 2);

    public sealed override PvRecord Decode(ReadOnlySpan<byte> bytes, IReadOnlyList<CodeLocation> targets)
    {
        int? clobbers = hasClobbers && bytes.Length >= ClobbersField.End ? U16(bytes, ClobbersField) : null;
        return new ParaRecord(targets[0], U8(bytes, TypeField), U8(bytes, LenField), clobbers);
    }

    public sealed override EncodedRecord Encode(PvRecord record, bool implicitAddends)
    {
        var para = Expect<ParaRecord>(record);
        var bytes = new byte[Stride];
        var fixup = Point(bytes, instr, para.Site, implicitAddends);
        Put(bytes, TypeField, para.Type);
        Put(bytes, LenField, para.Length);
        if (hasClobbers)
        {
            Put(bytes, ClobbersField, para.Clobbers ?? 0);
        }

        return new EncodedRecord(bytes, [fixup]);
    }
}
