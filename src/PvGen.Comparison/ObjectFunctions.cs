using Iced.Intel;
using LibObjectFile.Elf;

namespace PvGen.Comparison;

/// <summary>A function of an object: its symbol, where it lies, and what it spends on saving registers.</summary>
/// <param name="SaveInstructions">push/pop of a register, and mov between a register and a stack slot (spills and reloads).</param>
public sealed record ObjectFunction(string Name, string Section, long Offset, long Size, int SaveInstructions, long SaveBytes);

/// <summary>Reads the function symbols of an ELF object (LibObjectFile) and decodes each one (Iced) for register traffic.</summary>
public static class ObjectFunctions
{
    public static IReadOnlyList<ObjectFunction> Read(string path)
    {
        using var stream = File.OpenRead(path);
        var elf = ElfFile.Read(stream, new ElfReaderOptions { UseSubStream = true });
        int bitness = elf.FileClass == ElfFileClass.Is64 ? 64 : 32;
        bool relocatable = elf.FileType == ElfFileType.Relocatable;
        var bytesBySection = new Dictionary<ElfSection, byte[]>();
        var functions = new List<ObjectFunction>();
        foreach (var table in elf.Sections.OfType<ElfSymbolTable>().Where(t => t.Type == ElfSectionType.SymbolTable))
        {
            foreach (var symbol in table.Entries)
            {
                if (symbol.Type != ElfSymbolType.Function || symbol.Size == 0 || symbol.SectionLink.Section is not ElfStreamSection section
                    || symbol.Name.IsEmpty || string.IsNullOrEmpty(symbol.Name.Value))
                {
                    continue;
                }

                if (!bytesBySection.TryGetValue(section, out var bytes))
                {
                    bytes = new byte[section.Stream.Length];
                    section.Stream.Position = 0;
                    section.Stream.ReadExactly(bytes);
                    bytesBySection[section] = bytes;
                }

                // In a linked file symbol values are addresses; in an object they are section offsets.
                long offset = relocatable ? (long)symbol.Value : (long)(symbol.Value - section.VirtualAddress);
                long size = (long)symbol.Size;
                if (offset < 0 || offset + size > bytes.Length)
                {
                    continue;
                }

                var (count, saveBytes) = CountSaves(bytes, (int)offset, (int)size, bitness);
                functions.Add(new ObjectFunction(symbol.Name.Value, section.Name.Value ?? string.Empty, offset, size, count, saveBytes));
            }
        }

        return functions.OrderBy(f => f.Section, StringComparer.Ordinal).ThenBy(f => f.Offset).ToList();
    }

    /// <summary>The function whose [offset, offset + size) holds the address, or null.</summary>
    public static ObjectFunction? At(IReadOnlyList<ObjectFunction> functions, string section, long offset) =>
        functions.FirstOrDefault(f => f.Section == section && offset >= f.Offset && offset < f.Offset + f.Size);

    /// <summary>Instructions (and their bytes) that save, restore or spill registers: push/pop reg, mov reg <-> [sp/bp + disp].</summary>
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
