using System.Buffers.Binary;

namespace PvGen.X86.Records;

/// <summary>The two kinds of site table the kernel has used for pv call sites.</summary>
public enum RecordFamily
{
    /// <summary><c>.parainstructions</c> (2.6.20 to 6.7): site, type = slot, length [, clobbers].</summary>
    ParaInstructions,

    /// <summary><c>.altinstructions</c>: every alternative; pv call sites are its ALT_FLAG_DIRECT_CALL entries (6.8+).</summary>
    AltInstructions,
}

/// <summary>One field of a record: where it sits, how wide it is, and which relocation it carries in a relocatable object.</summary>
public sealed record RecordField(string Name, int Offset, int Size, FieldRelocation Relocation = FieldRelocation.None)
{
    public int End => Offset + Size;
}

/// <summary>A place in an object: a section and an offset relative to its start.</summary>
public readonly record struct CodeLocation(string Section, long Offset)
{
    public override string ToString() => $"{Section}+0x{Offset:x}";
}

/// <summary>A decoded record of either family.</summary>
/// <param name="Site">The annotated instruction(s).</param>
/// <param name="Length">The annotated length (len / instrlen).</param>
public abstract record PvRecord(CodeLocation Site, int Length);

/// <summary>A <c>.parainstructions</c> record.</summary>
/// <param name="Type">The patch type: the slot number from 2.6.22 on.</param>
/// <param name="Clobbers">The CLBR_* mask, or null when the format has none (para6) or the record is cut short.</param>
public sealed record ParaRecord(CodeLocation Site, int Type, int Length, int? Clobbers) : PvRecord(Site, Length);

/// <summary>An <c>.altinstructions</c> entry.</summary>
/// <param name="Replacement">Where the replacement bytes start (in .altinstr_replacement).</param>
/// <param name="Feature">The CPU feature number, word*32+bit.</param>
/// <param name="PadLength">alt13's padlen (bytes of build-time padding); null in the other layouts.</param>
public sealed record AltRecord(CodeLocation Site, CodeLocation Replacement, int Feature, AltFlags Flags, int InstrLength, int ReplacementLength, int? PadLength = null)
    : PvRecord(Site, InstrLength)
{
    public bool IsDirectCall => (Flags & AltFlags.DirectCall) != 0;

    public bool IsNot => (Flags & AltFlags.Not) != 0;

    /// <summary>The 6.3+ <c>ft_flags</c> word: flags above the feature.</summary>
    public int FtFlags => Alternatives.FtFlags(Feature, Flags);
}

/// <summary>A relocated field an encoder wants: the writer adds a relocation of this kind against the target.</summary>
/// <param name="FieldOffset">Offset of the field inside the record.</param>
/// <param name="Target">What the field points at (the relocation's section symbol plus offset as addend).</param>
public sealed record FieldFixup(int FieldOffset, FieldRelocation Relocation, CodeLocation Target);

/// <summary>A record's bytes (<see cref="RecordFormat.Stride"/> long) and the relocations they need.</summary>
public sealed record EncodedRecord(byte[] Bytes, IReadOnlyList<FieldFixup> Fixups);

/// <summary>
/// One record layout of one section: its stride, fields and relocations, how to decode a record and how to encode one.
/// Every layout is one sealed subclass in this folder, listed once in <see cref="RecordFormats.All"/>.
/// </summary>
/// <param name="name">The one name every stage, pvgen.json and the command line use ("para16", "alt14").</param>
/// <param name="stride">Bytes from one record to the next.</param>
/// <param name="kernels">The kernels that wrote this layout, e.g. "2.6.25-6.7".</param>
/// <param name="description">The layout in one line, for help texts and errors.</param>
public abstract class RecordFormat(string name, int stride, string kernels, string description)
{
    /// <summary>The one name every stage, pvgen.json and the command line use ("para16", "alt14").</summary>
    public string Name { get; } = name;

    public abstract RecordFamily Family { get; }

    /// <summary>The section the records live in.</summary>
    public string Section => Family == RecordFamily.ParaInstructions ? ".parainstructions" : Alternatives.Section;

    /// <summary>Bytes from one record to the next.</summary>
    public int Stride { get; } = stride;

    /// <summary>
    /// Bytes a record needs to decode. Less than <see cref="Stride"/> when the kernel aligned before each record only, so
    /// the last record of a section is not padded (4.11 x86-64: 16·(n−1)+12, paravirt-facts section 11).
    /// </summary>
    public virtual int MinimumLength => Stride;

    public abstract IReadOnlyList<RecordField> Fields { get; }

    /// <summary>The pointer size of the objects that use this layout, or null for both i386 and x86-64.</summary>
    public abstract int? PointerSize { get; }

    /// <summary>The kernels that wrote this layout, e.g. "2.6.25-6.7".</summary>
    public string Kernels { get; } = kernels;

    /// <summary>The layout in one line, for help texts and errors.</summary>
    public string Description { get; } = description;

    /// <summary>Whether records carry a CLBR_* clobber mask that a checker can compare.</summary>
    public virtual bool HasClobbers => false;

    /// <summary>Whether the layout can mark a pv call site, so generate can write it (alt12/alt13 cannot: no DIRECT_CALL flag).</summary>
    public virtual bool CanRecordPvSites => true;

    /// <summary>The template that renders this layout in generated wrappers.</summary>
    public string Template => $"records/{Name}.sbn-c";

