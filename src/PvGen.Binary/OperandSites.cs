using Iced.Intel;
using LibObjectFile.Elf;
using PvGen.X86;

namespace PvGen.Binary;

/// <summary>
/// References to the table in a linked object whose relocations were stripped (since 6.5 a shipped vmlinux has no
/// <c>.rela*</c> sections at all): the table's address range comes from its <c>.symtab</c> symbol and size, and every
/// executable section is decoded from each code symbol to the next (anchored there, as objdump does, so data or padding
/// between functions cannot desync a whole section). An instruction refers to the table when its RIP-relative operand
/// (next IP + displacement), its absolute displacement or an immediate lands inside that range. Each such field becomes a
/// resolved hit that <see cref="SiteDecoder"/> classifies exactly like a relocation, so the sites carry the same fields.
/// </summary>
internal static class OperandSites
{
    /// <summary>One table symbol's addresses, [Start, End), and the offset in the model its first byte has.</summary>
    internal readonly record struct TableRange(ulong Start, ulong End, long Base);

    /// <summary>
    /// The executable sections to decode, each with its references to the tables. A section's bytes are read for its turn
    /// only (not kept by <paramref name="elf"/>): a vmlinux's code is 20 MB, and the caller classifies each section's hits
    /// before the next one is read.
    /// </summary>
    public static IEnumerable<(ElfSection Section, byte[] Code, List<RelocationHit> Hits)> Collect(ElfObject elf, IReadOnlyList<TableRange> tables, List<string> errors)
    {
        int bitness = elf.Bitness;
        foreach (var section in elf.File.Sections)
        {
            if ((section.Flags & ElfSectionFlags.Executable) == 0 || section is not ElfStreamSection || section.Size == 0)
            {
                continue;
            }

            var code = elf.Bytes(section, out string? error, keep: false);
            if (error is not null)
            {
                errors.Add(error);
                continue;
            }

            var hits = new List<RelocationHit>();
            ulong sectionBase = section.VirtualAddress;
            var symbols = elf.CodeSymbols(section);
            for (int i = -1; i < symbols.Count; i++)
            {
                long start = i < 0 ? 0 : symbols[i].Offset;
                long end = i + 1 < symbols.Count ? symbols[i + 1].Offset : code.Length;
                if (end > start)
                {
                    Decode(code, (int)start, (int)(end - start), sectionBase, bitness, tables, hits);
                }
            }

            if (hits.Count > 0)
            {
                yield return (section, code, hits);
            }
        }
    }

    /// <summary>The address range of each table symbol defined in <c>.symtab</c>; empty, with the reason in <paramref name="errors"/>, when none can be told.</summary>
    public static List<TableRange> Tables(ElfFile elf, ScanOptions options, List<string> errors)
    {
        var tables = new List<TableRange>();
        foreach (var symbolTable in elf.Sections.OfType<ElfSymbolTable>().Where(t => t.Type == ElfSectionType.SymbolTable))
        {
            foreach (var symbol in symbolTable.Entries)
            {
                if (symbol.SectionLink.Section is null || symbol.Name.IsEmpty || !options.Symbols.TryGetValue(symbol.Name.Value, out long tableBase))
                {
                    continue;
                }

                ulong size = symbol.Size;
                if (size == 0 && options.Model is { StructSize: > 0 } model && options.GroupSymbols is null)
                {
                    size = (ulong)model.StructSize;
                }

                if (size == 0)
                {
                    errors.Add($"{symbol.Name.Value} has no size in .symtab, so references into it cannot be told from others without relocations (give --model)");
                    continue;
                }

                tables.Add(new TableRange(symbol.Value, symbol.Value + size, tableBase));
            }
        }

        return tables;
    }

    private static void Decode(byte[] code, int start, int length, ulong sectionBase, int bitness, IReadOnlyList<TableRange> tables, List<RelocationHit> hits)
    {
        var reader = new ByteArrayCodeReader(code, start, length);
        var decoder = Decoder.Create(bitness, reader, sectionBase + (ulong)start, DecoderOptions.None);
        while (reader.CanReadByte)
        {
            decoder.Decode(out var instruction);
            if (instruction.IsInvalid)
            {
                continue;
            }

            var constants = decoder.GetConstantOffsets(instruction);
            long ip = (long)(instruction.IP - sectionBase);
            if (constants.HasDisplacement && HasMemoryOperand(instruction))
            {
                ulong address = instruction.IsIPRelativeMemoryOperand ? instruction.IPRelativeMemoryAddress
                    : bitness == 64 ? instruction.MemoryDisplacement64 : instruction.MemoryDisplacement32;
                Add(address, ip + constants.DisplacementOffset, constants.DisplacementSize, tables, hits);
            }

            if (constants.HasImmediate)
            {
                for (int op = 0; op < instruction.OpCount; op++)
                {
                    if (instruction.GetOpKind(op) is OpKind.Immediate32 or OpKind.Immediate32to64 or OpKind.Immediate64)
                    {
                        ulong value = instruction.GetImmediate(op);
                        Add(bitness == 64 ? value : (uint)value, ip + constants.ImmediateOffset, constants.ImmediateSize, tables, hits);
                    }
                }
            }
        }
    }

    private static bool HasMemoryOperand(in Instruction instruction)
    {
        for (int op = 0; op < instruction.OpCount; op++)
        {
            if (instruction.GetOpKind(op) == OpKind.Memory)
            {
                return true;
            }
        }

        return false;
    }

    private static void Add(ulong address, long fieldOffset, int fieldSize, IReadOnlyList<TableRange> tables, List<RelocationHit> hits)
    {
        foreach (var table in tables)
        {
            if (address >= table.Start && address < table.End)
            {
                long offset = (long)(address - table.Start);
                hits.Add(new RelocationHit(fieldOffset, RelocationInfo.ResolvedField(fieldSize), offset, table.Base));
                return;
            }
        }
    }
}
