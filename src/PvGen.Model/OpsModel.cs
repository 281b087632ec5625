namespace PvGen.Model;

/// <summary>The target ABI the header was laid out for.</summary>
/// <param name="Arch">"x86_64" or "i386".</param>
/// <param name="Triple">The clang target triple used for layout.</param>
/// <param name="PointerSize">Bytes per pointer (8 or 4); a slot is offset / PointerSize.</param>
public sealed record Target(string Arch, string Triple, int PointerSize)
{
    public static readonly Target X86_64 = new("x86_64", "x86_64-linux-gnu", 8);
    public static readonly Target I386 = new("i386", "i386-linux-gnu", 4);

    public static Target? FromName(string name) => name switch
    {
        "x86_64" or "x86-64" or "amd64" => X86_64,
        "i386" or "i686" or "x86" => I386,
        _ => null,
    };
}

/// <summary>Where something was declared; File is relative to the run's base directory when below it.</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>How later stages must treat a C type: what register class it travels in.</summary>
public enum TypeKind
{
    Void,
    Bool,
    SignedInteger,
    UnsignedInteger,
    Enum,
    Pointer,
    FunctionPointer,
    Struct,
    Union,
    Float,
    Other,
}

/// <summary>A C type as spelled in the header, with the facts the generators need.</summary>
/// <param name="Spelling">As written in the header (e.g. "pte_t", "u64"); usable in generated C.</param>
/// <param name="Canonical">After typedefs are resolved (e.g. "unsigned long long").</param>
/// <param name="Size">sizeof on the model's target, in bytes (0 for void).</param>
public sealed record CType(string Spelling, string Canonical, TypeKind Kind, int Size)
{
    public static readonly CType Void = new("void", "void", TypeKind.Void, 0);
}

public sealed record Param(string Name, CType Type);

/// <summary>One function-pointer leaf of the ops table: a patchable operation.</summary>
/// <param name="Path">Dotted member path from the table struct, e.g. "mmu.lazy_mode.enter".</param>
/// <param name="Name">The last member name.</param>
/// <param name="Offset">Byte offset from the start of the table.</param>
/// <param name="Slot">Offset / pointer size: the patch "type" of the kernel's records.</param>
/// <param name="MemberType">The member's declared type as spelled (a typedef name, or the callee-save struct).</param>
/// <param name="CalleeSave">Declared through the callee-save wrapper struct (call through its .func).</param>
/// <param name="SignatureKnown">False for callee-save ops whose signature is not configured.</param>
public sealed record Op(
    string Path,
    string Name,
    long Offset,
    int Slot,
    string MemberType,
    CType ReturnType,
    EquatableArray<Param> Params,
    bool CalleeSave,
    bool SignatureKnown,
    SourceLocation Location,
    string? Comment);

/// <summary>A non-function member of the table (it occupies offsets and, in 2.6.2x, slots).</summary>
public sealed record DataMember(string Path, string Name, long Offset, long Size, string Type, SourceLocation Location);

/// <summary>The typed model of one ops table: the single source of truth every later stage reads.</summary>
public sealed record OpsModel(
    string Schema,
    string Struct,
    string? TableSymbol,
    Target Target,
    long StructSize,
    EquatableArray<Op> Ops,
    EquatableArray<DataMember> Data,
    SourceLocation Location)
{
    public const string SchemaId = "pvgen.model/1";
}

