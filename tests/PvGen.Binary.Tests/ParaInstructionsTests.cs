using LibObjectFile.Elf;
using PvGen.X86;
using PvGen.X86.Records;
using Xunit;

namespace PvGen.Binary.Tests;

/// <summary>.parainstructions in the kernel's three layouts, written by hand in assembler and built with gcc.</summary>
public sealed class ParaInstructionsTests
{
    /// <summary>
    /// x86-64, 16-byte records aligned before each record only, so the last one is 12 bytes (facts section 11):
    /// two annotated calls, one call without a record, one record over a nop (no site).
    /// </summary>
    private const string Absolute64 = """
            .text
            .globl f
            .type f, @function
        f:
            nop
        771: call *pv_ops+16(%rip)
        772: call *pv_ops+24(%rip)
        773: call *pv_ops+40(%rip)
        774: nop
        775: ret
            .size f, .-f
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
            .quad 774b
            .byte 9
            .byte 775b-774b
            .short 0x7
            .popsection

        """;

    /// <summary>i386, 8-byte records (2.6.20 to 6.7): .long addr; .byte type; .byte len; .short clobbers.</summary>
    private const string Absolute32 = """
            .text
            .globl f
            .type f, @function
        f:
        771: call *pv_ops+8
        772: jmp *pv_ops+20
        773:
            .size f, .-f
            .pushsection .parainstructions, "a"
            .long 771b
            .byte 2
            .byte 772b-771b
            .short 0xf
            .long 772b
            .byte 5
            .byte 773b-772b
            .short 0x5
            .popsection

        """;

    /// <summary>x86-64, 6-byte packed PC-relative records (about 6.5 to 6.7).</summary>
    private const string Relative32 = """
            .text
            .globl f
            .type f, @function
        f:
            push %rbx
        771: call *pv_ops+56(%rip)
        772: call *pv_ops+64(%rip)
        773: pop %rbx
            ret
            .size f, .-f
            .section .noinstr.text, "ax"
        g:
        774: call *pv_ops+8(%rip)
        775: ret
            .pushsection .parainstructions, "a"
            .long 771b - .
            .byte 7
            .byte 772b-771b
            .long 772b - .
            .byte 8
            .byte 773b-772b
            .long 774b - .
            .byte 1
            .byte 775b-774b
            .popsection

        """;

    private static readonly string[] Flags64 = ["-c", "-m64"];
    private static readonly string[] Flags32 = ["-c", "-m32"];

    [Fact]
    public void SixteenByteRecordsWithAShortLastRecord()
    {
        string obj = Build.Compile("abs64.s", Absolute64, Flags64);

        var scanned = Build.ScanOne(obj);

        Assert.Equal(RecordFormats.Para16, scanned.AnnotationFormat);
        Assert.Equal(
            [new Annotation(".text", 1, 2, 6, 0x1ff, 0, true), new Annotation(".text", 7, 3, 6, 0x1, 16, true), new Annotation(".text", 19, 9, 1, 0x7, 32, false)],
            scanned.Annotations);
        Assert.Equal(44L, SectionSize(obj));
        Assert.Equal([(1L, true), (7L, true), (13L, false)], scanned.Sites.Select(s => (s.Offset, s.Annotated)));
        Assert.Equal(13L, Assert.Single(scanned.UnannotatedCalls).Offset);
        Assert.Equal(19L, Assert.Single(scanned.OrphanAnnotations).Offset);
    }

    [Fact]
    public void EightByteI386RecordsWithTheAddressInTheRecord()
    {
        string obj = Build.Compile("abs32.s", Absolute32, Flags32);

        var scanned = Build.ScanOne(obj);

        Assert.Equal("i386", scanned.Machine);
        Assert.Equal(RecordFormats.Para8, scanned.AnnotationFormat);
        Assert.Equal([new Annotation(".text", 0, 2, 6, 0xf, 0, true), new Annotation(".text", 6, 5, 6, 0x5, 8, true)], scanned.Annotations);
        Assert.Equal([(SiteKind.Call, 8L, true), (SiteKind.Jmp, 20L, true)], scanned.Sites.Select(s => (s.Kind, s.TargetOffset, s.Annotated)));
        Build.AssertSameAsObjdump(obj, scanned);
    }

