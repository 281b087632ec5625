using System.Globalization;
using System.Text;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Binary.Tests;

/// <summary>
/// Data-driven classification vectors, as Iced tests its decoder: one instruction's bytes, the relocation on one of its
/// fields, and what the scanner must make of it (kind, length, table offset, how the operand reaches the table). The
/// expected values are the ISA's; objdump decodes the same bytes and must agree on length and mnemonic.
/// </summary>
public sealed class DecodeVectorTests
{
    /// <param name="Field">Offset of the relocated field inside the instruction.</param>
    /// <param name="Addend">The relocation's addend (for PC-relative types: table offset minus the distance to the next instruction).</param>
    /// <param name="Target">The table offset the scanner must report.</param>
    public sealed record Vector(string Name, int Bitness, string Hex, int Field, string Reloc, long Addend, SiteKind Kind, long Target, MemoryForm Form, string Mnemonic)
    {
        public override string ToString() => Name;
    }

    public static readonly Vector[] Vectors =
    [
        new("call *off(%rip)", 64, "ff 15 00 00 00 00", 2, "R_X86_64_PC32", 0x10 - 4, SiteKind.Call, 0x10, MemoryForm.RipRelative, "call"),
        new("jmp *off(%rip) (tail call)", 64, "ff 25 00 00 00 00", 2, "R_X86_64_PC32", 0x18 - 4, SiteKind.Jmp, 0x18, MemoryForm.RipRelative, "jmp"),
        new("call *abs32 (before 5.18)", 64, "ff 14 25 00 00 00 00", 3, "R_X86_64_32S", 0x20, SiteKind.Call, 0x20, MemoryForm.Absolute, "call"),
        new("call *disp32(%r12)", 64, "41 ff 94 24 00 00 00 00", 4, "R_X86_64_32S", 0x28, SiteKind.Call, 0x28, MemoryForm.Register, "call"),
        new("mov off(%rip),%rax (pointer loaded)", 64, "48 8b 05 00 00 00 00", 3, "R_X86_64_PC32", 0x30 - 4, SiteKind.Load, 0x30, MemoryForm.RipRelative, "mov"),
        new("lea off(%rip),%rdi (address taken)", 64, "48 8d 3d 00 00 00 00", 3, "R_X86_64_PC32", 0x38 - 4, SiteKind.Address, 0x38, MemoryForm.RipRelative, "lea"),
        new("movq $imm,off(%rip) (init-time store)", 64, "48 c7 05 00 00 00 00 78 56 34 12", 3, "R_X86_64_PC32", 0x40 - 8, SiteKind.Other, 0x40, MemoryForm.RipRelative, "movq"),
        new("cmpq $imm,off(%rip)", 64, "48 81 3d 00 00 00 00 00 01 00 00", 3, "R_X86_64_PC32", 0x48 - 8, SiteKind.Other, 0x48, MemoryForm.RipRelative, "cmpq"),
        new("mov $pv_ops,%rax (address as immediate)", 64, "48 c7 c0 00 00 00 00", 3, "R_X86_64_32S", 0x50, SiteKind.Address, 0x50, MemoryForm.None, "mov"),
        // The GOT entry holds &pv_ops: the mov reads the table's address, not a slot (nothing here dereferences %rax).
        new("mov pv_ops@GOTPCREL(%rip),%rax (table address from the GOT)", 64, "48 8b 05 00 00 00 00", 3, "R_X86_64_REX_GOTPCRELX", -4, SiteKind.Address, 0, MemoryForm.RipRelative, "mov"),
        new("relocation inside the opcode (data in code)", 64, "ff 15 00 00 00 00", 1, "R_X86_64_8", 0, SiteKind.Other, 0, MemoryForm.None, "call"),
        new("i386 call *abs32", 32, "ff 15 00 00 00 00", 2, "R_386_32", 0x14, SiteKind.Call, 0x14, MemoryForm.Absolute, "call"),
        new("i386 jmp *abs32", 32, "ff 25 00 00 00 00", 2, "R_386_32", 0x1c, SiteKind.Jmp, 0x1c, MemoryForm.Absolute, "jmp"),
        new("i386 mov moffs,%eax", 32, "a1 00 00 00 00", 1, "R_386_32", 0x24, SiteKind.Load, 0x24, MemoryForm.Absolute, "mov"),
        new("i386 mov off@GOTOFF(%ebx),%eax", 32, "8b 83 00 00 00 00", 2, "R_386_GOTOFF", 0x2c, SiteKind.Load, 0x2c, MemoryForm.Register, "mov"),
        new("i386 lea off@GOTOFF(%ebx),%eax", 32, "8d 83 00 00 00 00", 2, "R_386_GOTOFF", 0x30, SiteKind.Address, 0x30, MemoryForm.Register, "lea"),
        new("i386 push $pv_ops", 32, "68 00 00 00 00", 1, "R_386_32", 0x34, SiteKind.Address, 0x34, MemoryForm.None, "push"),
        new("i386 movl $imm,abs32 (init-time store)", 32, "c7 05 00 00 00 00 78 56 34 12", 2, "R_386_32", 0x38, SiteKind.Other, 0x38, MemoryForm.Absolute, "movl"),
    ];

