using PvGen.TestSupport;
using Xunit;

namespace PvGen.Generation.Tests;

/// <summary>Both styles for a real distribution kernel's paravirt_types.h, compiled with that kernel's include flags.</summary>
public sealed class KernelTests
{
    [SkippableTheory]
    [InlineData("x86_64", "pvgen-amd64.json")]
    [InlineData("i386", "pvgen-686-pae.json")]
    public void Real_paravirt_types_generates_and_compiles_in_both_styles(string arch, string config)
    {
        Skip.If(DebianKernels.Instance is null, DebianKernels.Reason);
        var kernels = DebianKernels.Instance!;
        string dir = Repo.TempDir($"kernel-{arch}");
        string configPath = Path.Combine(Repo.Root, "tests", "PvGen.Generation.Tests", "Kernel", config);
        var run = Tool.Pvgen(["generate", "arch/x86/include/asm/paravirt_types.h", "--config", configPath, "--target", arch,
            "--kernel-tree", kernels.Source, "--kernel-build", kernels.Build(arch), "-o", "out"], dir);
        Assert.True(run.ExitCode == 0, run.ToString());
        string outDir = Path.Combine(dir, "out");

        var flags = new PvGen.Model.CompileEnvironment(Examples.TargetOf(arch), kernels.Source, kernels.Build(arch), [], [], []).Flags();
        // The kernel's own headers are not -Wextra clean (unused parameters); the kernel builds without those warnings.
        string[] kernelWarnings = ["-Wno-unused-parameter", "-Wno-sign-compare", "-Wno-missing-field-initializers"];
        var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "pv_ops.manifest.json")));
        int sites = manifest.RootElement.GetProperty("ops").EnumerateArray().Count(o => o.GetProperty("macro_style").GetString() == "asm");
        foreach (string style in new[] { "MACRO", "PLAIN" })
        {
            string obj = Path.Combine(outDir, $"{style}.o");
            var compiled = CCompile.Object("gcc", arch, Path.Combine(outDir, "pv_ops_exercise.c"), obj,
                [.. flags, .. kernelWarnings, $"-DPVGEN_STYLE_{style}", "-I", outDir]);
            Assert.True(compiled.ExitCode == 0, $"{style}:\n{compiled}");
            Assert.Equal(style == "MACRO" ? sites : 0, CCompile.RelocationCount(obj, ".parainstructions"));
        }

        Assert.True(sites >= (arch == "x86_64" ? 80 : 10), $"{sites} sites");
    }
}
