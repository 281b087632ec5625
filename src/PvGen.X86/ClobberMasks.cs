namespace PvGen.X86;

/// <summary>Which generation of the kernel's CLBR_* definitions a record's clobber mask follows (paravirt-facts section 3).</summary>
public enum ClobberEra
{
    /// <summary>2.6.20 to 2.6.24, i386 only: CLBR_EAX 0x1, CLBR_ECX 0x2, CLBR_EDX 0x4, CLBR_ANY 0x7.</summary>
    Linux2620,

    /// <summary>
    /// 2.6.25 to 6.1: nine bits shared by both targets (EAX/RAX 0 ... R11 8). 32-bit CLBR_ANY is (1 &lt;&lt; 4) - 1 = 0xf,
    /// which includes CLBR_EDI although edi is callee-saved; 64-bit CLBR_ANY is 0x1ff. (6.2 removed CLBR_* altogether.)
    /// </summary>
    Linux2625,
}

/// <summary>
/// The kernel's CLBR_* clobber masks. The bits of individual registers are <see cref="Register.Bit"/>; what differs
/// between eras is only the "any" mask of i386: 0x7 in 2.6.20-2.6.24, 0xf from 2.6.25 (Debian 12's 686-pae modules
/// carry 0xf). A record whose op may clobber every caller-saved register carries the era's CLBR_ANY; any narrower
/// set carries the OR of its registers' bits.
/// </summary>
public static class ClobberMasks
{
    public const int None = 0;

    /// <summary>32-bit CLBR_EDI (2.6.25+): part of CLBR_ANY, never a caller-saved register of the psABI.</summary>
    public const int Edi32 = 1 << 3;

    public const int Any32Linux2620 = 0x7;
    public const int Any32 = 0xf;
    public const int Any64 = 0x1ff;

    /// <summary>CLBR_RET_REG: the result registers a callee-save op may touch (eax|edx on i386, rax on x86-64).</summary>
    public const int ReturnRegisters32 = 0x5;
    public const int ReturnRegisters64 = 0x1;

    /// <summary>CLBR_ARG_REGS and CLBR_SCRATCH of 2.6.25+ (x86-64: rdi|rsi|rdx|rcx|r8|r9 = 0x7e; r10|r11 = 0x180).</summary>
    public const int ArgumentRegisters32 = 0x7;
    public const int ArgumentRegisters64 = 0x7e;
    public const int Scratch64 = 0x180;

    /// <summary>The era's CLBR_ANY for a target.</summary>
    public static int Any(int pointerSize, ClobberEra era) =>
        pointerSize == 8 ? Any64 : era == ClobberEra.Linux2620 ? Any32Linux2620 : Any32;

    /// <summary>CLBR_RET_REG for a target: what the kernel's PVOP_CALLEE* macros record for every callee-save op.</summary>
    public static int ReturnRegisters(int pointerSize) => pointerSize == 8 ? ReturnRegisters64 : ReturnRegisters32;

    /// <summary>
    /// The mask the kernel's own macros (2.6.25-6.1) record for an op nobody configured: CLBR_RET_REG for a callee-save op
    /// (PVOP_CALLEE*, whatever it returns), the era's CLBR_ANY for every other op (PVOP_CALL*). Debian 12's 6.1 modules carry
    /// exactly these: 0x1ff and 0x1 on amd64, 0xf on 686-pae.
    /// </summary>
    public static int KernelDefault(bool calleeSave, int pointerSize, ClobberEra era) =>
        calleeSave ? ReturnRegisters(pointerSize) : Any(pointerSize, era);

    /// <summary>Says what <see cref="KernelDefault"/> is and why, for a finding.</summary>
    public static string DescribeKernelDefault(bool calleeSave, int pointerSize, ClobberEra era) => calleeSave
        ? $"a callee-save op's record carries CLBR_RET_REG 0x{ReturnRegisters(pointerSize):x} (the kernel's PVOP_CALLEE* macros)"
        : $"the op's record carries CLBR_ANY 0x{Any(pointerSize, era):x} of the {Name(era)} era (the kernel's PVOP_CALL* macros)";

    /// <summary>The mask a record carries for a clobber set: CLBR_ANY of the era when the set covers every caller-saved register.</summary>
    public static int MaskOf(IEnumerable<Register> clobbered, CallAbi abi, ClobberEra era)
    {
        var set = clobbered.ToHashSet();
        return abi.CallerSaved.All(set.Contains)
            ? Any(abi.WordSize, era)
            : set.Aggregate(None, (mask, r) => mask | r.Mask);
    }

    /// <summary>The era a target's records follow when nothing says otherwise: x86-64 paravirt began in 2.6.25.</summary>
    public static ClobberEra DefaultEra => ClobberEra.Linux2625;

    /// <summary>pvgen.json's names for the eras ("generate.clobber_era").</summary>
    public static string Name(ClobberEra era) => era == ClobberEra.Linux2620 ? "2.6.20" : "2.6.25";

    public static ClobberEra? Parse(string name) => name switch
    {
        "2.6.20" => ClobberEra.Linux2620,
        "2.6.25" => ClobberEra.Linux2625,
        _ => null,
    };

    public static readonly string[] Names = ["2.6.20", "2.6.25"];
}
