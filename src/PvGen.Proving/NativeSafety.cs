using Iced.Intel;
using PvGen.X86;
using PvGen.Model;
using Register = Iced.Intel.Register;

namespace PvGen.Proving;

/// <summary>Native bytes the patcher may inline, and how the op's implementations compute the same result.</summary>
/// <param name="Bytes">The configured bytes.</param>
/// <param name="Words">Per argument word: the ABI register it arrives in.</param>
public sealed record NativeCode(byte[] Bytes, IReadOnlyList<(string Param, string Register)> Words, string ResultRegister, IReadOnlyList<string> Clobbers);

/// <summary>
/// Decides whether an op's configured native bytes can run in user space with the same effect wherever they are
/// inlined: only register arithmetic (mov, xor, lea, shifts...), no memory, stack, flags read, I/O or privileged
/// instruction, reading only the op's argument registers and writing only registers the op may clobber.
/// (cli, sti, pushf, popf, mov %cr3 and friends are the kernel's natives but fault or differ in user space.)
/// </summary>
public static class NativeSafety
{
    private static readonly HashSet<Mnemonic> Arithmetic =
    [
        Mnemonic.Mov, Mnemonic.Movzx, Mnemonic.Movsx, Mnemonic.Movsxd, Mnemonic.Xor, Mnemonic.And, Mnemonic.Or, Mnemonic.Add,
        Mnemonic.Sub, Mnemonic.Lea, Mnemonic.Not, Mnemonic.Neg, Mnemonic.Shl, Mnemonic.Shr, Mnemonic.Sar, Mnemonic.Xchg,
        Mnemonic.Nop, Mnemonic.Bswap, Mnemonic.Inc, Mnemonic.Dec,
    ];

    /// <summary>The native code when it is safe, else null with the reason.</summary>
    public static NativeCode? Analyse(Op op, string hex, CallAbi abi, IReadOnlyList<X86.Register> clobbers, out string? reason)
    {
        byte[] bytes = [.. hex.Split(' ').Select(b => Convert.ToByte(b, 16))];
        int wordSize = abi.WordSize;
        reason = null;
        if (op.Params.Any(p => p.Type.Size is < 1 || p.Type.Size > wordSize || p.Type.Kind == TypeKind.Float) || op.Params.Count > abi.ArgumentRegisters.Count)
        {
            reason = "its arguments do not all travel in one register each";
            return null;
        }

        if (op.ReturnType.Kind != TypeKind.Void && (op.ReturnType.Size > wordSize || op.ReturnType.Kind == TypeKind.Float))
        {
            reason = "its result does not fit the return register";
            return null;
        }

        var arguments = op.Params.Select((p, i) => (p.Name, Register: abi.ArgumentRegisters[i].Name)).ToList();
        var readable = arguments.Select(a => Full(a.Register)).ToHashSet();
        var writable = clobbers.Select(c => Full(c.Name)).ToHashSet();
        var decoder = Decoder.Create(wordSize * 8, new ByteArrayCodeReader(bytes));
        var info = new InstructionInfoFactory();
        int decoded = 0;
        while (decoded < bytes.Length)
        {
            decoder.Decode(out var instruction);
            if (instruction.IsInvalid)
            {
                reason = $"bytes {hex} do not decode";
                return null;
            }

            decoded += instruction.Length;
            string name = instruction.Mnemonic.ToString().ToLowerInvariant();
            if (instruction.IsPrivileged || instruction.Mnemonic is Mnemonic.Cli or Mnemonic.Sti or Mnemonic.In or Mnemonic.Out)
            {
                reason = $"'{name}' is privileged (faults in user space)";
                return null;
            }

            if (!Arithmetic.Contains(instruction.Mnemonic) || instruction.FlowControl != FlowControl.Next || instruction.IsStackInstruction)
            {
                reason = $"'{name}' is not register arithmetic";
                return null;
            }

            if (instruction.RflagsRead != RflagsBits.None)
            {
                reason = $"'{name}' reads the flags, which differ between a call and inlined code";
                return null;
            }

            var used = info.GetInfo(instruction);
            if (used.GetUsedMemory().Any() || instruction.Mnemonic == Mnemonic.Lea && instruction.MemoryBase is Register.RIP or Register.EIP)
            {
                reason = $"'{name}' touches memory";
                return null;
            }

            bool zeroing = instruction.Mnemonic is Mnemonic.Xor or Mnemonic.Sub && instruction.OpCount == 2
                && instruction.Op0Kind == OpKind.Register && instruction.Op1Kind == OpKind.Register && instruction.Op0Register == instruction.Op1Register;
            foreach (var register in used.GetUsedRegisters())
            {
                string full = register.Register.GetFullRegister().ToString().ToLowerInvariant();
                bool reads = register.Access is OpAccess.Read or OpAccess.ReadWrite or OpAccess.ReadCondWrite or OpAccess.CondRead;
                bool writes = register.Access is OpAccess.Write or OpAccess.ReadWrite or OpAccess.CondWrite or OpAccess.ReadCondWrite;
                if (reads && !zeroing && !readable.Contains(full))
                {
                    reason = $"'{name}' reads {full}, which holds no argument of the op";
                    return null;
                }

                if (writes && !writable.Contains(full))
                {
                    reason = $"'{name}' writes {full}, which the op may not clobber";
                    return null;
                }

                if (writes)
                {
                    readable.Add(full);
                }
            }
        }

        string result = abi.ReturnRegister.Name;
        var bound = arguments.Select(a => a.Register).Append(result).ToHashSet();
        return new NativeCode(bytes, arguments, result, [.. abi.Registers.Select(r => r.Name).Where(r => !bound.Contains(r))]);
    }

    /// <summary>Iced names 32-bit registers' full forms as 64-bit ones on any bitness; the ABI names them per target.</summary>
    private static string Full(string name) => name switch
    {
        "eax" => "rax",
        "ecx" => "rcx",
        "edx" => "rdx",
        "ebx" => "rbx",
        "esi" => "rsi",
        "edi" => "rdi",
        _ => name,
    };
}
