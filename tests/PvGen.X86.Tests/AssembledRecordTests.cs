using System.Globalization;
using System.Text.RegularExpressions;
using PvGen.TestSupport;
using PvGen.X86.Records;
using Xunit;

namespace PvGen.X86.Tests;

/// <summary>
/// Records written with the kernel's own assembler directives, assembled by gcc, and read back through binutils
/// (<c>objcopy -O binary</c> for the section's bytes, <c>readelf -rW</c> for its relocations): detection, decoding and
/// encoding must agree with what the assembler produced.
/// </summary>
public sealed partial class AssembledRecordTests
{
    private const string Code = """
            .text
        f:
        771: call *pv_ops+16(%rip)
        772: call *pv_ops+24(%rip)
        773: nop
        774: ret
            .section .altinstr_replacement, "ax"
        781: call BUG_func
        782: pushf; pop %rax
        783:

        """;

    private const string Code32 = """
            .text
        f:
        771: call *pv_ops+8
        772: call *pv_ops+12
        773: nop
        774: ret
            .section .altinstr_replacement, "ax"
        781: call BUG_func
        782: pushf; pop %eax
        783:

        """;

    public static TheoryData<string, string, string, string> Sources => new()
    {
        // The 6.8+ pv site (ALTERNATIVE_2 of PARAVIRT_CALL, ALT_CALL_INSTR under ALT_CALL_ALWAYS, native under ALT_NOT_XEN).
        { "alt14", "x86_64", """
            .pushsection .altinstructions, "a"
            .long 771b - .
            .long 781b - .
            .4byte 0x00020075
            .byte 772b-771b
            .byte 782b-781b
            .long 771b - .
            .long 782b - .
            .4byte 0x00010110
            .byte 772b-771b
            .byte 783b-782b
            .popsection
            """, "site .text+0x0 repl .altinstr_replacement+0x0 feature 3*32+21 flags DirectCall instrlen 6 replacementlen 5|site .text+0x0 repl .altinstr_replacement+0x5 feature 8*32+16 flags Not instrlen 6 replacementlen 2" },
        { "alt14", "i386", """
            .pushsection .altinstructions, "a"
            .long 771b - .
            .long 781b - .
            .4byte 0x00020075
            .byte 772b-771b
            .byte 782b-781b
            .long 772b - .
            .long 782b - .
            .4byte 0x00010110
            .byte 773b-772b
            .byte 783b-782b
            .popsection
            """, "site .text+0x0 repl .altinstr_replacement+0x0 feature 3*32+21 flags DirectCall instrlen 6 replacementlen 5|site .text+0x6 repl .altinstr_replacement+0x5 feature 8*32+16 flags Not instrlen 6 replacementlen 2" },
        { "alt12", "x86_64", """
            .pushsection .altinstructions, "a"
            .long 772b - .
            .long 782b - .
            .word 0x8110
            .byte 773b-772b
            .byte 783b-782b
            .long 773b - .
            .long 781b - .
            .word 0x75
            .byte 774b-773b
            .byte 0
            .popsection
            """, "site .text+0x6 repl .altinstr_replacement+0x5 feature 8*32+16 flags Not instrlen 6 replacementlen 2|site .text+0xc repl .altinstr_replacement+0x0 feature 3*32+21 flags None instrlen 1 replacementlen 0" },
        { "alt13", "x86_64", """
            .pushsection .altinstructions, "a"
            .long 771b - .
            .long 781b - .
            .word 0x75
            .byte 772b-771b
            .byte 782b-781b
            .byte 1
            .popsection
            """, "site .text+0x0 repl .altinstr_replacement+0x0 feature 3*32+21 flags None instrlen 6 replacementlen 5 padlen 1" },
        { "para16", "x86_64", """
            .pushsection .parainstructions, "a"
            .balign 8
            .quad 771b
            .byte 2
            .byte 772b-771b
            .short 0x1ff
            .balign 8
            .quad 772b
            .byte 3
            .byte 773b-772b
            .short 0x1
            .balign 8
            .popsection
            """, "site .text+0x0 type 2 len 6 clobbers 0x1ff|site .text+0x6 type 3 len 6 clobbers 0x1" },
        { "para8", "i386", """
            .pushsection .parainstructions, "a"
            .balign 4
            .long 771b
            .byte 2
            .byte 772b-771b
            .short 0xf
            .balign 4
            .long 772b
            .byte 3
            .byte 773b-772b
            .short 0x5
            .popsection
            """, "site .text+0x0 type 2 len 6 clobbers 0xf|site .text+0x6 type 3 len 6 clobbers 0x5" },
        { "para6", "x86_64", """
            .pushsection .parainstructions, "a"
            .long 771b - .
            .byte 2
            .byte 772b-771b
            .long 772b - .
            .byte 3
            .byte 773b-772b
            .popsection
            """, "site .text+0x0 type 2 len 6 clobbers none|site .text+0x6 type 3 len 6 clobbers none" },
    };

