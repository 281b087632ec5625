using PvGen.Model;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Binary;

/// <summary>What an instruction that refers to the ops table does with it.</summary>
public enum SiteKind
{
    /// <summary>Indirect call through the slot: patchable in place.</summary>
    Call,

    /// <summary>Indirect jump through the slot (a tail call).</summary>
    Jmp,

    /// <summary>The slot's pointer (or, through the GOT, the table's address, then read or called through) loaded into a register.</summary>
    Load,

    /// <summary>The table's or a slot's address taken (lea, mov $sym, push $sym; through the GOT: loaded and handed on, never read through).</summary>
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
/// <param name="Slot">TargetOffset / pointer size, when non-negative; null through the GOT, which loads the table's address, no slot (its <paramref name="Feeds"/> name the slots it reaches).</param>
/// <param name="Op">The op's path when a model names the slot (null through the GOT, as <paramref name="Slot"/>).</param>
/// <param name="FunctionSymbol">The symbol the instruction lies in (null: none, the section is used).</param>
/// <param name="FunctionOffset">Instruction start relative to that symbol (or to the section).</param>
/// <param name="RelocType">ELF relocation type name, e.g. "R_X86_64_PC32"; null for a site found from its operand in a linked object without relocations.</param>
/// <param name="RelocOffset">Section-relative offset of the relocated (or resolved) field inside the instruction.</param>
/// <param name="Annotated">A pv record (.parainstructions, or a DIRECT_CALL .altinstructions entry) covers the instruction.</param>
/// <param name="IndirectThroughMemory">The instruction is <c>call *mem</c> / <c>jmp *mem</c> with the table in the memory operand.</param>
/// <param name="ViaGot">The relocation goes through the GOT: the instruction loads the table's address (PIC).</param>
/// <param name="Bytes">The instruction's bytes as stored in the object (relocated fields still hold their addends).</param>
/// <param name="Feeds">Indirect calls and jumps the loaded register reaches (for Load and Address sites).</param>
/// <param name="AnnotatedBy">Which family's record covers the instruction: a .parainstructions record or a DIRECT_CALL .altinstructions entry.</param>
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
    string? RelocType,
    long RelocOffset,
    bool Annotated,
    bool IndirectThroughMemory,
    MemoryForm MemoryForm,
    bool ViaGot,
    EquatableArray<byte> Bytes,
    EquatableArray<FedSite> Feeds,
    RecordFamily? AnnotatedBy = null)
{
    /// <summary>"symbol+0xoff" the way objdump names a location (the section when no symbol covers it).</summary>
    public string Function => $"{FunctionSymbol ?? Section}+0x{FunctionOffset:x}";

    /// <summary>The ops the site reaches: its own, else (through the GOT) those of the calls it feeds, in order, once each.</summary>
    public IReadOnlyList<string> ReachedOps => Op is { } own ? [own] : [.. Feeds.Select(f => f.Op ?? $"slot {f.Slot?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}").Distinct()];
}

/// <summary>
/// One pv site record: a <c>.parainstructions</c> record, or an <c>.altinstructions</c> ALT_FLAG_DIRECT_CALL entry (6.8+).
/// </summary>
/// <param name="Section">The section of the annotated instruction (from the record's relocation).</param>
/// <param name="Offset">Section-relative start of the annotated bytes.</param>
/// <param name="Type">
/// The slot: a .parainstructions record's patch type (the slot number from 2.6.22 on); for a DIRECT_CALL entry, which
/// names no slot, the slot of the call its site makes (-1 when no site is there).
/// </param>
/// <param name="Length">The annotated length in bytes (len, instrlen).</param>
/// <param name="Clobbers">The clobber mask, or null when the record format has none (para6, alt*) or the record is too short.</param>
/// <param name="RecordOffset">Where the record starts inside its section.</param>
/// <param name="HasSite">A scanned site lies inside [Offset, Offset + Length).</param>
/// <param name="Alt">The entry's alternative fields (null for .parainstructions records).</param>
/// <param name="Natives">Native alternatives at the same site (other .altinstructions entries of its group, e.g. <c>9c 58</c> under ALT_NOT_XEN).</param>
public sealed record Annotation(
    string Section,
    long Offset,
    int Type,
    int Length,
    int? Clobbers,
    long RecordOffset,
    bool HasSite,
    AltEntry? Alt = null,
    EquatableArray<AltEntry> Natives = default);

