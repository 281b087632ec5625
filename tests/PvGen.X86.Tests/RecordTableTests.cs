using PvGen.X86.Records;
using Xunit;

namespace PvGen.X86.Tests;

/// <summary>
/// Every record format against a table of bytes and the fields the kernel's struct definitions give them (Iced-style:
/// the expected values are written from the struct layouts in paravirt-facts sections 4 and 12, not from our decoder),
/// and every encoding back to the same bytes.
/// </summary>
public sealed class RecordTableTests
{
    private static readonly CodeLocation Site = new(".text", 0x40);
    private static readonly CodeLocation Replacement = new(".altinstr_replacement", 0x12);

    public static TheoryData<string, string, string> Table => new()
    {
        // ALT_CALL_ALWAYS: ft_flags 0x00020075, the 6-byte ff 15 original, the 5-byte call BUG_func replacement.
        { "alt14", "00000000 00000000 75000200 06 05", "site .text+0x40 repl .altinstr_replacement+0x12 feature 3*32+21 flags DirectCall instrlen 6 replacementlen 5" },
        // ALT_NOT_XEN: 0x00010110, native pushf; pop %rax.
        { "alt14", "00000000 00000000 10010100 06 02", "site .text+0x40 repl .altinstr_replacement+0x12 feature 8*32+16 flags Not instrlen 6 replacementlen 2" },
        // An ordinary CPU-feature alternative: X86_FEATURE_CLAC-like 9*32+20 with no flags.
        { "alt14", "00000000 00000000 34010000 03 03", "site .text+0x40 repl .altinstr_replacement+0x12 feature 9*32+20 flags None instrlen 3 replacementlen 3" },
        // 5.13-6.2: NOT is bit 15 of the u16 cpuid.
        { "alt12", "00000000 00000000 1081 06 02", "site .text+0x40 repl .altinstr_replacement+0x12 feature 8*32+16 flags Not instrlen 6 replacementlen 2" },
        { "alt12", "00000000 00000000 7500 05 05", "site .text+0x40 repl .altinstr_replacement+0x12 feature 3*32+21 flags None instrlen 5 replacementlen 5" },
        // Up to 5.12: no flags, a padlen byte.
        { "alt13", "00000000 00000000 7500 05 03 02", "site .text+0x40 repl .altinstr_replacement+0x12 feature 3*32+21 flags None instrlen 5 replacementlen 3 padlen 2" },
        // x86-64 .parainstructions: .quad; type; len; .short clobbers (CLBR_ANY 0x1ff); 4 bytes padding.
        { "para16", "0000000000000000 02 06 ff01 00000000", "site .text+0x40 type 2 len 6 clobbers 0x1ff" },
        // The last record of a section aligned before each record only: 12 bytes.
        { "para16", "0000000000000000 03 06 0100", "site .text+0x40 type 3 len 6 clobbers 0x1" },
        // Cut before the clobbers: read without them.
        { "para16", "0000000000000000 09 07", "site .text+0x40 type 9 len 7 clobbers none" },
        // i386: .long; type; len; .short clobbers (2.6.25+ CLBR_ANY 0xf).
        { "para8", "00000000 24 06 0f00", "site .text+0x40 type 36 len 6 clobbers 0xf" },
        // ~6.5-6.7 packed PC-relative, no clobbers.
        { "para6", "00000000 07 06", "site .text+0x40 type 7 len 6 clobbers none" },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void DecodesTheFieldsTheKernelDefines(string name, string hex, string expected)
    {
        var format = RecordFormats.Find(name)!;
        byte[] bytes = Bytes(hex);

        var record = format.Decode(bytes, Targets(format));

        Assert.Equal(expected, Describe(record));
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void EncodesBackToTheSameBytes(string name, string hex, string expected)
    {
        _ = expected;
        var format = RecordFormats.Find(name)!;
        byte[] bytes = Bytes(hex);
        var record = format.Decode(bytes, Targets(format));

        var rela = format.Encode(record, implicitAddends: false);
        var rel = format.Encode(record, implicitAddends: true);

        // Short records decode from a prefix; the encoding is a whole stride (padding zero).
        Assert.Equal(format.Stride, rela.Bytes.Length);
        Assert.Equal(bytes, rela.Bytes[..bytes.Length]);
        Assert.All(rela.Bytes[bytes.Length..], b => Assert.Equal(0, b));
        Assert.Equal(format.RelocatedFields.Select(f => (f.Offset, f.Relocation)), rela.Fixups.Select(f => (f.FieldOffset, f.Relocation)));
        Assert.Equal(Targets(format), rela.Fixups.Select(f => f.Target));

        // REL objects keep the addend (the target's offset) in the field itself.
        Assert.Equal(Targets(format).Select(t => t.Offset),
            format.RelocatedFields.Select(f => f.Size == 8 ? BitConverter.ToInt64(rel.Bytes, f.Offset) : BitConverter.ToInt32(rel.Bytes, f.Offset)));
    }

    [Fact]
    public void FlagsAFormatCannotStoreAreRefused()
    {
        var directCall = new AltRecord(Site, Replacement, Alternatives.FeatureAlways, AltFlags.DirectCall, 6, 5);

        Assert.Throws<ArgumentException>(() => RecordFormats.Alt12.Encode(directCall, false));
        Assert.Throws<ArgumentException>(() => RecordFormats.Alt13.Encode(directCall with { Flags = AltFlags.Not }, false));
        Assert.Throws<ArgumentException>(() => RecordFormats.Para16.Encode(directCall, false));
    }

    [Theory]
    [InlineData("i386", "para8")]
    [InlineData("absolute32", "para8")]
    [InlineData("abs32", "para8")]
    [InlineData("x86_64", "para16")]
    [InlineData("absolute64", "para16")]
    [InlineData("abs64", "para16")]
    [InlineData("packed", "para6")]
    [InlineData("relative32", "para6")]
    [InlineData("rel32", "para6")]
    [InlineData("alt14", "alt14")]
    public void OldNamesAreAliases(string alias, string canonical) => Assert.Equal(canonical, RecordFormats.Find(alias)?.Name);

    [Fact]
    public void EveryFormatIsFoundAndUnknownNamesAreNot()
    {
        Assert.Equal(["para6", "para8", "para16", "alt12", "alt13", "alt14"], RecordFormats.Names);
        Assert.Null(RecordFormats.Find("alt15"));
        Assert.All(RecordFormats.All, f => Assert.Equal(f.Stride, f.Fields.Max(x => x.End) + (f.Name == "para16" ? 4 : 0)));
    }

    public static TheoryData<string, long[], long, int, string?> Detections => new()
    {
        // .altinstructions: pairs at +0/+4 of each entry; the section's size divides by 12 and 14 alike (84 bytes).
        { ".altinstructions", [0, 4, 14, 18, 28, 32, 42, 46, 56, 60, 70, 74], 84, 8, "alt14" },
        { ".altinstructions", [0, 4, 12, 16, 24, 28, 36, 40, 48, 52, 60, 64, 72, 76], 84, 8, "alt12" },
        { ".altinstructions", [0, 4, 13, 17], 26, 4, "alt13" },
        // One entry: the size tells them apart.
        { ".altinstructions", [0, 4], 14, 8, "alt14" },
        { ".altinstructions", [0, 4], 12, 4, "alt12" },
        // An entry whose second relocation is missing.
        { ".altinstructions", [0, 4, 14], 28, 8, null },
        { ".parainstructions", [0, 16, 32], 44, 8, "para16" },
        { ".parainstructions", [0, 6, 12], 18, 8, "para6" },
    };

    [Theory]
    [MemberData(nameof(Detections))]
    public void DetectsTheFormatFromTheRelocations(string section, long[] offsets, long size, int pointerSize, string? expected)
    {
        var kind = section == ".parainstructions" && expected != "para6" ? FieldRelocation.Absolute64 : FieldRelocation.PcRelative32;
        var relocations = offsets.Select(o => (o, (FieldRelocation?)kind)).ToList();

        var format = RecordFormats.Detect(section, relocations, size, pointerSize, out string? error);

        Assert.Equal(expected, format?.Name);
        Assert.Equal(expected is null, error is not null);
    }

    [Theory]
    [InlineData(".altinstructions", 14, 8, "alt14")]
    [InlineData(".altinstructions", 12, 8, "alt12")]
    [InlineData(".altinstructions", 13, 4, "alt13")]
    [InlineData(".parainstructions", 16, 8, "para16")]
    [InlineData(".parainstructions", 8, 4, "para8")]
    [InlineData(".parainstructions", 6, 8, "para6")]
    [InlineData(".parainstructions", 8, 8, null)]
    public void DetectsALinkedImagesFormatFromTheStructSize(string section, int size, int pointerSize, string? expected) =>
        Assert.Equal(expected, RecordFormats.FromStructSize(section, size, pointerSize, out _)?.Name);

    internal static IReadOnlyList<CodeLocation> Targets(RecordFormat format) =>
        format.Family == RecordFamily.AltInstructions ? [Site, Replacement] : [Site];

    internal static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    internal static string Describe(PvRecord record) => record switch
    {
        AltRecord a => $"site {a.Site} repl {a.Replacement} feature {Alternatives.FeatureText(a.Feature)} flags {a.Flags} instrlen {a.InstrLength} replacementlen {a.ReplacementLength}"
            + (a.PadLength is { } pad ? $" padlen {pad}" : string.Empty),
        ParaRecord p => $"site {p.Site} type {p.Type} len {p.Length} clobbers {(p.Clobbers is { } c ? $"0x{c:x}" : "none")}",
        _ => record.ToString(),
    };
}
