using System.Buffers.Binary;
using PvGen.X86.Records;
using Xunit;

namespace PvGen.X86.Tests;

/// <summary>
/// The marker style's side record: the directives <see cref="MarkerRecord.Directives"/> writes, assembled by gcc, give the
/// documented 16-byte layout (bytes by objcopy, relocations by readelf), and decode back to the same environment.
/// </summary>
public sealed class MarkerRecordTests
{
    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void Directives_assemble_to_the_documented_layout(string arch)
    {
        bool is64 = arch == "x86_64";
        var abi = CallAbi.For(is64 ? 8 : 4);
        var record = MarkerRecord.Environment(abi, default, 5, argumentWords: 2, resultSize: is64 ? 8 : 8, MarkerFlags.CalleeSave);
        var lines = MarkerRecord.Directives(is64, "pv_ops+0x" + (5 * abi.WordSize).ToString("x", System.Globalization.CultureInfo.InvariantCulture), record);
        string source = "\t.text\nf:\n\tnop\n" + string.Join("\n", lines) + "\n\tcall *pv_ops+0x28\n";
        string obj = AssembledRecordTests.Assemble("marker-" + arch, source, arch);

        byte[] bytes = AssembledRecordTests.SectionBytes(obj, MarkerRecord.Section);
        Assert.Equal(MarkerRecord.Stride, bytes.Length);
        Assert.Equal(5, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4)));
        int args = is64 ? (1 << 3) | (1 << 4) : (1 << 0) | (1 << 2); // rdi|rsi (CLBR bits 3, 4); eax|edx (0, 2)
        Assert.Equal(args, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(6)));
        Assert.Equal(is64 ? 0x1 : 0x5, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8))); // rax; edx:eax for 8 bytes on i386
        Assert.Equal(is64 ? 0x1ff : 0x7, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(10)));
        Assert.Equal(0, bytes[12]);
        Assert.Equal(1, bytes[13]);

        var record0 = Assert.Single(AssembledRecordTests.Relocations(obj, MarkerRecord.Section));
        Assert.Equal(0, record0.Offset);
        Assert.Equal(is64 ? "R_X86_64_PC32" : "R_386_PC32", record0.Type);
        var marker = AssembledRecordTests.Relocations(obj, ".text").Where(r => r.Type.EndsWith("_NONE", StringComparison.Ordinal)).Single();
        Assert.Equal(1, marker.Offset); // after the nop: where the label is
        Assert.Equal(is64 ? 0x28 : 0, marker.Addend); // R_386_NONE keeps no addend

        var decoded = MarkerRecord.Decode(bytes, new CodeLocation(".text", 1));
        Assert.Equal(record with { Marker = new CodeLocation(".text", 1) }, decoded);
    }
}
