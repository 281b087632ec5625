using System.Text.RegularExpressions;
using PvGen.Model;
using PvGen.TestSupport;
using PvGen.X86.Records;
using Xunit;

namespace PvGen.X86.Tests;

/// <summary>
/// The x86 facts against the kernel's own headers, evaluated by gcc: CLBR_* masks of 6.1, ALT_* flags and feature
/// numbers of 6.12, and the offset of every field of every record format in the struct the kernel declares for it.
/// </summary>
public sealed class KernelFactsTests
{
    [SkippableTheory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void ClobberMasksAreThoseOfLinux61(string arch)
    {
        Skip.If(DebianKernels.Instance is null, DebianKernels.Reason);
        string header = File.ReadAllText(Path.Combine(DebianKernels.Instance!.Source, "arch/x86/include/asm/paravirt_types.h"));
        string clbr = header[..header.IndexOf("#ifndef __ASSEMBLY__", StringComparison.Ordinal)];
        var abi = arch == "x86_64" ? CallAbi.X86_64 : CallAbi.I386;

        var values = Evaluate((arch == "i386" ? "#define CONFIG_X86_32\n" : string.Empty) + clbr + "#endif\n",
            ["CLBR_ANY", "CLBR_RET_REG", "CLBR_ARG_REGS", .. abi.Registers.Select(r => "CLBR_" + r.Name.ToUpperInvariant())]);

        Assert.Equal(ClobberMasks.Any(abi.WordSize, ClobberEra.Linux2625), values["CLBR_ANY"]);
        Assert.Equal(ClobberMasks.MaskOf(abi.CallerSaved, abi, ClobberEra.Linux2625), values["CLBR_ANY"]);
        Assert.Equal(arch == "x86_64" ? ClobberMasks.ReturnRegisters64 : ClobberMasks.ReturnRegisters32, values["CLBR_RET_REG"]);
        Assert.Equal(arch == "x86_64" ? ClobberMasks.ArgumentRegisters64 : ClobberMasks.ArgumentRegisters32, values["CLBR_ARG_REGS"]);
        Assert.All(abi.Registers, r => Assert.Equal(r.Mask, values["CLBR_" + r.Name.ToUpperInvariant()]));
    }

    [Fact]
    public void TheOldI386AnyMaskCoversOnlyTheCallerSavedRegisters()
    {
        // 2.6.20-2.6.24 (paravirt-facts section 3): CLBR_ANY 0x7 = eax|ecx|edx; from 2.6.25 0xf adds CLBR_EDI.
        Assert.Equal(0x7, ClobberMasks.MaskOf(CallAbi.I386.CallerSaved, CallAbi.I386, ClobberEra.Linux2620));
        Assert.Equal(0xf, ClobberMasks.MaskOf(CallAbi.I386.CallerSaved, CallAbi.I386, ClobberEra.Linux2625));
        Assert.Equal(0x1, ClobberMasks.MaskOf([CallAbi.I386.Find("eax")!], CallAbi.I386, ClobberEra.Linux2625));
        Assert.Equal(0x1ff, ClobberMasks.MaskOf(CallAbi.X86_64.CallerSaved, CallAbi.X86_64, ClobberEra.Linux2620));
    }

    [SkippableFact]
    public void AlternativeFlagsAndFeaturesAreThoseOfLinux612()
    {
        Skip.If(DebianKernels612.Instance is null, DebianKernels612.Reason);
        string asm = Path.Combine(DebianKernels612.Instance!.Source, "arch/x86/include/asm");
        string defines = string.Join("\n", new[] { "alternative.h", "cpufeatures.h", "paravirt_types.h" }
            .SelectMany(h => File.ReadAllLines(Path.Combine(asm, h)))
            .Where(l => Regex.IsMatch(l, @"^#define\s+(ALT_FLAGS_SHIFT|ALT_FLAG_\w+|ALT_NOT\(|ALT_DIRECT_CALL\(|ALT_CALL_ALWAYS|ALT_NOT_XEN|X86_FEATURE_(ALWAYS|XENPV|VCPUPREEMPT)\b)")));

        var values = Evaluate(defines, ["ALT_FLAGS_SHIFT", "ALT_FLAG_NOT", "ALT_FLAG_DIRECT_CALL", "ALT_CALL_ALWAYS", "ALT_NOT_XEN",
            "X86_FEATURE_ALWAYS", "X86_FEATURE_XENPV", "X86_FEATURE_VCPUPREEMPT"]);

        Assert.Equal(Alternatives.FlagsShift, values["ALT_FLAGS_SHIFT"]);
        Assert.Equal((int)AltFlags.Not, values["ALT_FLAG_NOT"]);
        Assert.Equal((int)AltFlags.DirectCall, values["ALT_FLAG_DIRECT_CALL"]);
        Assert.Equal(Alternatives.CallAlways, values["ALT_CALL_ALWAYS"]);
        Assert.Equal(Alternatives.NotXen, values["ALT_NOT_XEN"]);
        Assert.Equal(Alternatives.FeatureAlways, values["X86_FEATURE_ALWAYS"]);
        Assert.Equal(Alternatives.FeatureXenPv, values["X86_FEATURE_XENPV"]);
        Assert.Equal(Alternatives.FeatureVcpuPreempt, values["X86_FEATURE_VCPUPREEMPT"]);
        Assert.Equal(0x00020075, Alternatives.CallAlways);
        Assert.Equal(0x00010110, Alternatives.NotXen);
        Assert.Contains("\"call " + Alternatives.DefaultDirectCallSymbol + "\"", File.ReadAllText(Path.Combine(asm, "alternative.h")), StringComparison.Ordinal);
    }

    /// <summary>sizeof and offsetof of the kernel's own record structs, compiled with the kernel's flags.</summary>
    [SkippableTheory]
    [InlineData("6.12", "x86_64", "alt14", "asm/alternative.h", "alt_instr")]
    [InlineData("6.1", "x86_64", "alt12", "asm/alternative.h", "alt_instr")]
    [InlineData("6.1", "i386", "alt12", "asm/alternative.h", "alt_instr")]
    [InlineData("6.1", "x86_64", "para16", "asm/paravirt_types.h", "paravirt_patch_site")]
    [InlineData("6.1", "i386", "para8", "asm/paravirt_types.h", "paravirt_patch_site")]
    public void EveryFieldSitsWhereTheKernelsStructPutsIt(string kernel, string arch, string formatName, string header, string structName)
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

        var format = RecordFormats.Find(formatName)!;
        var target = arch == "x86_64" ? Target.X86_64 : Target.I386;
        var flags = new CompileEnvironment(target, source, build, [], [], []).Flags();

        // The struct ends where the format's data ends (para16: the C struct stops before the .short the asm still emits).
        var inStruct = format.Fields.Where(f => f.Name != "clobbers").ToList();
        string probe = $"#include <{header}>\n#include <linux/stddef.h>\n"
            + (format.Name == "para16" || format.Name == "para8"
                ? string.Empty
                : $"_Static_assert(sizeof(struct {structName}) == {format.Stride}, \"sizeof {structName}\");\n")
            + string.Join("\n", inStruct.Select(f =>
                $"_Static_assert(offsetof(struct {structName}, {f.Name}) == {f.Offset}, \"{f.Name} at {f.Offset}\");"
                + (f.Name == "ft_flags" ? string.Empty : $"\n_Static_assert(sizeof(((struct {structName} *)0)->{f.Name}) == {f.Size}, \"{f.Name} is {f.Size} bytes\");")))
            + "\n"
            // paravirt_patch_site is padded to the pointer size: that padding is the stride.
            + (format.Family == RecordFamily.ParaInstructions ? $"_Static_assert(sizeof(struct {structName}) == {format.Stride}, \"stride\");\n" : string.Empty);
        string dir = Repo.TempDir("kernel-struct");
        string file = Path.Combine(dir, "probe.c");
        File.WriteAllText(file, probe);

        var result = Tool.Run("gcc", ["-fsyntax-only", "-std=gnu11", .. Tool.TargetFlags(arch), .. flags, file]);

        Assert.True(result.ExitCode == 0, probe + "\n" + result.Stderr);
    }

