using System.Buffers.Binary;

namespace PvGen.X86.Records;

/// <summary>
/// One VMI-style site record (docs/vmi-record.md): where the site is, which op it stands for, what it holds by default,
/// and its register environment, as VMI's <c>vmi_wrap_call(call, native_asm, output, nr_inputs, inputs..., clobbers)</c>
/// carried it per call (VMI_IREG1.. for the inputs).
/// </summary>
/// <param name="Site">The site: the native default padded with NOPs, or the indirect call.</param>
/// <param name="Bind">The register witnesses: one <c>mov %reg, %reg</c> per input, then per output, assembled from the asm's own operands.</param>
/// <param name="Slot">The op's slot in the table.</param>
/// <param name="Length">Bytes of the site.</param>
/// <param name="NativeLength">Bytes of native default at the site's start; 0 when the default is the call.</param>
/// <param name="Inputs">Register numbers (<see cref="RegisterNumbers"/>) of the argument words, in argument order.</param>
/// <param name="Outputs">Register numbers of the result words, low word first.</param>
/// <param name="Clobbers">Bit n set: the register numbered n may be changed by the site.</param>
public sealed record VmiRecord(CodeLocation Site, CodeLocation Bind, int Slot, int Length, int NativeLength, IReadOnlyList<int> Inputs, IReadOnlyList<int> Outputs, int Clobbers)
    : PvRecord(Site, Length)
{
    public bool Equals(VmiRecord? other) => other is not null && Site == other.Site && Bind == other.Bind && Slot == other.Slot && Length == other.Length
        && NativeLength == other.NativeLength && Inputs.SequenceEqual(other.Inputs) && Outputs.SequenceEqual(other.Outputs) && Clobbers == other.Clobbers;

    public override int GetHashCode() => HashCode.Combine(Site, Slot, Length, NativeLength, Clobbers, Inputs.Count, Outputs.Count);
}

/// <summary>
/// <c>vmi24</c>: PvGen's VMI-style record, 24 bytes in <c>.pvgen.vmi</c>, aligned 4, the same on i386 and x86-64.
/// Not a <see cref="RecordFormat"/>: it describes a register environment, not a kernel's patch table, so scan and the
/// kernel-format detection never read it; only <c>pvgen check</c> of a VMI template set does.
/// <code>
///  0  s32 site        .long 771b - .   (PC32)
///  4  s32 bind        .long 773b - .   (PC32, the witnesses in .pvgen.vmi_bind)
///  8  u16 slot
/// 10  u8  len         bytes of the site
/// 11  u8  native_len  bytes of native default (0: the default is the call)
/// 12  u8  nr_inputs
/// 13  u8  nr_outputs
/// 14  u16 clobbers    bit n = register number n
/// 16  u8  inputs[6]   register numbers, 0xff past nr_inputs
/// 22  u8  outputs[2]  register numbers, 0xff past nr_outputs
/// </code>
/// </summary>
public static class VmiRecordFormat
{
    public static string Name => "vmi24";

    public static string Section => ".pvgen.vmi";

    /// <summary>Where the register witnesses go: code-like bytes that are never executed, only decoded by the checker.</summary>
    public static string BindSection => ".pvgen.vmi_bind";

    /// <summary>The instruction that ends each site's witnesses (so a site without register operands still has its own, distinct bind address).</summary>
    public const string WitnessEnd = "int3";

    public static int Stride => 24;

    public static int Alignment => 4;

    public const int MaxInputs = 6;

    public const int MaxOutputs = 2;

    public static readonly RecordField SiteField = new("site", 0, 4, FieldRelocation.PcRelative32);
    public static readonly RecordField BindField = new("bind", 4, 4, FieldRelocation.PcRelative32);
    public static readonly RecordField SlotField = new("slot", 8, 2);
    public static readonly RecordField LenField = new("len", 10, 1);
    public static readonly RecordField NativeLenField = new("native_len", 11, 1);
    public static readonly RecordField InputCountField = new("nr_inputs", 12, 1);
    public static readonly RecordField OutputCountField = new("nr_outputs", 13, 1);
    public static readonly RecordField ClobbersField = new("clobbers", 14, 2);
    public static readonly RecordField InputsField = new("inputs", 16, MaxInputs);
    public static readonly RecordField OutputsField = new("outputs", 22, MaxOutputs);

    /// <summary>Every field in offset order; arrays of bytes are one field (inputs, outputs).</summary>
    public static IReadOnlyList<RecordField> Fields { get; } = [SiteField, BindField, SlotField, LenField, NativeLenField, InputCountField, OutputCountField, ClobbersField, InputsField, OutputsField];

    /// <summary>The relocated fields, in offset order: two relocations per record.</summary>
    public static IReadOnlyList<RecordField> RelocatedFields => [SiteField, BindField];

