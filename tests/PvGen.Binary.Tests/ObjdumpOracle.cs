using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using PvGen.TestSupport;

namespace PvGen.Binary.Tests;

/// <summary>One reference as objdump sees it: the comparison key of the oracle tests.</summary>
public sealed record OracleSite(string Section, long Offset, int Length, string Kind, long TargetOffset);

/// <summary>
/// An independent oracle: finds the table references from <c>objdump -dr -w</c> text (binutils' decoder and relocation
/// printer, not Iced or LibObjectFile) and classifies them from the mnemonic and operand text.
/// </summary>
public static partial class ObjdumpOracle
{
    [GeneratedRegex(@"^Disassembly of section (\S+):$")]
    private static partial Regex SectionLine();

    [GeneratedRegex(@"^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*\t(.*)$")]
    private static partial Regex InstructionLine();

    [GeneratedRegex(@"([0-9a-f]+): (R_[A-Z0-9_]+)\t([^\t]+)")]
    private static partial Regex RelocationNote();

    /// <param name="linkedSymbolValue">
    /// For a linked REL file (i386 with --emit-relocs) the symbol's address from <c>nm</c>: the field then holds S + A
    /// (absolute) or S + A - P (PC-relative), and the addend is what remains after taking S (and P) back out.
    /// </param>
    public static List<OracleSite> Sites(string objectPath, string symbol = "pv_ops", long linkedSymbolValue = 0)
    {
        var run = Tool.Run("objdump", ["-dr", "-w", objectPath]);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"objdump failed on {objectPath}: {run.Stderr}");
        }

        return Parse(run.Stdout, symbol, linkedSymbolValue);
    }

    public static List<OracleSite> Parse(string text, string symbol, long linkedSymbolValue = 0)
    {
        var sites = new List<OracleSite>();
        string section = string.Empty;
        long address = 0;
        byte[] bytes = [];
        string asm = string.Empty;
        foreach (string line in text.Split('\n'))
        {
            if (SectionLine().Match(line) is { Success: true } s)
            {
                section = s.Groups[1].Value;
                bytes = [];
                continue;
            }

            var m = InstructionLine().Match(line);
            string rest;
            if (m.Success)
            {
                address = long.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                bytes = Convert.FromHexString(m.Groups[2].Value.Replace(" ", string.Empty, StringComparison.Ordinal));
                rest = m.Groups[3].Value;
                int firstNote = rest.IndexOf('\t', StringComparison.Ordinal);
                asm = firstNote >= 0 ? rest[..firstNote] : rest;
            }
            else if (bytes.Length > 0 && line.StartsWith('\t'))
            {
                // objdump -w prints a second relocation of the same instruction on a line of its own.
                rest = line;
            }
            else
            {
                continue;
            }

            foreach (Match note in RelocationNote().Matches(rest))
            {
                string target = note.Groups[3].Value.Trim();
                var (name, addend) = SplitAddend(target);
                if (name != symbol)
                {
                    continue;
                }

                long relocAt = long.Parse(note.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                string type = note.Groups[2].Value;
                if (type.EndsWith("_NONE", StringComparison.Ordinal))
                {
                    // R_*_NONE patches nothing: a marker-style marker, not a reference the code makes.
                    continue;
                }

                int position = (int)(relocAt - address);
                bool rel = type.StartsWith("R_386_", StringComparison.Ordinal);
                if (rel && position + 4 <= bytes.Length)
                {
                    // REL: objdump prints no addend; it is the 4 bytes in the instruction (in a linked file, less what the linker added).
                    addend = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position));
                    if (linkedSymbolValue != 0)
                    {
                        bool pcRelative = type.Contains("PC", StringComparison.Ordinal) || type.Contains("PLT", StringComparison.Ordinal);
                        addend = (int)(addend - linkedSymbolValue + (pcRelative ? relocAt : 0));
                    }
                }

                long targetOffset = type switch
                {
                    _ when type.Contains("GOT", StringComparison.Ordinal) && type != "R_386_GOTOFF" => 0,
                    _ when type.Contains("PC", StringComparison.Ordinal) || type.Contains("PLT", StringComparison.Ordinal) => addend + (address + bytes.Length - relocAt),
                    _ => addend,
                };
                sites.Add(new OracleSite(section, address, bytes.Length, Classify(asm, position, FieldSize(type), bytes.Length), targetOffset));
            }
        }

        return sites;
    }

    private static int FieldSize(string type) => type switch
    {
        "R_X86_64_64" or "R_X86_64_PC64" or "R_X86_64_GOTOFF64" => 8,
        "R_X86_64_16" or "R_386_16" => 2,
        _ => 4,
    };

    /// <summary>From the AT&amp;T text: which instruction, and whether the relocation is the trailing immediate.</summary>
    private static string Classify(string asm, int position, int fieldSize, int length)
    {
        string[] parts = asm.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int skip = 0;
        while (skip < parts.Length - 1 && parts[skip] is "notrack" or "cs" or "ds" or "lock" or "bnd" or "data16")
        {
            parts = parts[1].Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        string mnemonic = parts[0];
        string operands = parts.Length > 1 ? parts[1] : string.Empty;
        int comment = operands.IndexOf('#', StringComparison.Ordinal);
        if (comment >= 0)
        {
            operands = operands[..comment].Trim();
        }

        bool immediate = operands.StartsWith('$') && position + fieldSize == length;
        if (immediate)
        {
            return "address";
        }

        if (mnemonic is "call" or "callq" or "calll" && operands.StartsWith('*'))
        {
            return "call";
        }

        if (mnemonic is "jmp" or "jmpq" or "jmpl" && operands.StartsWith('*'))
        {
            return "jmp";
        }

        if (mnemonic is "lea" or "leaq" or "leal")
        {
            return "address";
        }

        if (mnemonic is "mov" or "movq" or "movl" && !operands.StartsWith('$') && LastOperand(operands).StartsWith('%'))
        {
            return "load";
        }

        return "other";
    }

    private static string LastOperand(string operands)
    {
        int depth = 0, cut = -1;
        for (int i = 0; i < operands.Length; i++)
        {
            depth += operands[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (operands[i] == ',' && depth == 0)
            {
                cut = i;
            }
        }

        return cut < 0 ? operands : operands[(cut + 1)..];
    }

    private static (string Name, long Addend) SplitAddend(string target)
    {
        int sign = target.LastIndexOfAny(['+', '-']);
        if (sign <= 0 || !target[(sign + 1)..].StartsWith("0x", StringComparison.Ordinal))
        {
            return (target, 0);
        }

        long value = long.Parse(target[(sign + 3)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (target[..sign], target[sign] == '-' ? -value : value);
    }
}