/// <summary>One .altinstructions entry as read: feature, flags, lengths and the replacement's bytes.</summary>
/// <param name="RecordOffset">Where the entry starts inside .altinstructions.</param>
/// <param name="Replacement">The replacement bytes (from .altinstr_replacement; relocated fields hold their addends).</param>
/// <param name="ReplacementCall">The symbol the replacement's first instruction calls when it is an <c>e8</c> with a relocation (BUG_func).</param>
/// <param name="GroupIndex">Position among the entries at the same site, in section order (the DIRECT_CALL entry must be 0).</param>
public sealed record AltEntry(
    long RecordOffset,
    int Feature,
    AltFlags Flags,
    int InstrLength,
    int ReplacementLength,
    EquatableArray<byte> Replacement,
    string? ReplacementCall,
    int GroupIndex)
{
    public bool IsDirectCall => (Flags & AltFlags.DirectCall) != 0;

    public int FtFlags => Alternatives.FtFlags(Feature, Flags);
}

/// <summary>How an object's sites were found.</summary>
public enum SiteSource
{
    /// <summary>From the relocations against the table symbol (objects, modules, kernels linked with --emit-relocs).</summary>
    Relocations,

    /// <summary>
    /// From decoded operands that resolve into the table's address range (<c>.symtab</c>), in a linked object whose
    /// relocations were stripped (a 6.5+ vmlinux): RIP-relative (next IP + displacement), absolute displacements and immediates.
    /// </summary>
    Operands,
}

/// <summary>What an object's .altinstructions holds beyond its pv records: every entry counted, non-pv alternatives only counted.</summary>
/// <param name="Entries">Every entry.</param>
/// <param name="DirectCall">ALT_FLAG_DIRECT_CALL entries (pv call sites).</param>
/// <param name="AtPvSites">Entries other than DIRECT_CALL ones at a pv site's address (native alternatives).</param>
/// <param name="Other">Entries elsewhere: the kernel's ordinary CPU-feature alternatives, not pv sites.</param>
public sealed record AltSummary(RecordFormat Format, int Entries, int DirectCall, int AtPvSites, int Other);

/// <summary>What one ELF object (a file, or one member of an archive) holds.</summary>
/// <param name="Path">The file, or "archive.a(member.o)".</param>
/// <param name="Machine">"x86_64", "i386", or the ELF machine name; null when not even the header could be read.</param>
/// <param name="Error">Null, or why the object could not be scanned (completely).</param>
/// <param name="AnnotationFormat">The layout the pv records were read in (a para* format, or alt* for DIRECT_CALL entries), or null when there are none.</param>
/// <param name="Skipped">The object's bytes never mention the symbol or .parainstructions, so it was not parsed further.</param>
/// <param name="Alternatives">What .altinstructions holds, or null when the object has none.</param>
public sealed record ScannedObject(
    string Path,
    string? Machine,
    string? Error,
    EquatableArray<Site> Sites,
    EquatableArray<Annotation> Annotations,
    RecordFormat? AnnotationFormat,
    bool Skipped,
    AltSummary? Alternatives = null)
{
    /// <summary>How the sites were found.</summary>
    public SiteSource SitesFrom { get; init; } = SiteSource.Relocations;

    /// <summary>The marker style's markers (NONE relocations against the table), each paired with its site or said why not.</summary>
    public EquatableArray<Marker> Markers { get; init; } = EquatableArray<Marker>.Empty;

    public static ScannedObject Failed(string path, string? machine, string error) =>
        new(path, machine, error, EquatableArray<Site>.Empty, EquatableArray<Annotation>.Empty, null, false);

    /// <summary>Call and jump sites that no pv record covers (only meaningful when the object has records).</summary>
    public IEnumerable<Site> UnannotatedCalls => Sites.Where(s => !s.Annotated && s.Kind is SiteKind.Call or SiteKind.Jmp);

    /// <summary>Records that cover no scanned site.</summary>
    public IEnumerable<Annotation> OrphanAnnotations => Annotations.Where(a => !a.HasSite);
}
