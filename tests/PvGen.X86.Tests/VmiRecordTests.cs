using PvGen.TestSupport;
using PvGen.X86.Records;
using Xunit;

namespace PvGen.X86.Tests;

/// <summary>
/// vmi24 records written with the directives generate puts in the template model (<see cref="VmiRecordFormat.AssemblerValues"/>),
/// assembled by gcc and read back through binutils (<c>objcopy -O binary</c>, <c>readelf -rW</c>): the layout, the encoder
/// and the decoder must agree with what the assembler produced.
/// </summary>
public sealed class VmiRecordTests
{
    [Theory]
    [InlineData("x86_64", "ff 15 00 00 00 00", "mov %rdi, %rdi\n mov %rsi, %rsi\n mov %rax, %rax", "R_X86_64_PC32")]
    [InlineData("i386", "ff 15 00 00 00 00", "mov %eax, %eax\n mov %edx, %edx\n mov %eax, %eax", "R_386_PC32")]
    public void Assembled_record_matches_the_encoder_and_decodes_back(string target, string site, string witnesses, string relocation)
    {
        int wordSize = target == "x86_64" ? 8 : 4;
        int[] inputs = wordSize == 8 ? [7, 6] : [0, 2];
        int[] outputs = [0];
        int clobbers = 0x0fc7;
        var lines = VmiRecordFormat.AssemblerValues(300, 0, inputs, outputs, clobbers).Select(v => $"{VmiRecordFormat.Directive(v.Field).Directive} {v.Value}");
        string source = $"""
                .text
                nop
            771: .byte {string.Join(", ", site.Split(' ').Select(b => "0x" + b))}
            772:
                .pushsection {VmiRecordFormat.BindSection}, "a"
                nop
            773: {witnesses}
                {VmiRecordFormat.WitnessEnd}
                .popsection
                .pushsection {VmiRecordFormat.Section}, "a"
                .balign {VmiRecordFormat.Alignment}
                {string.Join("\n    ", lines)}
                .popsection

            """;
        string dir = Repo.TempDir($"vmi24-{target}");
        string asm = Path.Combine(dir, "record.s"), obj = Path.Combine(dir, "record.o"), raw = Path.Combine(dir, "record.bin");
        File.WriteAllText(asm, source);
        var assembled = Tool.Run("gcc", [.. Tool.TargetFlags(target), "-c", asm, "-o", obj]);
        Assert.True(assembled.ExitCode == 0, assembled.ToString());
        var copied = Tool.Run("objcopy", ["-O", "binary", "--only-section", VmiRecordFormat.Section, obj, raw]);
        Assert.True(copied.ExitCode == 0, copied.ToString());
        byte[] bytes = File.ReadAllBytes(raw);
        Assert.Equal(VmiRecordFormat.Stride, bytes.Length);

        // readelf: exactly the two PC-relative fields are relocated, site against .text+1 and bind against the witnesses.
        var relocations = Tool.Run("readelf", ["-rW", obj]).Stdout.Split('\n')
            .SkipWhile(l => !l.Contains($"'.rel{(wordSize == 8 ? "a" : string.Empty)}{VmiRecordFormat.Section}'", StringComparison.Ordinal)).Skip(2)
            .TakeWhile(l => l.Trim().Length > 0).ToList();
        Assert.Equal(2, relocations.Count);
        Assert.All(relocations, r => Assert.Contains(relocation, r, StringComparison.Ordinal));
        Assert.Equal(["0", "4"], relocations.Select(r => Convert.ToInt64(r.Trim().Split(' ')[0], 16).ToString(System.Globalization.CultureInfo.InvariantCulture)));

        // The assembler's in-place addend (REL) or zero (RELA) is what the encoder writes for a site at .text+1, witnesses at +1.
        var siteAt = new CodeLocation(".text", 1);
        var bindAt = new CodeLocation(VmiRecordFormat.BindSection, 1);
        var record = new VmiRecord(siteAt, bindAt, 300, 6, 0, inputs, outputs, clobbers);
        var encoded = VmiRecordFormat.Encode(record, implicitAddends: wordSize == 4);
        Assert.Equal(Convert.ToHexString(encoded.Bytes[8..]), Convert.ToHexString(bytes[8..]));
        Assert.Equal([0, 4], encoded.Fixups.Select(f => f.FieldOffset));
        Assert.Equal(record, VmiRecordFormat.Decode(bytes, siteAt, bindAt));
    }

    [Fact]
    public void A_record_with_more_inputs_than_the_layout_holds_is_rejected()
    {
        var bytes = VmiRecordFormat.Encode(new VmiRecord(new(".text", 0), new(".b", 0), 1, 6, 0, [7], [], 0), implicitAddends: false).Bytes;
        bytes[VmiRecordFormat.InputCountField.Offset] = 7;

        var error = Assert.Throws<ArgumentException>(() => VmiRecordFormat.Decode(bytes, new(".text", 0), new(".b", 0)));
        Assert.Contains("at most 6 inputs", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rdi", 8, 7)]
    [InlineData("r8", 8, 8)]
    [InlineData("eax", 4, 0)]
    [InlineData("edx", 4, 2)]
    public void Register_numbers_are_the_x86_encoding(string name, int wordSize, int number)
    {
        // The oracle: GNU as encodes "push %reg" as 0x50 + (number & 7), with REX.B (0x41) for 8-15.
        string dir = Repo.TempDir($"regnum-{name}");
        string asm = Path.Combine(dir, "r.s"), obj = Path.Combine(dir, "r.o"), raw = Path.Combine(dir, "r.bin");
        File.WriteAllText(asm, $".text\npush %{name}\n");
        Assert.Equal(0, Tool.Run("gcc", [.. Tool.TargetFlags(wordSize == 8 ? "x86_64" : "i386"), "-c", asm, "-o", obj]).ExitCode);
        Assert.Equal(0, Tool.Run("objcopy", ["-O", "binary", "--only-section", ".text", obj, raw]).ExitCode);
        byte[] code = File.ReadAllBytes(raw);
        int encoded = code.Length == 2 ? 8 + (code[1] - 0x50) : code[0] - 0x50;

        Assert.Equal(number, encoded);
        Assert.Equal(number, RegisterNumbers.Of(name, wordSize));
        Assert.Equal(name, RegisterNumbers.Name(number, wordSize));
    }
}
