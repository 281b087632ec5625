using PvGen.Model;

namespace PvGen.X86;

/// <summary>A register the macro machinery can bind or clobber, with its bit in the kernel's CLBR_* mask.</summary>
/// <param name="Name">The register as gcc's clobber list and pvgen.json spell it ("rax", "eax", "r8").</param>
/// <param name="Constraint">The gcc/clang asm constraint letter, or null (r8-r11 have none and can only be clobbered).</param>
/// <param name="Bit">Bit number in the kernel's CLBR_* masks (CLBR_RAX/EAX = bit 0 ... CLBR_R11 = bit 8).</param>
public sealed record Register(string Name, string? Constraint, int Bit)
{
    public int Mask => 1 << Bit;
}

/// <summary>The call-site ABI of one target: which registers carry arguments, results and clobbers.</summary>
/// <param name="Registers">Every register the call may clobber, in CLBR_* bit order.</param>
/// <param name="ArgumentRegisters">Registers that carry argument words, in order.</param>
/// <param name="CallerSaved">Registers an ordinary C callee may clobber (the psABI's caller-saved integer registers).</param>
/// <param name="MaxStackWords">Argument words the macro machinery can pass on the stack (i386 PVOP_CALL4's one pushed word).</param>
public sealed record CallAbi(
    string Arch,
    int WordSize,
    IReadOnlyList<Register> Registers,
    IReadOnlyList<Register> ArgumentRegisters,
    IReadOnlyList<Register> CallerSaved,
    int MaxStackWords)
{
    /// <summary>x86-64: rdi, rsi, rdx, rcx carry arguments (the kernel's PVOP_CALL4 limit); bits as CLBR_RAX..CLBR_R11.</summary>
    public static readonly CallAbi X86_64 = Create("x86_64", 8,
        [new("rax", "a", 0), new("rcx", "c", 1), new("rdx", "d", 2), new("rdi", "D", 3), new("rsi", "S", 4),
         new("r8", null, 5), new("r9", null, 6), new("r10", null, 7), new("r11", null, 8)],
        ["rdi", "rsi", "rdx", "rcx"], maxStackWords: 0);

    /// <summary>
    /// i386 regparm(3): eax, edx, ecx, then one word pushed outside the annotated bytes; bits as CLBR_EAX/ECX/EDX.
    /// edi is callee-saved in the i386 psABI, so it is not here although 2.6.25+ kernels have a CLBR_EDI bit
    /// (see <see cref="ClobberMasks"/>).
    /// </summary>
    public static readonly CallAbi I386 = Create("i386", 4,
        [new("eax", "a", 0), new("ecx", "c", 1), new("edx", "d", 2)],
        ["eax", "edx", "ecx"], maxStackWords: 1);

    public static CallAbi For(Target target) => For(target.PointerSize);

    public static CallAbi For(int pointerSize) => pointerSize == 8 ? X86_64 : I386;

    /// <summary>The register a one-word result comes back in (rax / eax).</summary>
    public Register ReturnRegister => Registers[0];

    /// <summary>The second result register of a two-word return (i386 edx:eax).</summary>
    public Register ReturnHighRegister => Find("edx")!;

    /// <summary>A register by name; rax/eax, rcx/ecx and rdx/edx name the same role, so one pvgen.json serves both targets.</summary>
    public Register? Find(string name)
    {
        string wanted = name.ToLowerInvariant() switch
        {
            "rax" or "eax" => WordSize == 8 ? "rax" : "eax",
            "rcx" or "ecx" => WordSize == 8 ? "rcx" : "ecx",
            "rdx" or "edx" => WordSize == 8 ? "rdx" : "edx",
            var other => other,
        };
        return Registers.FirstOrDefault(r => r.Name == wanted);
    }

    private static CallAbi Create(string arch, int wordSize, Register[] registers, string[] arguments, int maxStackWords) =>
        new(arch, wordSize, registers, [.. arguments.Select(a => registers.First(r => r.Name == a))], registers, maxStackWords);
}

/// <summary>
/// The x86 encoding number of each general-purpose register (ModRM reg / opcode+r, REX.B/R extending to 8-15): the
/// number VMI-style site records carry for an input or output register and the bit a record's clobber mask uses.
/// Unlike the CLBR_* bits these are the same on i386 and x86-64 and need no era.
/// </summary>
public static class RegisterNumbers
{
    /// <summary>The value a register slot of a record holds when it names no register.</summary>
    public const int None = 0xff;

    private static readonly string[] X86_64Names = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
    private static readonly string[] I386Names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];

    /// <summary>The encoding number of a register of a target's word size ("rdi" = 7, "r8" = 8), or null when it has none.</summary>
    public static int? Of(string name, int wordSize)
    {
        int index = Array.IndexOf(wordSize == 8 ? X86_64Names : I386Names, name);
        return index < 0 ? null : index;
    }

    /// <summary>The register of an encoding number for a word size, or null (a number past the target's registers, or <see cref="None"/>).</summary>
    public static string? Name(int number, int wordSize)
    {
        var names = wordSize == 8 ? X86_64Names : I386Names;
        return number >= 0 && number < names.Length ? names[number] : null;
    }

    /// <summary>A mask with bit <c>Of(name)</c> set for each register.</summary>
    public static int MaskOf(IEnumerable<Register> registers, int wordSize) =>
        registers.Aggregate(0, (mask, r) => mask | 1 << (Of(r.Name, wordSize) ?? throw new ArgumentException($"'{r.Name}' has no {wordSize * 8}-bit encoding", nameof(registers))));

    /// <summary>The registers whose bits a mask sets, by name.</summary>
    public static IReadOnlyList<string> Names(int mask, int wordSize) =>
        [.. Enumerable.Range(0, 16).Where(bit => (mask & 1 << bit) != 0).Select(bit => Name(bit, wordSize) ?? $"#{bit}")];
}