    /// <summary>The assembler directive of one element of a field (.long, .2byte, .byte) and how many elements it has.</summary>
    public static (string Directive, int Count) Directive(RecordField field) =>
        field == InputsField || field == OutputsField ? (".byte", field.Size) : field.Size switch
        {
            1 => (".byte", 1),
            2 => (".2byte", 1),
            4 => (".long", 1),
            _ => throw new ArgumentException($"field {field.Name} is {field.Size} bytes", nameof(field)),
        };

    public static string Description => "24 bytes: .long site - .; .long bind - .; .2byte slot; .byte len, native_len, nr_inputs, nr_outputs; .2byte clobbers; .byte inputs[6], outputs[2]";

    /// <summary>Decodes one record; <paramref name="site"/> and <paramref name="bind"/> are where its two relocated fields point.</summary>
    public static VmiRecord Decode(ReadOnlySpan<byte> bytes, CodeLocation site, CodeLocation bind)
    {
        if (bytes.Length < Stride)
        {
            throw new ArgumentException($"a {Name} record is {Stride} bytes, not {bytes.Length}", nameof(bytes));
        }

        int inputs = bytes[InputCountField.Offset], outputs = bytes[OutputCountField.Offset];
        if (inputs > MaxInputs || outputs > MaxOutputs)
        {
            throw new ArgumentException($"a {Name} record holds at most {MaxInputs} inputs and {MaxOutputs} outputs, not {inputs} and {outputs}", nameof(bytes));
        }

        return new VmiRecord(site, bind,
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[SlotField.Offset..]),
            bytes[LenField.Offset],
            bytes[NativeLenField.Offset],
            [.. bytes.Slice(InputsField.Offset, inputs).ToArray().Select(b => (int)b)],
            [.. bytes.Slice(OutputsField.Offset, outputs).ToArray().Select(b => (int)b)],
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[ClobbersField.Offset..]));
    }

    /// <summary>Encodes a record: <see cref="Stride"/> bytes plus its two PC-relative relocations.</summary>
    /// <param name="implicitAddends">REL objects (i386) keep the addend in the field; RELA objects keep the field zero.</param>
    public static EncodedRecord Encode(VmiRecord record, bool implicitAddends)
    {
        if (record.Inputs.Count > MaxInputs || record.Outputs.Count > MaxOutputs)
        {
            throw new ArgumentException($"a {Name} record holds at most {MaxInputs} inputs and {MaxOutputs} outputs", nameof(record));
        }

        var bytes = new byte[Stride];
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(SiteField.Offset), implicitAddends ? checked((int)record.Site.Offset) : 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(BindField.Offset), implicitAddends ? checked((int)record.Bind.Offset) : 0);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(SlotField.Offset), checked((ushort)record.Slot));
        bytes[LenField.Offset] = checked((byte)record.Length);
        bytes[NativeLenField.Offset] = checked((byte)record.NativeLength);
        bytes[InputCountField.Offset] = (byte)record.Inputs.Count;
        bytes[OutputCountField.Offset] = (byte)record.Outputs.Count;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(ClobbersField.Offset), checked((ushort)record.Clobbers));
        for (int i = 0; i < MaxInputs; i++)
        {
            bytes[InputsField.Offset + i] = i < record.Inputs.Count ? checked((byte)record.Inputs[i]) : (byte)RegisterNumbers.None;
        }

        for (int i = 0; i < MaxOutputs; i++)
        {
            bytes[OutputsField.Offset + i] = i < record.Outputs.Count ? checked((byte)record.Outputs[i]) : (byte)RegisterNumbers.None;
        }

        return new EncodedRecord(bytes,
            [new FieldFixup(SiteField.Offset, SiteField.Relocation, record.Site), new FieldFixup(BindField.Offset, BindField.Relocation, record.Bind)]);
    }

    /// <summary>
    /// The assembler operand of each field for one site, as the templates write it (the site's labels: 771 start,
    /// 772 end, 773 the witnesses): what generate puts in the template model, so the layout and its values have one home.
    /// </summary>
    public static IReadOnlyList<(RecordField Field, string Value)> AssemblerValues(int slot, int nativeLength, IReadOnlyList<int> inputs, IReadOnlyList<int> outputs, int clobbers)
    {
        static string Bytes(IReadOnlyList<int> numbers, int count) =>
            string.Join(", ", Enumerable.Range(0, count).Select(i => (i < numbers.Count ? numbers[i] : RegisterNumbers.None).ToString(System.Globalization.CultureInfo.InvariantCulture)));

        return
        [
            (SiteField, "771b - ."),
            (BindField, "773b - ."),
            (SlotField, slot.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (LenField, "772b - 771b"),
            (NativeLenField, nativeLength.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (InputCountField, inputs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (OutputCountField, outputs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (ClobbersField, $"0x{clobbers:x4}"),
            (InputsField, Bytes(inputs, MaxInputs)),
            (OutputsField, Bytes(outputs, MaxOutputs)),
        ];
    }
}
