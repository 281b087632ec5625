using PvGen.Model;

namespace PvGen.Binary;

/// <summary>What an instruction that refers to the ops table does with it.</summary>
public enum SiteKind
{
    /// <summary>Indirect call through the slot: patchable in place.</summary>
    Call,

    /// <summary>Indirect jump through the slot (a tail call).</summary>
    Jmp,

    /// <summary>The slot's pointer (or, through the GOT, the table's address) loaded into a register.</summary>
    Load,

    /// <summary>The table's or a slot's address taken (lea, mov $sym, push $sym).</summary>
    Address,

    /// <summary>Anything else: stores into the table, compares, data in code, undecodable bytes.</summary>
    Other,
}

/// <summary>How the instruction's memory operand reaches the table (the checker tells site forms apart by it).</summary>
public enum MemoryForm
{
    /// <summary>No memory operand carries the reference (immediates, register calls).</summary>
    None,

    /// <summary>x86-64 <c>disp32(%rip)</c>: <c>ff 15 rel32</c> for a call (kernels from 5.18).</summary>
    RipRelative,

    /// <summary>No base, no index: x86-64 <c>ff 14 25 abs32</c> (7 bytes), i386 <c>ff 15 abs32</c> (6 bytes).</summary>
    Absolute,

    /// <summary>A base and/or index register plus the relocated displacement (PIC <c>pv_ops@GOTOFF(%ebx)</c>, tables indexed by a register).</summary>
    Register,
}

/// <summary>A <c>call *%reg</c> / <c>call *off(%reg)</c> that a load or address site feeds, found by following the register forward in the function.</summary>
/// <param name="Offset">Instruction start, section-relative.</param>
/// <param name="Kind">Call or Jmp.</param>
/// <param name="TargetOffset">Byte offset into the table of the slot it calls through.</param>
/// <param name="Register">The register the pointer travelled in, e.g. "r12".</param>
/// <param name="Thunk">A direct call (or jmp) to the retpoline thunk for that register (<c>__x86_indirect_thunk_rax</c>): how a
/// retpoline kernel (-mindirect-branch=thunk-extern) compiles every indirect call.</param>
public sealed record FedSite(long Offset, int Length, SiteKind Kind, long TargetOffset, int? Slot, string? Op, string Register, MemoryForm MemoryForm, bool Thunk = false);

/// <summary>
/// One reference to the ops table in an executable section: a relocation against the table symbol and the
/// instruction that holds it. Field names follow the pvgen.scan/1 contract.
/// </summary>
/// <param name="Section">The executable section, e.g. ".text" or ".noinstr.text".</param>
/// <param name="Offset">Instruction start, relative to the section.</param>
/// <param name="Length">Instruction length in bytes (the room a patcher has).</param>
/// <param name="TargetOffset">Byte offset into the table the instruction refers to (0 for the table's address through the GOT).</param>
/// <param name="Slot">TargetOffset / pointer size, when non-negative.</param>
/// <param name="Op">The op's path when a model names the slot.</param>
/// <param name="FunctionSymbol">The symbol the instruction lies in (null: none, the section is used).</param>
/// <param name="FunctionOffset">Instruction start relative to that symbol (or to the section).</param>
/// <param name="RelocType">ELF relocation type name, e.g. "R_X86_64_PC32".</param>
/// <param name="RelocOffset">Section-relative offset of the relocated field inside the instruction.</param>
/// <param name="Annotated">A .parainstructions record covers the instruction.</param>
/// <param name="IndirectThroughMemory">The instruction is <c>call *mem</c> / <c>jmp *mem</c> with the table in the memory operand.</param>
/// <param name="ViaGot">The relocation goes through the GOT: the instruction loads the table's address (PIC).</param>
/// <param name="Bytes">The instruction's bytes as stored in the object (relocated fields still hold their addends).</param>
/// <param name="Feeds">Indirect calls and jumps the loaded register reaches (for Load and Address sites).</param>
public sealed record Site(
    string Section,
    long Offset,
    int Length,
    SiteKind Kind,
    long TargetOffset,
    int? Slot,
    string? Op,
    string? FunctionSymbol,
    long FunctionOffset,
    string RelocType,
    long RelocOffset,
    bool Annotated,
    bool IndirectThroughMemory,
    MemoryForm MemoryForm,
    bool ViaGot,
    EquatableArray<byte> Bytes,
    EquatableArray<FedSite> Feeds)
{
    /// <summary>"symbol+0xoff" the way objdump names a location (the section when no symbol covers it).</summary>
    public string Function => $"{FunctionSymbol ?? Section}+0x{FunctionOffset:x}";
}

/// <summary>One record of a <c>.parainstructions</c> section: a site the macro approach declared.</summary>
/// <param name="Section">The section of the annotated instruction (from the record's relocation).</param>
/// <param name="Offset">Section-relative start of the annotated bytes.</param>
/// <param name="Type">The patch type: the slot number from 2.6.22 on.</param>
/// <param name="Length">The annotated length in bytes.</param>
/// <param name="Clobbers">The clobber mask, or null when the record format has none (6-byte packed) or the record is too short.</param>
/// <param name="RecordOffset">Where the record starts inside .parainstructions.</param>
/// <param name="HasSite">A scanned site lies inside [Offset, Offset + Length).</param>
public sealed record Annotation(string Section, long Offset, int Type, int Length, int? Clobbers, long RecordOffset, bool HasSite);

/// <summary>The record layouts the kernel used for <c>.parainstructions</c> (paravirt-facts section 4).</summary>
public enum ParaInstructionsFormat
{
    /// <summary>Detect from the relocation stride, the relocation type and the machine.</summary>
    Auto,

    /// <summary>8 bytes, i386: <c>.long addr; .byte type; .byte len; .short clobbers</c>.</summary>
    Absolute32,

    /// <summary>16 bytes, x86-64: <c>.quad addr; .byte type; .byte len; .short clobbers; 4 bytes padding</c>.</summary>
    Absolute64,

    /// <summary>6 bytes packed (about 6.5 to 6.7): <c>.long addr - .; .byte type; .byte len</c>.</summary>
    Relative32,
}

/// <summary>What one ELF object (a file, or one member of an archive) holds.</summary>
/// <param name="Path">The file, or "archive.a(member.o)".</param>
/// <param name="Machine">"x86_64", "i386", or the ELF machine name; null when not even the header could be read.</param>
/// <param name="Error">Null, or why the object could not be scanned (completely).</param>
/// <param name="AnnotationFormat">The .parainstructions layout read, or null when there is none.</param>
/// <param name="Skipped">The object's bytes never mention the symbol or .parainstructions, so it was not parsed further.</param>
public sealed record ScannedObject(
    string Path,
    string? Machine,
    string? Error,
    EquatableArray<Site> Sites,
    EquatableArray<Annotation> Annotations,
    ParaInstructionsFormat? AnnotationFormat,
    bool Skipped)
{
    public static ScannedObject Failed(string path, string? machine, string error) =>
        new(path, machine, error, EquatableArray<Site>.Empty, EquatableArray<Annotation>.Empty, null, false);

    /// <summary>Call and jump sites that no .parainstructions record covers (only meaningful when the object has records).</summary>
    public IEnumerable<Site> UnannotatedCalls => Sites.Where(s => !s.Annotated && s.Kind is SiteKind.Call or SiteKind.Jmp);

    /// <summary>Records that cover no scanned site.</summary>
    public IEnumerable<Annotation> OrphanAnnotations => Annotations.Where(a => !a.HasSite);
}
