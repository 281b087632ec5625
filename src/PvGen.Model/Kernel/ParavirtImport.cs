namespace PvGen.Model.Kernel;

/// <summary>How a kernel era records a pv call site (paravirt-facts sections 1 and 12).</summary>
public enum SiteRecording
{
    /// <summary>Up to 6.7: a <c>.parainstructions</c> record (address, type = slot, length, clobbers) per site.</summary>
    ParaInstructions,

    /// <summary>From 6.8: an <c>.altinstructions</c> entry with <c>ALT_FLAG_DIRECT_CALL</c> (plus one with the native code where there is one).</summary>
    AltInstructions,
}

/// <summary>One <c>PVOP_*</c> macro family that paravirt.h invokes, as paravirt_types.h defines it.</summary>
/// <param name="Parameters">The macro's parameters as declared, e.g. rettype, op, arg1, alt, cond.</param>
/// <param name="Returns">Takes a result type (CALL, not VCALL).</param>
/// <param name="CalleeSave">Calls through the callee-save wrapper (<c>op.func</c>) with the callee-save clobbers.</param>
/// <param name="Alternative">Takes a native alternative and its condition (the PVOP_ALT_* families).</param>
/// <param name="Arity">Number of call arguments.</param>
public sealed record PvopFamily(
    string Name,
    EquatableArray<string> Parameters,
    bool Returns,
    bool CalleeSave,
    bool Alternative,
    int Arity,
    SourceLocation Location);

/// <summary>One call of an op inside a paravirt.h wrapper, with everything the header says about it.</summary>
/// <param name="Op">The op's path in the table, e.g. mmu.write_cr3 (without the callee-save ".func").</param>
/// <param name="Wrapper">The inline function that makes the call.</param>
/// <param name="Family">The PVOP_* macro used, or null for an ordinary C call through the table.</param>
/// <param name="ReturnType">The type the site returns (the family's result type, or the op's own for a C call); "void" for none.</param>
/// <param name="ArgumentTypes">The type of each argument as the wrapper passes it (before the macro's cast to a register word).</param>
/// <param name="NativeAsm">The native alternative as assembler text (the template's %% already %), or null.</param>
/// <param name="Condition">The alternative's condition as written, e.g. ALT_NOT(X86_FEATURE_XENPV), or null.</param>
/// <param name="ConditionValue">The condition evaluated by clang (feature number and flag bits).</param>
/// <param name="Clobbers">Registers the site's asm may change: its register outputs and register clobbers, in ABI order.</param>
/// <param name="Jump">The site jumps to the op instead of calling it.</param>
public sealed record PvopCall(
    string Op,
    string Wrapper,
    string? Family,
    bool CalleeSave,
    string ReturnType,
    EquatableArray<string> ArgumentTypes,
    string? NativeAsm,
    string? Condition,
    long? ConditionValue,
    EquatableArray<string> Clobbers,
    bool Jump,
    SourceLocation Location);

/// <summary>An inline function of paravirt.h that calls at least one op.</summary>
/// <param name="Signature">Its C type, "RET (PARAMS)" with parameter names, e.g. "void (unsigned long x)".</param>
public sealed record PvWrapper(string Name, string Signature, EquatableArray<string> Ops, SourceLocation Location);

/// <summary>Inclusive 1-based line range of one macro definition.</summary>
public sealed record LineRange(int First, int Last);

/// <summary>
/// The macro machinery of paravirt_types.h a drop-in replaces: every macro definition reachable from the families
/// paravirt.h uses, by line, and the line after which the replacement goes.
/// </summary>
/// <param name="File">paravirt_types.h (absolute).</param>
/// <param name="Ranges">The definitions' lines, in file order.</param>
/// <param name="Macros">Their names, in file order.</param>
/// <param name="InsertAfter">The last line of the last definition: the drop-in's block goes after it.</param>
public sealed record MacroSection(string File, EquatableArray<LineRange> Ranges, EquatableArray<string> Macros, int InsertAfter);

/// <summary>What paravirt.h knows about every op it calls, read through libclang with the kernel's flags.</summary>
/// <param name="Model">The ops table (paravirt_types.h) parsed with the same flags.</param>
/// <param name="Header">paravirt.h (absolute).</param>
/// <param name="UncalledOps">Ops of the table that no wrapper calls, in table order.</param>
public sealed record ParavirtImport(
    OpsModel Model,
    string Header,
    SiteRecording Recording,
    EquatableArray<PvopFamily> Families,
    EquatableArray<PvWrapper> Wrappers,
    EquatableArray<PvopCall> Calls,
    EquatableArray<string> UncalledOps,
    MacroSection Section)
{
    /// <summary>The calls of one op, in header order.</summary>
    public IEnumerable<PvopCall> CallsOf(string op) => Calls.Where(c => c.Op == op);
}