    [Theory]
    [MemberData(nameof(Sources))]
    public void GasRecordsAreDetectedDecodedAndReEncoded(string name, string arch, string records, string expected)
    {
        var format = RecordFormats.Find(name)!;
        string obj = Assemble($"{name}-{arch}", (arch == "x86_64" ? Code : Code32) + records + "\n", arch);
        byte[] bytes = SectionBytes(obj, format.Section);
        var relocations = Relocations(obj, format.Section);
        bool rel = arch == "i386";

        var detected = RecordFormats.Detect(format.Section, [.. relocations.Select(r => (r.Offset, RelocationKind(r.Type, arch)))], bytes.Length, arch == "x86_64" ? 8 : 4, out string? error);
        Assert.True(detected == format, error);

        var decoded = new List<string>();
        int perRecord = format.RelocatedFields.Count;
        for (int i = 0; i < relocations.Count / perRecord; i++)
        {
            long at = (long)i * format.Stride;
            var mine = relocations.Skip(i * perRecord).Take(perRecord).ToList();
            var targets = mine.Select((r, j) => new CodeLocation(r.Symbol,
                rel ? ReadField(bytes, (int)r.Offset, format.RelocatedFields[j].Size) : r.Addend)).ToList();
            var record = format.Decode(bytes.AsSpan((int)at, (int)Math.Min(format.Stride, bytes.Length - at)), targets);
            decoded.Add(RecordTableTests.Describe(record));

            // Encoding the decoded record gives the assembler's bytes and asks for the assembler's relocations.
            var encoded = format.Encode(record, implicitAddends: rel);
            int length = (int)Math.Min(format.Stride, bytes.Length - at);
            Assert.Equal(bytes.AsSpan((int)at, length).ToArray(), encoded.Bytes[..length]);
            Assert.Equal(
                mine.Select(r => (r.Offset - at, r.Type, r.Symbol, rel ? 0 : r.Addend)),
                encoded.Fixups.Select(f => ((long)f.FieldOffset, TypeName(RelocationInfo.TypeFor(f.Relocation, !rel), arch), f.Target.Section, rel ? 0 : f.Target.Offset)));
        }

        Assert.Equal(expected.Split('|'), decoded);
    }

    private static FieldRelocation? RelocationKind(string type, string arch)
    {
        uint number = Enumerable.Range(0, 64).Select(n => (uint)n).FirstOrDefault(n => TypeName(n, arch) == type, 255u);
        return RelocationInfo.Of(arch == "x86_64", number).AsField;
    }

    private static string TypeName(uint type, string arch) => RelocationInfo.Of(arch == "x86_64", type).Name;

    private static long ReadField(byte[] bytes, int offset, int size) => size == 8 ? BitConverter.ToInt64(bytes, offset) : BitConverter.ToInt32(bytes, offset);

    internal static string Assemble(string label, string source, string arch)
    {
        string dir = Repo.TempDir("x86-" + label);
        string path = Path.Combine(dir, "records.s");
        string obj = Path.Combine(dir, "records.o");
        File.WriteAllText(path, source);
        var result = Tool.Run("gcc", [arch == "x86_64" ? "-m64" : "-m32", "-c", "-o", obj, path]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return obj;
    }

    internal static byte[] SectionBytes(string obj, string section)
    {
        string bin = obj + section.Replace('.', '_') + ".bin";
        var result = Tool.Run("objcopy", ["-O", "binary", "--only-section=" + section, obj, bin]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return File.ReadAllBytes(bin);
    }

    internal sealed record ReadelfRelocation(long Offset, string Type, string Symbol, long Addend);

    /// <summary>The relocations readelf prints for a section, sorted by offset (RELA addends parsed; REL has none).</summary>
    internal static List<ReadelfRelocation> Relocations(string obj, string section)
    {
        var result = Tool.Run("readelf", ["-rW", obj]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var found = new List<ReadelfRelocation>();
        bool inside = false;
        foreach (string line in result.Stdout.Split('\n'))
        {
            if (line.StartsWith("Relocation section", StringComparison.Ordinal))
            {
                inside = line.Contains($"'.rela{section}'", StringComparison.Ordinal) || line.Contains($"'.rel{section}'", StringComparison.Ordinal);
                continue;
            }

            var m = RelocationLine().Match(line);
            if (inside && m.Success)
            {
                long addend = m.Groups["addend"].Success ? long.Parse(m.Groups["addend"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) : 0;
                found.Add(new ReadelfRelocation(long.Parse(m.Groups["offset"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), m.Groups["type"].Value,
                    m.Groups["symbol"].Value, m.Groups["sign"].Value == "-" ? -addend : addend));
            }
        }

        return [.. found.OrderBy(r => r.Offset)];
    }

    [GeneratedRegex(@"^(?<offset>[0-9a-f]+)\s+[0-9a-f]+\s+(?<type>R_\S+)\s+[0-9a-f]+\s+(?<symbol>\S+)(\s*(?<sign>[+-])\s*(?<addend>[0-9a-f]+))?\s*$")]
    private static partial Regex RelocationLine();
}
