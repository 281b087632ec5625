using PvGen.Model;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Parse.Tests;

/// <summary>The model's offsets are the compiler's: a probe of _Static_asserts must compile with gcc (and clang when present).</summary>
public sealed class LayoutTests
{
    public static IEnumerable<object[]> Cases() =>
        from pair in Examples.AllWithTargets() from cc in Tool.Compilers() select new[] { pair[0], pair[1], cc };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryOffsetEqualsTheCompilers(string example, string target, string compiler)
    {
        var model = Parsing.Example(example, target);
        var result = CompileProbe(LayoutProbe.For(model, Examples.Header(example)), target, compiler, Examples.CompileFlags(example, target));
        Assert.True(result.ExitCode == 0, $"{Path.GetFileName(compiler)} rejects the model's layout of {example} on {target}:\n{result.Stderr}");
        Assert.Equal(model.Target.PointerSize, target == "x86_64" ? 8 : 4);
    }

    [Fact]
    public void TheProbeRejectsAModelWithOneWrongOffset()
    {
        var model = Parsing.Example("toy", "x86_64");
        var wrong = model.Ops[5] with { Offset = model.Ops[5].Offset + 8, Slot = model.Ops[5].Slot + 1 };
        var broken = model with { Ops = model.Ops.Select(o => o.Path == wrong.Path ? wrong : o).ToEquatableArray() };
        var result = CompileProbe(LayoutProbe.For(broken, Examples.Header("toy")), "x86_64", "gcc", []);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(wrong.Path, result.Stderr, StringComparison.Ordinal);
    }

    internal static ToolResult CompileProbe(string source, string target, string compiler, IEnumerable<string> flags)
    {
        string dir = Repo.TempDir("probe");
        string probe = Path.Combine(dir, "probe.c");
        File.WriteAllText(probe, source);
        return Tool.Run(compiler, ["-fsyntax-only", "-std=gnu11", "-Werror", .. Tool.TargetFlags(target), .. flags, probe]);
    }
}
