using PvGen.TestSupport;
using Xunit;

namespace PvGen.Generation.Tests;

/// <summary>
/// The register binding is right at run time, not only well-formed: x86-64 wrappers of both styles call ordinary C
/// implementations and the program checks every argument and result (multi-argument, struct by value both ways,
/// bool and byte results, a plain-call fallback, configured narrow clobbers saved inside the site).
/// (i386 executables cannot run in this environment; i386 output is covered by compile and record tests.)
/// </summary>
public sealed class RuntimeTests
{
    public static IEnumerable<object[]> Cases() =>
        from style in new[] { "macro", "plain" } from compiler in Tool.Compilers() select new object[] { style, compiler };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Wrappers_pass_arguments_and_results_intact(string style, string compiler)
    {
        var run = BuildAndRun(style, compiler, corrupt: null);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("0 failures", run.Stdout, StringComparison.Ordinal);
    }

    /// <summary>The check can fail: swapping two argument registers in a generated wrapper is caught at run time.</summary>
    [Fact]
    public void A_wrong_register_binding_is_caught()
    {
        var run = BuildAndRun("macro", "gcc", header => header.Replace("\"+D\"(__pv_a0), \"+S\"(__pv_a1)", "\"+S\"(__pv_a0), \"+D\"(__pv_a1)", StringComparison.Ordinal));
        Assert.NotEqual(0, run.ExitCode);
        Assert.DoesNotContain("0 failures", run.Stdout, StringComparison.Ordinal);
    }

    private static ToolResult BuildAndRun(string style, string compiler, Func<string, string>? corrupt)
    {
        string dir = Repo.TempDir($"runtime-{style}");
        string source = Path.Combine(Repo.Root, "tests", "PvGen.Generation.Tests", "Runtime");
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(dir, "rt_ops_exercise_style.h"), $"#include \"out/rt_ops_{style}.h\"\n");
        var generated = Tool.Pvgen(["generate", "--config", "pvgen.json", "-o", "out"], dir);
        Assert.True(generated.ExitCode == 0, generated.ToString());
        Assert.Contains("mix5", generated.Stderr, StringComparison.Ordinal); // five words: a plain call in macro style, reported

        if (corrupt is not null)
        {
            string header = Path.Combine(dir, "out", $"rt_ops_{style}.h");
            string text = File.ReadAllText(header);
            string corrupted = corrupt(text);
            Assert.NotEqual(text, corrupted);
            File.WriteAllText(header, corrupted);
        }

        string exe = Path.Combine(dir, "rt");
        var built = Tool.Run(compiler, ["-O2", "-mno-red-zone", "-fno-pie", "-no-pie", "-Wall", "-Wextra", "-Werror", "-Wstrict-prototypes",
            "-I", dir, Path.Combine(dir, "main.c"), "-o", exe]);
        Assert.True(built.ExitCode == 0, built.ToString());
        return Tool.Run(exe, []);
    }
}
