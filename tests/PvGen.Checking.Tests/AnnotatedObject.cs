using System.Globalization;
using System.Text;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Checking.Tests;

/// <summary>One instruction of a hand-written test function.</summary>
/// <param name="Slot">Call (or jump) through this table slot; null for a plain instruction.</param>
/// <param name="Label">A label the records can point at.</param>
internal sealed record Insn(string Label, int? Slot = null, bool Jump = false, string? Text = null);

/// <summary>A .parainstructions record as the kernel writes it: site label, type, length (or "end label"), clobbers (null: the target's CLBR_ANY, 0x1ff or 0xf).</summary>
internal sealed record Record(string Site, int Type, string Length, int? Clobbers = null);

/// <summary>
/// Builds a real object with gcc from hand-written assembly: functions whose sites call through a table
/// symbol, and .parainstructions records in the kernel's format for the target. Tests break one thing at a time.
/// </summary>
internal static class AnnotatedObject
{
    public static string Build(string arch, string symbol, IReadOnlyList<Insn> body, IReadOnlyList<Record> records)
    {
        var asm = new StringBuilder();
        asm.Append("\t.text\n\t.globl probe_function\n\t.type probe_function, @function\nprobe_function:\n");
        foreach (var insn in body)
        {
            asm.Append(CultureInfo.InvariantCulture, $"{insn.Label}:\n");
            if (insn.Slot is int slot)
            {
                string op = insn.Jump ? "jmp" : "call";
                asm.Append(arch == "x86_64"
                    ? $"\t{op} *{symbol}+{slot * 8}(%rip)\n"
                    : $"\t{op} *{symbol}+{slot * 4}\n");
            }
            else
            {
                asm.Append('\t').Append(insn.Text ?? "nop").Append('\n');
            }
        }

        asm.Append("\tret\n\t.size probe_function, .-probe_function\n");
        asm.Append("\t.pushsection .parainstructions,\"a\"\n");
        foreach (var record in records)
        {
            asm.Append(arch == "x86_64" ? $"\t.balign 8\n\t.quad {record.Site}\n" : $"\t.balign 4\n\t.long {record.Site}\n");
            asm.Append(CultureInfo.InvariantCulture, $"\t.byte {record.Type}\n\t.byte {record.Length}\n\t.short {record.Clobbers ?? (arch == "x86_64" ? 0x1ff : 0xf)}\n");
        }

        asm.Append("\t.popsection\n");
        string dir = Repo.TempDir("annotated");
        string source = Path.Combine(dir, "sites.s");
        string output = Path.Combine(dir, "sites.o");
        File.WriteAllText(source, asm.ToString());
        var result = Tool.Run("gcc", [arch == "x86_64" ? "-m64" : "-m32", "-c", "-o", output, source]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return output;
    }
}
