using LibObjectFile.Elf;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Checking.Tests;

/// <summary>
/// `pvgen check --object` on a distribution kernel's modules, against the model parsed from the same
/// kernel's headers: every record verifies; a copy with one record corrupted is rejected.
/// </summary>
public sealed class KernelModuleTests
{
    [SkippableTheory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void EveryRecordOfTheRealModulesVerifies(string arch)
    {
        Skip.If(DebianKernels.Instance is null, DebianKernels.Reason);
        string model = ParseRealModel(arch);

        var run = Tool.Pvgen(["check", "--object", DebianKernels.Instance!.Modules(arch), "--model", model, "--format", "json"]);

        Assert.True(run.ExitCode == 0, run.ToString()[..Math.Min(4000, run.ToString().Length)]);
        using var report = System.Text.Json.JsonDocument.Parse(run.Stdout);
        Assert.True(report.RootElement.GetProperty("records").GetInt32() > 1000, "a distribution kernel's modules carry thousands of records");
        Assert.Empty(report.RootElement.GetProperty("findings").EnumerateArray());
    }

    [SkippableTheory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void AModuleWithOneCorruptedRecordIsRejected(string arch)
    {
        Skip.If(DebianKernels.Instance is null, DebianKernels.Reason);
        string model = ParseRealModel(arch);
        string module = Path.Combine(DebianKernels.Instance!.Modules(arch), "kernel/drivers/watchdog/sbc60xxwdt.ko");
        Skip.IfNot(File.Exists(module), $"{module} is not in this kernel");
        string copy = Path.Combine(Repo.TempDir("corrupt"), "sbc60xxwdt.ko");
        File.Copy(module, copy);

        // The second record's type byte: after the address (8 bytes on x86-64, 4 on i386).
        long typeOffset = SectionFileOffset(copy, ".parainstructions") + (arch == "x86_64" ? 16 + 8 : 8 + 4);
        using (var stream = File.Open(copy, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = typeOffset;
            int type = stream.ReadByte();
            stream.Position = typeOffset;
            stream.WriteByte((byte)(type + 1));
        }

        var run = Tool.Pvgen(["check", "--object", copy, "--model", model]);

        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.Stderr.Split('\n'), l => l.Contains("[PVG0203]", StringComparison.Ordinal));
    }

    private static long SectionFileOffset(string path, string name)
    {
        using var stream = File.OpenRead(path);
        var elf = ElfFile.Read(stream);
        return (long)elf.Sections.Single(s => s.Name.Value == name).Position;
    }

    private static string ParseRealModel(string arch)
    {
        var kernels = DebianKernels.Instance!;
        string output = Path.Combine(Repo.TempDir("kernel-model"), $"{arch}.pvgen.json");
        var run = Tool.Pvgen(["parse", "arch/x86/include/asm/paravirt_types.h", "--struct", "paravirt_patch_template",
            "--kernel-tree", kernels.Source, "--kernel-build", kernels.Build(arch), "--target", arch, "--format", "json", "-o", output]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return output;
    }
}
