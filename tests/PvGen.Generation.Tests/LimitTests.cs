using System.Text;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Generation.Tests;

/// <summary>
/// Big inputs are generated whole: no template limit may cut a file short and still report success. The oracle is the
/// compiler and readelf: every wrapper compiles, and every plain call leaves one relocation against the table.
/// </summary>
public sealed class LimitTests
{
    [Theory]
    [InlineData(3000, 1)]
    [InlineData(4, 300)]
    public void Thousands_of_ops_and_deep_nesting_are_generated_whole(int ops, int depth)
    {
        string dir = Repo.TempDir("limits");
        string member = "void (*op{0})(unsigned long a);";
        var body = new StringBuilder();
        for (int i = 0; i < ops; i++)
        {
            body.Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, member, i)).Append('\n');
        }

        string inner = body.ToString();
        for (int level = depth - 1; level >= 1; level--)
        {
            inner = $"struct n{level} {{\n{inner}}} g{level};\n";
        }

        File.WriteAllText(Path.Combine(dir, "big.h"), $"struct big_ops {{\n{inner}}};\nextern struct big_ops big_ops;\n");
        var run = Tool.Pvgen(["generate", "big.h", "--struct", "big_ops", "-o", "out"], dir);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"{ops} wrappers", run.Stdout, StringComparison.Ordinal);

        string outDir = Path.Combine(dir, "out");
        string plain = File.ReadAllText(Path.Combine(outDir, "big_ops_plain.h"));
        Assert.EndsWith("#endif /* PVGEN_BIG_OPS_PLAIN_H */\n", plain, StringComparison.Ordinal);
        string obj = Path.Combine(outDir, "plain.o");
        var compiled = CCompile.Object("gcc", "x86_64", Path.Combine(outDir, "big_ops_exercise.c"), obj, ["-DPVGEN_STYLE_PLAIN", "-I", dir, "-O1"]);
        Assert.True(compiled.ExitCode == 0, compiled.ToString());
        Assert.Equal(ops, CCompile.RelocationCount(obj, ".text"));
    }
}
