using System.Buffers.Binary;
using System.Text.Json;
using LibObjectFile.Elf;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Checking.Tests;

/// <summary>
/// `pvgen check --object` on Debian 12's 6.12 cloud-amd64 modules (decompressed), whose pv sites are .altinstructions
/// DIRECT_CALL entries: every one verifies against the model parsed from the same kernel's headers, the checks alt
/// entries cannot carry are reported n/a, and a copy with one entry corrupted (its length; its site moved by a byte)
/// is rejected, plain and compressed as <c>.ko.xz</c> alike.
/// </summary>
public sealed class Kernel612ModuleTests
{
    private const string Module = "kernel/net/netfilter/nfnetlink_queue.ko";

    [SkippableFact]
    public void EveryDirectCallEntryOfTheRealModulesVerifies()
    {
        Skip.If(DebianKernels612.Instance is null, DebianKernels612.Reason);
        string model = ParseRealModel();

        var run = Tool.Pvgen(["check", "--object", DebianKernels612.Instance!.ModulesDecompressed(), "--model", model, "--format", "json"]);

        Assert.True(run.ExitCode == 0, run.ToString()[..Math.Min(4000, run.ToString().Length)]);
        using var report = JsonDocument.Parse(run.Stdout);
        var root = report.RootElement;
        Assert.Empty(root.GetProperty("findings").EnumerateArray());
        Assert.True(root.GetProperty("record_formats").GetProperty("alt14").GetInt32() > 50);
        var checks = root.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!);
        Assert.False(checks["PVG0207"].GetProperty("applicable").GetBoolean());
        Assert.Equal(root.GetProperty("records").GetInt32(), checks["PVG0216"].GetProperty("verified").GetInt32());
        Assert.True(checks["PVG0220"].GetProperty("verified").GetInt32() > 0, "native alternatives were checked");
    }

    [SkippableTheory]
    [InlineData("instrlen", "PVG0217")]
    [InlineData("site", "PVG0201")]
    public void AModuleWithOneCorruptedEntryIsRejected(string corruption, string id)
    {
        Skip.If(DebianKernels612.Instance is null, DebianKernels612.Reason);
        string model = ParseRealModel();
        string module = Path.Combine(DebianKernels612.Instance!.ModulesDecompressed(), Module);
        Skip.IfNot(File.Exists(module), $"{module} is not in this kernel");
        string copy = Path.Combine(Repo.TempDir("corrupt-612"), Path.GetFileName(Module));
        File.Copy(module, copy);
        var (altinstructions, rela) = Sections(copy);

        using (var stream = File.Open(copy, FileMode.Open, FileAccess.ReadWrite))
        {
            if (corruption == "instrlen")
            {
                // The first entry is a DIRECT_CALL (ft_flags 0x00020075): its instrlen byte at +12.
                stream.Position = altinstructions + 12;
                Assert.Equal(6, stream.ReadByte());
                stream.Position = altinstructions + 12;
                stream.WriteByte(7);
            }
            else
            {
                // Its site is R_X86_64_PC32 .text + addend, the first RELA entry (offset 0): move it by one byte.
                var entry = new byte[24];
                stream.Position = rela;
                stream.ReadExactly(entry);
                Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(entry));
                BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(16), BinaryPrimitives.ReadInt64LittleEndian(entry.AsSpan(16)) + 1);
                stream.Position = rela;
                stream.Write(entry);
            }
        }

        var broken = Tool.Pvgen(["check", "--object", copy, "--model", model]);
        var original = Tool.Pvgen(["check", "--object", module, "--model", model]);

        Assert.True(original.ExitCode == 0, original.ToString());
        Assert.Equal(1, broken.ExitCode);
        Assert.Single(broken.Stderr.Split('\n'), l => l.Contains($"[{id}]", StringComparison.Ordinal));

        // The same corrupted module compressed as the kernel ships it is rejected with the same findings, named by its path.
        Skip.If(Tool.Find("xz") is null, "xz is not installed");
        Assert.Equal(0, Tool.Run("xz", ["--check=crc32", "--lzma2=dict=1MiB", "-k", "-T1", copy]).ExitCode);
        var compressed = Tool.Pvgen(["check", "--object", copy + ".xz", "--model", model]);
        Assert.Equal(1, compressed.ExitCode);
        Assert.Equal(broken.Stderr.Replace(copy, copy + ".xz", StringComparison.Ordinal), compressed.Stderr);
        Assert.Equal(broken.Stdout, compressed.Stdout);
    }

    private static (long AltInstructions, long Rela) Sections(string path)
    {
        using var stream = File.OpenRead(path);
        var elf = ElfFile.Read(stream);
        return ((long)elf.Sections.Single(s => s.Name.Value == ".altinstructions").Position, (long)elf.Sections.Single(s => s.Name.Value == ".rela.altinstructions").Position);
    }

    private static string ParseRealModel()
    {
        var kernels = DebianKernels612.Instance!;
        string output = Path.Combine(Repo.TempDir("kernel-612-model"), "x86_64.pvgen.json");
        var run = Tool.Pvgen(["parse", "arch/x86/include/asm/paravirt_types.h", "--struct", "paravirt_patch_template",
            "--kernel-tree", kernels.Source, "--kernel-build", kernels.BuildAmd64, "--target", "x86_64", "--format", "json", "-o", output]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return output;
    }
}
