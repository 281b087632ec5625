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

    /// <summary>
    /// Clobber masks are checked without any pvgen.json: the kernel records CLBR_RET_REG for callee-save ops and CLBR_ANY
    /// for the rest (the first test proves every real record carries exactly that), so one record whose mask is set to
    /// 0 or 0xffff is caught, and nothing else is; so is a callee-save op's record carrying CLBR_ANY (the kernel's macros
    /// never write it, and pvgen annotate records a callee-save op's plain calls with CLBR_RET_REG too).
    /// </summary>
    [SkippableTheory]
    [InlineData("x86_64", "kernel/drivers/cpufreq/speedstep-lib.ko", false, 0x0)]
    [InlineData("x86_64", "kernel/drivers/cpufreq/speedstep-lib.ko", false, 0xffff)]
    [InlineData("x86_64", "kernel/drivers/cpufreq/speedstep-lib.ko", true, 0x0)]
    [InlineData("x86_64", "kernel/drivers/cpufreq/speedstep-lib.ko", true, 0xffff)]
    [InlineData("x86_64", "kernel/drivers/cpufreq/speedstep-lib.ko", true, 0x1ff)]
    [InlineData("i386", "kernel/drivers/watchdog/sbc60xxwdt.ko", false, 0x0)]
    [InlineData("i386", "kernel/drivers/watchdog/sbc60xxwdt.ko", false, 0xffff)]
    public void AModuleWithOneWrongClobberMaskIsRejected(string arch, string relative, bool calleeSave, int clobbers)
    {
        Skip.If(DebianKernels.Instance is null, DebianKernels.Reason);
        string model = ParseRealModel(arch);
        string module = Path.Combine(DebianKernels.Instance!.Modules(arch), relative);
        Skip.IfNot(File.Exists(module), $"{module} is not in this kernel");
        string copy = Path.Combine(Repo.TempDir("clobbers"), Path.GetFileName(module));
        File.Copy(module, copy);
        var calleeSaveSlots = CalleeSaveSlots(model);

        // para16: .quad site, .byte type, .byte len, .short clobbers (+10); para8: .long site, type, len, clobbers (+6).
        int stride = arch == "x86_64" ? 16 : 8, typeAt = arch == "x86_64" ? 8 : 4;
        var (start, size) = SectionFileRange(copy, ".parainstructions");
        using (var stream = File.Open(copy, FileMode.Open, FileAccess.ReadWrite))
        {
            var records = new byte[size];
            stream.Position = start;
            stream.ReadExactly(records);
            int index = Enumerable.Range(0, (int)(size / stride)).First(i => calleeSaveSlots.Contains(records[i * stride + typeAt]) == calleeSave);
            stream.Position = start + index * stride + typeAt + 2;
            stream.Write(BitConverter.GetBytes((ushort)clobbers));
        }

        var run = Tool.Pvgen(["check", "--object", copy, "--model", model]);

        Assert.True(run.ExitCode == 1, run.ToString());
        string finding = Assert.Single(run.Stderr.Split('\n'), l => l.Contains("[PVG", StringComparison.Ordinal));
        Assert.Contains("[PVG0207]", finding, StringComparison.Ordinal);
        Assert.Contains($"clobbers 0x{clobbers:x} but", finding, StringComparison.Ordinal);
        Assert.Contains(calleeSave ? "CLBR_RET_REG 0x1" : $"CLBR_ANY 0x{(arch == "x86_64" ? 0x1ff : 0xf):x}", finding, StringComparison.Ordinal);
    }

    private static HashSet<int> CalleeSaveSlots(string model)
    {
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(model));
        return [.. json.RootElement.GetProperty("ops").EnumerateArray().Where(o => o.GetProperty("callee_save").GetBoolean()).Select(o => o.GetProperty("slot").GetInt32())];
    }

    private static (long Start, long Size) SectionFileRange(string path, string name)
    {
        using var stream = File.OpenRead(path);
        var section = ElfFile.Read(stream).Sections.Single(s => s.Name.Value == name);
        return ((long)section.Position, (long)section.Size);
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