    [Fact]
    public void SixBytePackedRelativeRecordsAcrossSections()
    {
        string obj = Build.Compile("rel32.s", Relative32, Flags64);

        var scanned = Build.ScanOne(obj);

        Assert.Equal(RecordFormats.Para6, scanned.AnnotationFormat);
        Assert.Equal(
            [new Annotation(".text", 1, 7, 6, null, 0, true), new Annotation(".text", 7, 8, 6, null, 6, true), new Annotation(".noinstr.text", 0, 1, 6, null, 12, true)],
            scanned.Annotations);
        Assert.All(scanned.Sites, s => Assert.True(s.Annotated));
        Assert.All(scanned.Annotations, a => Assert.Equal(a.Type, scanned.Sites.Single(s => s.Section == a.Section && s.Offset == a.Offset).Slot));
    }

    [Theory]
    [InlineData("abs64.s", Absolute64, "x86_64", "para16")]
    [InlineData("abs32.s", Absolute32, "i386", "para8")]
    [InlineData("rel32.s", Relative32, "x86_64", "para6")]
    public void OneRecordIsRecognisedByItsRelocationType(string name, string source, string arch, string formatName)
    {
        var expected = RecordFormats.Find(formatName)!;
        // Keep the first record only: no stride to measure.
        string single = source[..source.IndexOf(".pushsection", StringComparison.Ordinal)] + ".pushsection .parainstructions, \"a\"\n" + formatName switch
        {
            "para16" => ".quad 771b\n.byte 2\n.byte 6\n.short 0\n",
            "para8" => ".long 771b\n.byte 2\n.byte 6\n.short 0\n",
            _ => ".long 771b - .\n.byte 7\n.byte 6\n",
        } + ".popsection\n";
        string obj = Build.Compile("one-" + name, single, arch == "x86_64" ? Flags64 : Flags32);

        var scanned = Build.ScanOne(obj);

        Assert.Equal(expected, scanned.AnnotationFormat);
        Assert.True(Assert.Single(scanned.Annotations).HasSite);
    }

    [Fact]
    public void AnExplicitFormatOverridesDetectionAndAWrongOneIsAnError()
    {
        string obj = Build.Compile("abs64.s", Absolute64, Flags64);

        var forced = Build.ScanOne(obj, new ScanOptions { AnnotationFormat = RecordFormats.Para16 });
        var wrong = Assert.Single(ObjectScanner.ScanFile(obj, new ScanOptions { AnnotationFormat = RecordFormats.Para6 }));

        Assert.Equal(3, forced.Annotations.Count);
        Assert.Contains(".parainstructions", wrong.Error, StringComparison.Ordinal);
        Assert.Equal(3, wrong.Sites.Count);
    }

    [Fact]
    public void TheReaderWorksOnAnElfFileForOtherStages()
    {
        string obj = Build.Compile("abs32.s", Absolute32, Flags32);
        using var stream = File.OpenRead(obj);
        var elf = ElfFile.Read(stream, new ElfReaderOptions { UseSubStream = true });

        var result = ParaInstructionsReader.Read(elf);

        Assert.Null(result.Error);
        Assert.Equal(RecordFormats.Para8, result.Format);
        Assert.Equal([2, 5], result.Records.Select(r => r.Type));
    }

    [Fact]
    public void StrideDetection()
    {
        static (long, FieldRelocation?)[] At(FieldRelocation kind, params long[] offsets) => [.. offsets.Select(o => (o, (FieldRelocation?)kind))];

        Assert.Equal(RecordFormats.Para16, RecordFormats.Detect(".parainstructions", At(FieldRelocation.Absolute64, 0, 16, 32), 48, 8, out _));
        Assert.Equal(RecordFormats.Para8, RecordFormats.Detect(".parainstructions", At(FieldRelocation.Absolute32, 0, 8), 16, 4, out _));
        Assert.Equal(RecordFormats.Para6, RecordFormats.Detect(".parainstructions", At(FieldRelocation.PcRelative32, 0, 6, 12), 18, 8, out _));
        Assert.Null(RecordFormats.Detect(".parainstructions", At(FieldRelocation.Absolute64, 0, 16, 40), 56, 8, out string? irregular));
        Assert.Contains("match no known record format", irregular, StringComparison.Ordinal);
        Assert.Null(RecordFormats.Detect(".parainstructions", At(FieldRelocation.Absolute64, 0, 12), 24, 8, out string? unknown));
        Assert.Contains("every 12 bytes", unknown, StringComparison.Ordinal);
    }

    private static long SectionSize(string obj)
    {
        using var stream = File.OpenRead(obj);
        var elf = ElfFile.Read(stream, new ElfReaderOptions { UseSubStream = true });
        return (long)elf.Sections.Single(s => s.Name.Value == ".parainstructions").Size;
    }
}
