using System.Globalization;
using System.Text.Json;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Checking.Tests;

/// <summary>
/// `pvgen check --object` on a linked kernel. A vmlinux refers to pv_ops in ways no record covers on purpose: the init
/// code that fills the table, compares against native functions, and plain C calls through a loaded pointer
/// (<c>__set_fixmap</c>). The kernel's patcher only rewrites recorded calls, so those are one note with their count, and
/// every record still verifies, clobber masks included (6.1: the kernel's CLBR_RET_REG and CLBR_ANY, unconfigured).
/// </summary>
public sealed class VmlinuxCheckTests
{
    [SkippableTheory]
    [InlineData("6.1")]
    [InlineData("6.12")]
    public void NonCallReferencesAreOneNoteAndEveryRecordVerifies(string version)
    {
        string? vmlinux = version == "6.1" ? DebianVmlinux.Linux61 : DebianVmlinux.Linux612;
        Skip.If(vmlinux is null, DebianVmlinux.Reason(version));
        string model = ParseModel(version);

        var run = Tool.Pvgen(["check", "--object", vmlinux!, "--model", model, "--format", "json"]);

        Assert.True(run.ExitCode == 0, run.ToString()[..Math.Min(4000, run.ToString().Length)]);
        using var report = JsonDocument.Parse(run.Stdout);
        var root = report.RootElement;
        int noted = root.GetProperty("non_call_references").GetInt32();
        var finding = Assert.Single(root.GetProperty("findings").EnumerateArray());
        Assert.Equal(("PVG0210", "note"), (finding.GetProperty("id").GetString(), finding.GetProperty("severity").GetString()));
        Assert.StartsWith($"{noted} references are to the table but no call through it", finding.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Single(run.Stderr.Split('\n'), l => l.Contains("note:", StringComparison.Ordinal));
        var checks = root.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!);
        Assert.Equal(root.GetProperty("records").GetInt32(), checks["PVG0201"].GetProperty("verified").GetInt32());
        if (version == "6.1")
        {
            Assert.Equal(root.GetProperty("records").GetInt32(), checks["PVG0207"].GetProperty("verified").GetInt32());
        }

        // The noted references are the sites without a record, and none of them is a call or jump through memory: the
        // bytes at each, read from the file at readelf's section offsets, are not ff /2 or ff /4 with a memory operand.
        var scan = Tool.Pvgen(["scan", vmlinux!, "--model", model, "--format", "json"]);
        using var scanned = JsonDocument.Parse(scan.Stdout);
        var unrecorded = scanned.RootElement.GetProperty("files")[0].GetProperty("sites").EnumerateArray().Where(s => !s.GetProperty("annotated").GetBoolean()).ToList();
        Assert.Equal(noted, unrecorded.Count);
        Assert.True(noted > 0, "a linked kernel fills its table at boot");
        var sections = SectionFileOffsets(vmlinux!);
        using var file = File.OpenRead(vmlinux!);
        foreach (var site in unrecorded)
        {
            var bytes = new byte[3];
            file.Position = sections[site.GetProperty("section").GetString()!] + site.GetProperty("offset").GetInt64();
            file.ReadExactly(bytes);
            int at = bytes[0] is 0x2e or 0x3e ? 1 : 0; // a segment prefix (notrack) before the opcode
            bool callOrJmpThroughMemory = bytes[at] == 0xff && ((bytes[at + 1] >> 3) & 7) is 2 or 4 && bytes[at + 1] >> 6 != 3;
            Assert.False(callOrJmpThroughMemory, $"{site}: a call through memory was only noted");
        }
    }

    private static Dictionary<string, long> SectionFileOffsets(string path)
    {
        // "[Nr] Name Type Address Off Size ...": the name, and the file offset.
        var run = Tool.Run("readelf", ["-SW", path]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in run.Stdout.Split('\n'))
        {
            int close = line.IndexOf(']', StringComparison.Ordinal);
            string[] fields = close < 0 ? [] : line[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[0].StartsWith('.'))
            {
                offsets.TryAdd(fields[0], long.Parse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }

        return offsets;
    }

    private static string ParseModel(string version)
    {
        string source, build;
        if (version == "6.1")
        {
            Skip.If(DebianKernels.Instance is null, DebianKernels.Reason);
            (source, build) = (DebianKernels.Instance!.Source, DebianKernels.Instance.BuildAmd64);
        }
        else
        {
            Skip.If(DebianKernels612.Instance is null, DebianKernels612.Reason);
            (source, build) = (DebianKernels612.Instance!.Source, DebianKernels612.Instance.BuildCloudAmd64 ?? DebianKernels612.Instance.BuildAmd64);
        }

        string output = Path.Combine(Repo.TempDir("vmlinux-model"), $"{version}.pvgen.json");
        var run = Tool.Pvgen(["parse", "arch/x86/include/asm/paravirt_types.h", "--struct", "paravirt_patch_template",
            "--kernel-tree", source, "--kernel-build", build, "--target", "x86_64", "--format", "json", "-o", output]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return output;
    }
}
