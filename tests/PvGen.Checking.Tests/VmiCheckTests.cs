using System.Text.Json;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Checking.Tests;

/// <summary>
/// The VMI template set end to end: `pvgen generate --template-set vmi`, then `pvgen check`, which compiles the exerciser
/// with every compiler at -O0 and -O2 and verifies every vmi24 record from the object. Record counts come from readelf.
/// </summary>
public sealed class VmiCheckTests
{
    /// <summary>Every bundled example on the target its pvgen.json (and its native bytes) is written for: both targets covered.</summary>
    public static TheoryData<string, string> OwnTargets => new()
    {
        { "toy", "x86_64" },
        { "linux-5.10-x86_64", "x86_64" },
        { "linux-2.6.22-i386", "i386" },
        { "linux-2.6.24", "i386" },
    };

    [Theory]
    [MemberData(nameof(OwnTargets))]
    public void EveryExamplesVmiOutputPassesWithEveryCompiler(string example, string target)
    {
        string dir = Generate(example, target);
        string keep = Repo.TempDir($"vmi-keep-{example}-{target}");

        var run = Tool.Pvgen(["check", dir, "--format", "json", "--keep-build", keep]);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var report = JsonDocument.Parse(run.Stdout);
        var builds = report.RootElement.GetProperty("builds").EnumerateArray().ToList();
        var vmi = builds.Where(b => b.GetProperty("style").GetString() == "vmi").ToList();
        Assert.Equal(Tool.Compilers().Count * 2, vmi.Count);
        Assert.All(builds, b => Assert.True(b.GetProperty("compiled").GetBoolean()));

        // readelf, not our reader: two relocations (site, bind) per record, one record per recorded wrapper.
        using var manifest = JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(dir, "*.manifest.json").Single()));
        int recorded = manifest.RootElement.GetProperty("ops").EnumerateArray().Count(o => o.GetProperty("macro_style").GetString() == "asm");
        var objects = Directory.GetFiles(keep, "*.vmi.*.o", SearchOption.AllDirectories);
        Assert.Equal(Tool.Compilers().Count * 2, objects.Length);
        foreach (string obj in objects)
        {
            Assert.Equal(2 * recorded, RelocationEntries(obj, ".pvgen.vmi"));
        }

        Assert.All(vmi, b => Assert.Equal(recorded, b.GetProperty("records").GetInt32()));
    }

    /// <summary>
    /// A maintainer's override of the record template that records write_cr3's input as rsi: the asm still binds rdi
    /// (the witness says so), and check names the wrapper, the input and both registers.
    /// </summary>
    [Fact]
    public void AnOverrideThatRecordsTheWrongInputRegisterFails()
    {
        string templates = Repo.TempDir("vmi-wrong-register");
        Directory.CreateDirectory(Path.Combine(templates, "records"));
        string original = File.ReadAllText(Path.Combine(Repo.Root, "templates", "records", "vmi24.sbn-c"));
        const string Field = "\"{{ field.directive }} {{ op.vmi.record[field.name] }}\\n\\t\"";
        Assert.Contains(Field, original, StringComparison.Ordinal);
        string broken = original.Replace(Field,
            "\"{{ field.directive }} {{ if op.path == \"mmu.write_cr3\" && field.name == \"inputs\" }}6, 255, 255, 255, 255, 255{{ else }}{{ op.vmi.record[field.name] }}{{ end }}\\n\\t\"",
            StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(templates, "records", "vmi24.sbn-c"), broken);
        string dir = Generate("toy", "x86_64", "--templates", templates);
        Assert.Contains(".byte 6, 255, 255, 255, 255, 255", File.ReadAllText(Path.Combine(dir, "toy_ops_vmi.h")), StringComparison.Ordinal);

        var run = Tool.Pvgen(["check", dir, "--cc", "gcc"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"pv_mmu_write_cr3 \(mmu\.write_cr3\): the record says input 0 is rsi, but the asm binds rdi \[PVG0223\]", run.Stderr);
        Assert.DoesNotMatch(@"pv_irq_restore_fl .*\[PVG0223\]", run.Stderr);
    }

    /// <summary>An override that records too few registers (drops restore_fl's input) is caught by the witness count.</summary>
    [Fact]
    public void AnOverrideThatDropsAnInputRegisterFails()
    {
        string templates = Repo.TempDir("vmi-dropped-register");
        Directory.CreateDirectory(Path.Combine(templates, "records"));
        string original = File.ReadAllText(Path.Combine(Repo.Root, "templates", "records", "vmi24.sbn-c"));
        const string Field = "\"{{ field.directive }} {{ op.vmi.record[field.name] }}\\n\\t\"";
        File.WriteAllText(Path.Combine(templates, "records", "vmi24.sbn-c"), original.Replace(Field,
            "\"{{ field.directive }} {{ if op.path == \"irq.restore_fl\" && field.name == \"nr_inputs\" }}0{{ else }}{{ op.vmi.record[field.name] }}{{ end }}\\n\\t\"",
            StringComparison.Ordinal));
        string dir = Generate("toy", "x86_64", "--templates", templates);

        var run = Tool.Pvgen(["check", dir, "--cc", "gcc", "--opt", "O2"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"pv_irq_restore_fl \(irq\.restore_fl\): the record names 0 input and 0 output registers, but the asm binds 1 \(rdi\) \[PVG0223\]", run.Stderr);
    }

    /// <summary>
    /// The toy's native bytes are x86-64 code: on i386, "57 9d" is push %edi; popf, but restore_fl's argument arrives in
    /// %eax. The macro style cannot see this; the VMI check decodes the native default's register use and fails.
    /// </summary>
    [Fact]
    public void NativeBytesOfTheWrongTargetFailTheRegisterCheck()
    {
        string dir = Generate("toy", "i386");

        var run = Tool.Pvgen(["check", dir, "--cc", "gcc", "--opt", "O2"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"pv_irq_restore_fl \(irq\.restore_fl\): the native default \(push edi\) reads edi, which is not among the site's inputs \(eax\) \[PVG0224\]", run.Stderr);
        Assert.DoesNotMatch(@"pv_irq_save_fl .*\[PVG0224\]", run.Stderr);
    }

    private static string Generate(string example, string target, params string[] more)
    {
        string dir = Repo.TempDir($"vmi-{example}-{target}-{more.Length}");
        var run = Tool.Pvgen(["generate", "--config", Repo.Example(example, "pvgen.json"), "--target", target, "--template-set", "vmi", "-o", dir, .. more]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return dir;
    }

    private static int RelocationEntries(string obj, string section)
    {
        var run = Tool.Run("readelf", ["-rW", obj]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var line = run.Stdout.Split('\n').FirstOrDefault(l => l.Contains($"'.rela{section}'", StringComparison.Ordinal) || l.Contains($"'.rel{section}'", StringComparison.Ordinal));
        Assert.NotNull(line);
        return int.Parse(System.Text.RegularExpressions.Regex.Match(line, @"contains (\d+) entr").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
