namespace PvGen.X86;

/// <summary>How a relocation's field turns into an address, which is all the scanner needs to know about a type.</summary>
public enum RelocationMode
{
    /// <summary>S + A: the field holds the address itself (R_X86_64_32S, R_X86_64_64, R_386_32, R_386_GOTOFF relative to a GOT base register).</summary>
    Absolute,

    /// <summary>S + A - P: the CPU adds the end of the instruction, so the address is A + (NextIP - P).</summary>
    PcRelative,

    /// <summary>The field locates a GOT entry that holds the symbol's address: the instruction loads the table's address.</summary>
    Got,

    /// <summary>A type the scanner does not interpret; the site is reported as "other" with the raw addend.</summary>
    Unknown,

    /// <summary>No relocation: the operand was resolved against the table's address; the "addend" is the table offset itself.</summary>
    Resolved,

    /// <summary>
    /// R_X86_64_NONE / R_386_NONE: patches no field, only names a symbol (plus addend) at a place. The marker style's
    /// <c>.reloc 1f, R_X86_64_NONE, pv_ops+OFF</c> uses it to mark a call site; it is not a reference the code makes.
    /// </summary>
    Marker,
}

/// <summary>How a relocated record field turns into an address (what a record format declares per field).</summary>
public enum FieldRelocation
{
    /// <summary>Not relocated: the field is plain data.</summary>
    None,

    /// <summary>A 32-bit absolute address (i386 records, R_386_32).</summary>
    Absolute32,

    /// <summary>A 64-bit absolute address (x86-64 .parainstructions, R_X86_64_64).</summary>
    Absolute64,

    /// <summary>A signed 32-bit offset from the field itself (<c>.long label - .</c>, R_X86_64_PC32 / R_386_PC32).</summary>
    PcRelative32,
}

/// <summary>The x86 relocation types that can point into code, with their field sizes (values from the psABI documents).</summary>
public readonly record struct RelocationInfo(string Name, RelocationMode Mode, int FieldSize)
{
    public static RelocationInfo Of(bool is64, uint type) => is64 ? X86_64(type) : I386(type);

    /// <summary>A field of <paramref name="fieldSize"/> bytes whose value was resolved from the linked address.</summary>
    public static RelocationInfo ResolvedField(int fieldSize) => new("none", RelocationMode.Resolved, fieldSize);

    /// <summary>The "none" relocation type of a target (value 0 in both psABIs), by the name gas's <c>.reloc</c> takes.</summary>
    public static string NoneName(bool is64) => is64 ? "R_X86_64_NONE" : "R_386_NONE";

    private static RelocationInfo X86_64(uint type) => type switch
    {
        0 => new("R_X86_64_NONE", RelocationMode.Marker, 0),
        1 => new("R_X86_64_64", RelocationMode.Absolute, 8),
        2 => new("R_X86_64_PC32", RelocationMode.PcRelative, 4),
        3 => new("R_X86_64_GOT32", RelocationMode.Got, 4),
        4 => new("R_X86_64_PLT32", RelocationMode.PcRelative, 4),
        9 => new("R_X86_64_GOTPCREL", RelocationMode.Got, 4),
        10 => new("R_X86_64_32", RelocationMode.Absolute, 4),
        11 => new("R_X86_64_32S", RelocationMode.Absolute, 4),
        12 => new("R_X86_64_16", RelocationMode.Absolute, 2),
        13 => new("R_X86_64_PC16", RelocationMode.PcRelative, 2),
        14 => new("R_X86_64_8", RelocationMode.Absolute, 1),
        15 => new("R_X86_64_PC8", RelocationMode.PcRelative, 1),
        24 => new("R_X86_64_PC64", RelocationMode.PcRelative, 8),
        25 => new("R_X86_64_GOTOFF64", RelocationMode.Absolute, 8),
        41 => new("R_X86_64_GOTPCRELX", RelocationMode.Got, 4),
        42 => new("R_X86_64_REX_GOTPCRELX", RelocationMode.Got, 4),
        _ => new($"R_X86_64_{type}", RelocationMode.Unknown, 0),
    };

    private static RelocationInfo I386(uint type) => type switch
    {
        0 => new("R_386_NONE", RelocationMode.Marker, 0),
        1 => new("R_386_32", RelocationMode.Absolute, 4),
        2 => new("R_386_PC32", RelocationMode.PcRelative, 4),
        3 => new("R_386_GOT32", RelocationMode.Got, 4),
        4 => new("R_386_PLT32", RelocationMode.PcRelative, 4),
        9 => new("R_386_GOTOFF", RelocationMode.Absolute, 4),
        20 => new("R_386_16", RelocationMode.Absolute, 2),
        21 => new("R_386_PC16", RelocationMode.PcRelative, 2),
        22 => new("R_386_8", RelocationMode.Absolute, 1),
        23 => new("R_386_PC8", RelocationMode.PcRelative, 1),
        43 => new("R_386_GOT32X", RelocationMode.Got, 4),
        _ => new($"R_386_{type}", RelocationMode.Unknown, 0),
    };

    /// <summary>How a record field with this relocation resolves, or null when no record field is relocated this way.</summary>
    public FieldRelocation? AsField => (Mode, FieldSize) switch
    {
        (RelocationMode.Absolute, 4) => FieldRelocation.Absolute32,
        (RelocationMode.Absolute, 8) => FieldRelocation.Absolute64,
        (RelocationMode.PcRelative, 4) => FieldRelocation.PcRelative32,
        _ => null,
    };

    /// <summary>The ELF relocation type that a writer uses for a record field (R_X86_64_64/32/PC32, R_386_32/PC32).</summary>
    public static uint TypeFor(FieldRelocation field, bool is64) => (field, is64) switch
    {
        (FieldRelocation.Absolute64, true) => 1,
        (FieldRelocation.PcRelative32, true) => 2,
        (FieldRelocation.Absolute32, true) => 10,
        (FieldRelocation.Absolute32, false) => 1,
        (FieldRelocation.PcRelative32, false) => 2,
        _ => throw new ArgumentException($"{field} has no {(is64 ? "x86-64" : "i386")} relocation type", nameof(field)),
    };

    /// <summary>REL tables keep the addend in the relocated field: read it, sign-extended.</summary>
    public long ImplicitAddend(ReadOnlySpan<byte> field) => FieldSize switch
    {
        1 => (sbyte)field[0],
        2 => BitConverter.ToInt16(field),
        4 => BitConverter.ToInt32(field),
        8 => BitConverter.ToInt64(field),
        _ => 0,
    };
}