    /// <summary>The relocated fields, in offset order: a relocatable object has one relocation per field per record.</summary>
    public IReadOnlyList<RecordField> RelocatedFields => relocatedFields ??= [.. Fields.Where(f => f.Relocation != FieldRelocation.None).OrderBy(f => f.Offset)];

    private IReadOnlyList<RecordField>? relocatedFields;

    public bool FitsPointerSize(int pointerSize) => PointerSize is null || PointerSize == pointerSize;

    /// <summary>Decodes one record.</summary>
    /// <param name="bytes">The record, at least <see cref="MinimumLength"/> bytes.</param>
    /// <param name="targets">Where each of <see cref="RelocatedFields"/> points, in that order (from the relocations, or from the bytes of a linked image).</param>
    public abstract PvRecord Decode(ReadOnlySpan<byte> bytes, IReadOnlyList<CodeLocation> targets);

    /// <summary>Encodes a record: <see cref="Stride"/> bytes plus the relocations its pointer fields need.</summary>
    /// <param name="implicitAddends">REL objects (i386) keep the addend in the field; RELA objects keep the field zero.</param>
    public abstract EncodedRecord Encode(PvRecord record, bool implicitAddends);

    /// <summary>The address a relocated field holds in a linked image (no relocations): absolute, or field address + offset.</summary>
    public static long LinkedTarget(ReadOnlySpan<byte> record, RecordField field, long recordAddress) => field.Relocation switch
    {
        FieldRelocation.PcRelative32 => recordAddress + field.Offset + BinaryPrimitives.ReadInt32LittleEndian(record[field.Offset..]),
        FieldRelocation.Absolute32 => BinaryPrimitives.ReadUInt32LittleEndian(record[field.Offset..]),
        FieldRelocation.Absolute64 => BinaryPrimitives.ReadInt64LittleEndian(record[field.Offset..]),
        _ => throw new ArgumentException($"field {field.Name} is not relocated", nameof(field)),
    };

    /// <summary>
    /// Whether the relocations of a section (sorted by offset, null kind = a type no record field uses) are exactly this
    /// layout's, one per relocated field per record, and fit a section of <paramref name="sectionSize"/> bytes. Null when they
    /// are; else what does not fit.
    /// </summary>
    public string? Mismatch(IReadOnlyList<(long Offset, FieldRelocation? Kind)> relocations, long sectionSize)
    {
        var relocated = RelocatedFields;
        if (relocations.Count % relocated.Count != 0)
        {
            return $"{relocations.Count} relocations are not {relocated.Count} per record";
        }

        long records = relocations.Count / relocated.Count;
        for (int i = 0; i < relocations.Count; i++)
        {
            long record = i / relocated.Count;
            var wanted = relocated[i % relocated.Count];
            long expected = record * Stride + wanted.Offset;
            var (offset, kind) = relocations[i];
            if (offset != expected)
            {
                return $"record {record} has a relocation at 0x{offset:x}, expected its {wanted.Name} at 0x{expected:x}";
            }

            if (kind != wanted.Relocation)
            {
                return $"record {record}'s {wanted.Name} is relocated {(kind is { } k ? $"as {k}" : "by a type no record uses")}, expected {wanted.Relocation}";
            }
        }

        long least = records == 0 ? 0 : (records - 1) * Stride + MinimumLength;
        long most = records * Stride;
        if (sectionSize < least || sectionSize > most)
        {
            return least == most
                ? $"{sectionSize} bytes but {records} records of {Stride} bytes need {most}"
                : $"{sectionSize} bytes but {records} records of {Stride} bytes need {least} to {most}";
        }

        return null;
    }

    public override string ToString() => Name;

    protected static int U8(ReadOnlySpan<byte> bytes, RecordField field) => bytes[field.Offset];

    protected static int U16(ReadOnlySpan<byte> bytes, RecordField field) => BinaryPrimitives.ReadUInt16LittleEndian(bytes[field.Offset..]);

    protected static int U32(ReadOnlySpan<byte> bytes, RecordField field) => unchecked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes[field.Offset..]));

    protected static void Put(Span<byte> bytes, RecordField field, long value)
    {
        switch (field.Size)
        {
            case 1:
                bytes[field.Offset] = checked((byte)value);
                break;
            case 2:
                BinaryPrimitives.WriteUInt16LittleEndian(bytes[field.Offset..], checked((ushort)value));
                break;
            case 4:
                BinaryPrimitives.WriteInt32LittleEndian(bytes[field.Offset..], unchecked((int)value));
                break;
            case 8:
                BinaryPrimitives.WriteInt64LittleEndian(bytes[field.Offset..], value);
                break;
            default:
                throw new ArgumentException($"field {field.Name} is {field.Size} bytes", nameof(field));
        }
    }

    /// <summary>A relocated field: zero for RELA, the addend for REL; and the fixup that names its target.</summary>
    protected static FieldFixup Point(Span<byte> bytes, RecordField field, CodeLocation target, bool implicitAddends)
    {
        Put(bytes, field, implicitAddends ? target.Offset : 0);
        return new FieldFixup(field.Offset, field.Relocation, target);
    }

    protected T Expect<T>(PvRecord record)
        where T : PvRecord =>
        record as T ?? throw new ArgumentException($"{Name} records are {typeof(T).Name}s, not {record.GetType().Name}s", nameof(record));
}
