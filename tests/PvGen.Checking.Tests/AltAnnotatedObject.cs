using System.Globalization;
using System.Text;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Checking.Tests;

/// <summary>
/// An .altinstructions entry as the kernel's ALTINSTR_ENTRY writes it (alt14: .long site - .; .long repl - .;
/// .4byte ft_flags; .byte instrlen; .byte replacementlen), with its replacement assembled into .altinstr_replacement.
/// </summary>
/// <param name="Site">The label of the original instruction.</param>
/// <param name="InstrLength">An expression for instrlen, e.g. "e0-s0" or "7".</param>
/// <param name="Replacement">Assembler text of the replacement, e.g. "call BUG_func" or ".byte 0x9c, 0x58".</param>
internal sealed record AltEntryAsm(string Site, int FtFlags, string InstrLength, string Replacement);

/// <summary>Builds a real object with gcc from hand-written assembly: pv call sites and .altinstructions entries for them.</summary>
internal static class AltAnnotatedObject
{
    public const int CallAlways = 0x00020075;
    public const int NotXen = 0x00010110;

    public static string Build(string arch, string symbol, IReadOnlyList<Insn> body, IReadOnlyList<AltEntryAsm> entries, string function = "probe_function")
    {
        var asm = new StringBuilder();
        asm.Append(CultureInfo.InvariantCulture, $"\t.text\n\t.globl {function}\n\t.type {function}, @function\n{function}:\n");
        foreach (var insn in body)
        {
            asm.Append(CultureInfo.InvariantCulture, $"{insn.Label}:\n");
            if (insn.Slot is int slot)
            {
                string op = insn.Jump ? "jmp" : "call";
                asm.Append(arch == "x86_64" ? $"\t{op} *{symbol}+{slot * 8}(%rip)\n" : $"\t{op} *{symbol}+{slot * 4}\n");
            }
            else
            {
                asm.Append('\t').Append(insn.Text ?? "nop").Append('\n');
            }
        }

        asm.Append(CultureInfo.InvariantCulture, $"\tret\n\t.size {function}, .-{function}\n");
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            asm.Append(CultureInfo.InvariantCulture, $"\t.pushsection .altinstructions,\"a\"\n\t.long {e.Site} - .\n\t.long 880{i}f - .\n\t.4byte 0x{e.FtFlags:x}\n\t.byte {e.InstrLength}\n\t.byte 881{i}f - 880{i}f\n\t.popsection\n");
            asm.Append(CultureInfo.InvariantCulture, $"\t.pushsection .altinstr_replacement,\"ax\"\n880{i}:\n\t{e.Replacement}\n881{i}:\n\t.popsection\n");
        }

        string dir = Repo.TempDir("alt-annotated");
        string source = Path.Combine(dir, "sites.s");
        string output = Path.Combine(dir, "sites.o");
        File.WriteAllText(source, asm.ToString());
        var result = Tool.Run("gcc", [arch == "x86_64" ? "-m64" : "-m32", "-c", "-o", output, source]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return output;
    }
}