    [SkippableTheory]
    [InlineData("6.12", "alt14")]
    [InlineData("6.1", "para16")]
    public void AKernelTreeSaysWhichFormatItsMacrosEmit(string kernel, string expected)
    {
        string? tree = kernel == "6.12" ? DebianKernels612.Instance?.Source : DebianKernels.Instance?.Source;
        Skip.If(tree is null, kernel == "6.12" ? DebianKernels612.Reason : DebianKernels.Reason);

        var facts = KernelTreeFacts.Read(tree!, 8);

        Assert.Equal(expected, facts.RecordFormat?.Name);
        Assert.Equal(kernel == "6.1" ? ClobberEra.Linux2625 : null, facts.ClobberEra);
    }

    /// <summary>Compiles and runs a host program that prints each expression: gcc evaluates the kernel's macros.</summary>
    private static Dictionary<string, int> Evaluate(string defines, IReadOnlyList<string> names)
    {
        string dir = Repo.TempDir("kernel-facts");
        string source = Path.Combine(dir, "facts.c");
        string program = Path.Combine(dir, "facts");
        File.WriteAllText(source, "#include <stdio.h>\n" + defines + "\nint main(void)\n{\n"
            + string.Join("\n", names.Select(n => $"\tprintf(\"{n}=%d\\n\", (int)({n}));")) + "\n\treturn 0;\n}\n");
        var compiled = Tool.Run("gcc", ["-o", program, source]);
        Assert.True(compiled.ExitCode == 0, compiled.ToString());
        var run = Tool.Run(program, []);
        Assert.Equal(0, run.ExitCode);
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
