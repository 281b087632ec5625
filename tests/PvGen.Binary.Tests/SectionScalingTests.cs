using System.Text;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Binary.Tests;

/// <summary>
/// Objects shaped like a vmlinux.o: thousands of aligned sections (gcc -ffunction-sections), a gap of padding before
/// most of them. The reader lays such objects out without gaps before LibObjectFile parses them (its gap filling costs
/// sections x gaps; the time is measured in scripts/bench-scan.sh, not here); these tests prove that the sites found are
/// still exactly objdump's, and the records readelf's, for both ELF classes.
/// </summary>
public sealed class SectionScalingTests
{
    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void ThousandsOfAlignedSectionsScanExactlyAsObjdumpSees(string arch)
    {
        const int Functions = 3000;
        var source = new StringBuilder("struct ops { void (*a)(void); void (*b)(int); };\nextern struct ops pv_ops;\n");
        for (int i = 0; i < Functions; i++)
        {
            source.Append("void f").Append(i).Append("(void) { pv_ops.a(); pv_ops.b(").Append(i).Append("); }\n");
        }

        string obj = Build.Compile($"sections-{arch}.c", source.ToString(), [.. Build.KernelFlags(arch), "-ffunction-sections", "-falign-functions=16"]);
        var header = Tool.Run("readelf", ["-hW", obj]);
        int count = int.Parse(header.Stdout.Split('\n').Single(l => l.Contains("Number of section headers", StringComparison.Ordinal)).Split(':')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(count > 2 * Functions, $"{count} sections: gcc did not give each function its own section");

        var scanned = Build.ScanOne(obj);

        Assert.Equal(2 * Functions, scanned.Sites.Count);
        Build.AssertSameAsObjdump(obj, scanned);
    }
}