    public static IEnumerable<object[]> Bitnesses() => [[64], [32]];

    /// <summary>All vectors of a bitness in one object, each in its own function, scanned once.</summary>
    [Theory]
    [MemberData(nameof(Bitnesses))]
    public void Every_vector_is_classified_as_the_ISA_says_and_objdump_agrees(int bitness)
    {
        var vectors = Vectors.Where(v => v.Bitness == bitness).ToList();
        var source = new StringBuilder(".text\n");
        for (int i = 0; i < vectors.Count; i++)
        {
            var v = vectors[i];
            string sign = v.Addend < 0 ? "-" : "+";
            source.Append(CultureInfo.InvariantCulture, $".globl vector{i}\n.type vector{i},@function\nvector{i}:\n");
            source.Append(CultureInfo.InvariantCulture, $"  .reloc .+{v.Field}, {v.Reloc}, pv_ops{sign}{Math.Abs(v.Addend)}\n");
            source.Append("  .byte ").Append(string.Join(", ", v.Hex.Split(' ').Select(b => "0x" + b))).Append('\n');
            source.Append(CultureInfo.InvariantCulture, $".size vector{i}, .-vector{i}\n");
        }

        string obj = Build.Compile($"vectors{bitness}.s", source.ToString(), ["-c", bitness == 64 ? "-m64" : "-m32"]);
        var scanned = Build.ScanOne(obj);
        var dump = Tool.Run("objdump", ["-d", "-w", obj]).Stdout.Split('\n');
        for (int i = 0; i < vectors.Count; i++)
        {
            var v = vectors[i];
            var site = Assert.Single(scanned.Sites, s => s.FunctionSymbol == $"vector{i}");
            Assert.True((v.Kind, v.Target, v.Form) == (site.Kind, site.TargetOffset, site.MemoryForm), $"{v.Name}: expected {v.Kind} at {v.Target:x} via {v.Form}, got {site.Kind} at {site.TargetOffset:x} via {site.MemoryForm}");
            if (v.Kind != SiteKind.Other || v.Form != MemoryForm.None)
            {
                int length = v.Hex.Split(' ').Length;
                Assert.Equal(length, site.Length);

                // objdump's line for the instruction at the function's start: "  off:\tbytes \tmnemonic operands".
                string line = dump.SkipWhile(l => !l.EndsWith($"<vector{i}>:", StringComparison.Ordinal)).Skip(1).First();
                var fields = line.Split('\t');
                Assert.Equal(length, fields[1].Trim().Split(' ').Length);
                Assert.StartsWith(v.Mnemonic, fields[2].Trim(), StringComparison.Ordinal);
            }
        }
    }
}
