using PvGen.Clang;
using PvGen.Model;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Parse.Tests;

/// <summary>A real distribution kernel's paravirt_types.h, split source and build trees, both flavours.</summary>
public sealed class KernelHeaderTests
{
    [SkippableTheory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void RealPvOpsLayoutEqualsTheCompilers(string arch)
    {
        Skip.If(DebianKernels.Instance is null, DebianKernels.Reason);
        var kernels = DebianKernels.Instance!;
        var target = Examples.TargetOf(arch);
        var result = HeaderParser.Parse(new ParseRequest
        {
            HeaderPath = Path.Combine(kernels.Source, "arch/x86/include/asm/paravirt_types.h"),
            StructName = "paravirt_patch_template",
            Target = target,
            KernelTree = kernels.Source,
            KernelBuild = kernels.Build(arch),
        });

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        var model = result.Model!;
        Assert.Equal("pv_ops", model.TableSymbol);
        Assert.Contains(model.Ops, o => o.Path == "lock.queued_spin_unlock" && o.CalleeSave);
        Assert.Contains(model.Ops, o => o.Path == "cpu.io_delay" && o.Offset == 0);
        if (arch == "x86_64")
        {
            // CONFIG_PARAVIRT_XXL is set in the amd64 flavour only.
            Assert.Contains(model.Ops, o => o.Path == "mmu.lazy_mode.enter");
            Assert.Contains(model.Ops, o => o.Path == "irq.save_fl" && o.CalleeSave);
        }

        var flags = new CompileEnvironment(target, kernels.Source, kernels.Build(arch), [], [], []).Flags();
        string probe = "#include <asm/paravirt_types.h>\n"
            + $"_Static_assert(sizeof(void *) == {target.PointerSize}, \"the flavour's pointer size\");\n"
            + LayoutProbe.For(model, "/dev/null");
        var compiled = LayoutTests.CompileProbe(probe, arch, "gcc", flags);
        Assert.True(compiled.ExitCode == 0, compiled.Stderr);
    }
}
