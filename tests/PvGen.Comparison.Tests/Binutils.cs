using System.Globalization;
using System.Text.RegularExpressions;
using PvGen.TestSupport;

namespace PvGen.Comparison.Tests;

/// <summary>One instruction as objdump prints it, with the relocation (if any) that lies inside it.</summary>
public sealed record DumpedInstruction(string Function, long FunctionStart, long Address, int Length, string Mnemonic, string Operands, string? RelocType, string? RelocTarget);

/// <summary>The independent oracle: counts taken from binutils' text output (readelf -rW / -sW, objdump -dr -w / -s), not from PvGen's readers.</summary>
public static partial class Binutils
{
    public static IReadOnlyList<DumpedInstruction> Disassemble(string path)
    {
        var run = Tool.Run("objdump", ["-dr", "-w", path]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var instructions = new List<DumpedInstruction>();
        string function = "";
        long functionStart = 0;
        foreach (string line in run.Stdout.Split('\n'))
        {
            if (FunctionLine().Match(line) is { Success: true } f)
            {
                function = f.Groups[2].Value;
                functionStart = long.Parse(f.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                continue;
            }

            if (RelocLine().Match(line) is { Success: true } r)
            {
                Attach(instructions, long.Parse(r.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), r.Groups[2].Value, r.Groups[3].Value);
                continue;
            }

            if (InstructionLine().Match(line) is { Success: true } m)
            {
                string[] bytes = m.Groups[2].Value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                string text = m.Groups[3].Value;
                string? relocType = null, relocTarget = null;
                long relocAt = -1;
                if (InlineReloc().Match(text) is { Success: true } ir)
                {
                    relocAt = long.Parse(ir.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    relocType = ir.Groups[2].Value;
                    relocTarget = ir.Groups[3].Value;
                    text = text[..ir.Index];
                }

                text = text.Split('#')[0].Trim();
                int space = text.IndexOf(' ', StringComparison.Ordinal);
                string mnemonic = space < 0 ? text : text[..space];
                string operands = space < 0 ? "" : text[space..].Trim();
                long address = long.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (bytes.Length == 0)
                {
                    continue;
                }

                if (mnemonic.Length == 0 && instructions.Count > 0)
                {
                    // A continuation line of a long instruction (without -w); objdump -w does not print these.
                    continue;
                }

                instructions.Add(new DumpedInstruction(function, functionStart, address, bytes.Length, mnemonic, operands, null, null));
                if (relocType is not null)
                {
                    Attach(instructions, relocAt, relocType, relocTarget!);
                }
            }
        }

        return instructions;
    }

    private static void Attach(List<DumpedInstruction> instructions, long at, string type, string target)
    {
        int i = instructions.FindLastIndex(x => x.Address <= at && at < x.Address + x.Length);
        Assert.True(i >= 0, $"relocation at 0x{at:x} inside no instruction");
        instructions[i] = instructions[i] with { RelocType = type, RelocTarget = target };
    }

    /// <summary>FUNC symbols and their sizes (readelf -sW).</summary>
    public static IReadOnlyDictionary<string, long> FunctionSizes(string path)
    {
        var run = Tool.Run("readelf", ["-sW", path]);
        var sizes = new Dictionary<string, long>();
        foreach (string line in run.Stdout.Split('\n'))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 8 && f[3] == "FUNC" && f[6] != "UND")
            {
                sizes[f[7]] = f[2].StartsWith("0x", StringComparison.Ordinal) ? Convert.ToInt64(f[2], 16) : long.Parse(f[2], CultureInfo.InvariantCulture);
            }
        }

        return sizes;
    }

    /// <summary>Relocation entries per relocation section (readelf -rW): section name to (type, symbol+addend) rows.</summary>
    public static IReadOnlyDictionary<string, List<(string Type, string Target)>> Relocations(string path)
    {
        var run = Tool.Run("readelf", ["-rW", path]);
        var sections = new Dictionary<string, List<(string, string)>>();
        List<(string, string)>? current = null;
        foreach (string line in run.Stdout.Split('\n'))
        {
            if (RelocSection().Match(line) is { Success: true } s)
            {
                current = sections[s.Groups[1].Value] = [];
                continue;
            }

            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (current is not null && f.Length >= 5 && f[2].StartsWith("R_", StringComparison.Ordinal))
            {
                current.Add((f[2], string.Join(' ', f[4..])));
            }
            else if (current is not null && f.Length == 4 && f[2].StartsWith("R_", StringComparison.Ordinal))
            {
                current.Add((f[2], f[3]));
            }
        }

        return sections;
    }

    /// <summary>The annotated lengths of the x86-64 .parainstructions records (16-byte records, length at byte 9), from objdump -s.</summary>
    public static IReadOnlyList<int> ParaInstructionLengths(string path)
    {
        var run = Tool.Run("objdump", ["-s", "-j", ".parainstructions", path]);
        var bytes = new List<byte>();
        foreach (string line in run.Stdout.Split('\n'))
        {
            if (HexDumpLine().Match(line) is { Success: true } m)
            {
                foreach (string word in m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    for (int i = 0; i + 1 < word.Length; i += 2)
                    {
                        bytes.Add(byte.Parse(word.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    }
                }
            }
        }

        return [.. Enumerable.Range(0, bytes.Count / 16).Select(r => (int)bytes[r * 16 + 9])];
    }

    /// <summary>push/pop of a register, mov between a register and an rsp/rbp/esp/ebp-based slot.</summary>
    public static bool IsSave(DumpedInstruction i)
    {
        bool register(string operand) => operand.StartsWith('%');
        bool stack(string operand) => StackSlot().IsMatch(operand);
        if (i.Mnemonic is "push" or "pop")
        {
            return register(i.Operands);
        }

        if (i.Mnemonic != "mov")
        {
            return false;
        }

        string[] ops = SplitOperands(i.Operands);
        return ops.Length == 2 && ((register(ops[0]) && stack(ops[1])) || (stack(ops[0]) && register(ops[1])));
    }

    private static string[] SplitOperands(string operands)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < operands.Length; i++)
        {
            depth += operands[i] == '(' ? 1 : operands[i] == ')' ? -1 : 0;
            if (operands[i] == ',' && depth == 0)
            {
                parts.Add(operands[start..i]);
                start = i + 1;
            }
        }

        parts.Add(operands[start..]);
        return [.. parts.Select(p => p.Trim())];
    }

    public static string Kind(DumpedInstruction i) => i.Mnemonic switch
    {
        "call" => "call",
        "jmp" => "jmp",
        "mov" => "load",
        "lea" or "push" => "address",
        _ => "other",
    };

    [GeneratedRegex(@"^([0-9a-f]+) <([^>]+)>:$")]
    private static partial Regex FunctionLine();

    [GeneratedRegex(@"^\s+([0-9a-f]+):\s+(R_\S+)\s+(\S+)\s*$")]
    private static partial Regex RelocLine();

    [GeneratedRegex(@"^\s+([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$")]
    private static partial Regex InstructionLine();

    [GeneratedRegex(@"\t([0-9a-f]+): (R_\S+)\t(\S+)\s*$")]
    private static partial Regex InlineReloc();

    [GeneratedRegex(@"^Relocation section '([^']+)'")]
    private static partial Regex RelocSection();

    [GeneratedRegex(@"^ [0-9a-f]{4,} ((?:[0-9a-f]{2,8} ){1,4})")]
    private static partial Regex HexDumpLine();

    [GeneratedRegex(@"\(%(r|e)(sp|bp)\)$")]
    private static partial Regex StackSlot();
}
