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

/// <summary>
/// `pvgen generate --kernel-tree` then `pvgen check` on Debian 12's own headers, from a relative output directory, as a
/// maintainer runs it: the record format follows the tree (6.1: .parainstructions para16/para8; 6.12: alt14), and the
/// check passes with the kernel's headers compiled as system headers (their warnings are not PvGen's).
/// </summary>
public sealed class KernelCheckTests
{
    [SkippableTheory]
    [InlineData("6.1", "x86_64", "pvgen-amd64.json", "para16")]
    [InlineData("6.1", "i386", "pvgen-686-pae.json", "para8")]
    [InlineData("6.12", "x86_64", "pvgen-amd64.json", "alt14")]
    public void GenerateFromTheKernelTreeThenCheckPasses(string kernel, string arch, string config, string format)
    {
        string source, build;
        if (kernel == "6.12")
        {
            Skip.If(DebianKernels612.Instance is null, DebianKernels612.Reason);
            (source, build) = (DebianKernels612.Instance!.Source, DebianKernels612.Instance.BuildAmd64);
        }
        else
        {
            Skip.If(DebianKernels.Instance is null, DebianKernels.Reason);
            (source, build) = (DebianKernels.Instance!.Source, DebianKernels.Instance.Build(arch));
        }

        string dir = Repo.TempDir($"kernel-check-{kernel}-{arch}");
        string configPath = Path.Combine(Repo.Root, "tests", "PvGen.Generation.Tests", "Kernel", config);
        var generated = Tool.Pvgen(["generate", "arch/x86/include/asm/paravirt_types.h", "--config", configPath, "--target", arch,
            "--kernel-tree", source, "--kernel-build", build, "-o", "out"], dir);
        Assert.True(generated.ExitCode == 0, generated.ToString());
        Assert.Contains($"records   {format} in ", generated.Stdout, StringComparison.Ordinal);
        Assert.Contains("from the kernel tree", generated.Stdout, StringComparison.Ordinal);

        var check = Tool.Pvgen(["check", "out", "--format", "json"], dir);

        Assert.True(check.ExitCode == 0, check.ToString()[..Math.Min(6000, check.ToString().Length)]);
        using var report = System.Text.Json.JsonDocument.Parse(check.Stdout);
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "out", "pv_ops.manifest.json")));
        int asm = manifest.RootElement.GetProperty("ops").EnumerateArray().Count(o => o.GetProperty("macro_style").GetString() == "asm");
        Assert.Equal(format, manifest.RootElement.GetProperty("record").GetProperty("format").GetString());
        var macro = report.RootElement.GetProperty("builds").EnumerateArray().Where(b => b.GetProperty("style").GetString() == "macro").ToList();
        Assert.NotEmpty(macro);
        Assert.All(macro, b => Assert.Equal((format, asm), (b.GetProperty("record_format").GetString(), b.GetProperty("records").GetInt32())));
        var slots = report.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "PVG0203" && c.GetProperty("format").GetString() == format);
        Assert.Equal(asm * macro.Count, slots.GetProperty("verified").GetInt32());
    }
}
