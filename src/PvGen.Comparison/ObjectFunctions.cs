using Iced.Intel;
using PvGen.Binary;

namespace PvGen.Comparison;

/// <summary>A function of an object: its symbol, where it lies, and what it spends on saving registers.</summary>
/// <param name="SaveInstructions">push/pop of a register, and mov between a register and a stack slot (spills and reloads).</param>
public sealed record ObjectFunction(string Name, string Section, long Offset, long Size, int SaveInstructions, long SaveBytes);

/// <summary>Measures the function symbols of an object read by the scanner's reader (<see cref="ElfObject"/>), decoding each one (Iced) for register traffic.</summary>
public static class ObjectFunctions
{
    public static IReadOnlyList<ObjectFunction> From(ElfObject elf)
    {
        var functions = new List<ObjectFunction>();
        foreach (var symbol in elf.Functions)
        {
            byte[] bytes = elf.CodeOf(symbol);
            if (bytes.Length < symbol.Offset + symbol.Size)
            {
                continue; // unreadable: nothing to measure.
            }

            var (count, saveBytes) = CountSaves(bytes, (int)symbol.Offset, (int)symbol.Size, elf.Bitness);
            functions.Add(new ObjectFunction(symbol.Name, symbol.Section, symbol.Offset, symbol.Size, count, saveBytes));
        }

        return functions;
    }

    /// <summary>The function whose [offset, offset + size) holds the address, or null.</summary>
    public static ObjectFunction? At(IReadOnlyList<ObjectFunction> functions, string section, long offset) =>
        functions.FirstOrDefault(f => f.Section == section && offset >= f.Offset && offset < f.Offset + f.Size);

    /// <summary>Instructions (and their bytes) that save, restore or spill registers: push/pop reg, mov reg to or from [sp/bp + disp].</summary>
    public static (int Count, long Bytes) CountSaves(byte[] code, int start, int length, int bitness)
    {
        var decoder = Decoder.Create(bitness, new ByteArrayCodeReader(code, start, length), (ulong)start, DecoderOptions.None);
        ulong end = (ulong)(start + length);
        int count = 0;
        long bytes = 0;
        while (decoder.IP < end)
        {
            decoder.Decode(out var instruction);
            if (instruction.IsInvalid)
            {
                continue;
            }

            if (IsSave(instruction))
            {
                count++;
                bytes += instruction.Length;
            }
        }

        return (count, bytes);
    }

    private static bool IsSave(in Instruction instruction)
    {
        switch (instruction.Mnemonic)
        {
            case Mnemonic.Push:
            case Mnemonic.Pop:
                return instruction.Op0Kind == OpKind.Register;
            case Mnemonic.Mov:
                return (instruction.Op0Kind == OpKind.Memory && instruction.Op1Kind == OpKind.Register && IsStackBase(instruction.MemoryBase))
                    || (instruction.Op1Kind == OpKind.Memory && instruction.Op0Kind == OpKind.Register && IsStackBase(instruction.MemoryBase));
            default:
                return false;
        }
    }

    private static bool IsStackBase(Register register) =>
        register is Register.RSP or Register.RBP or Register.ESP or Register.EBP;
}
