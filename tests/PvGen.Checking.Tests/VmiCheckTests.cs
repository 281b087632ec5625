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
    /// <summary>
    /// Every bundled example on both targets: each pvgen.json gives its native bytes per target where they differ
    /// ("native": {"x86_64": ..., "i386": ...}), and an instruction one target lacks (swapgs on i386) keeps the call there.
    /// </summary>
    [Theory]
    [MemberData(nameof(Examples.AllWithTargets), MemberType = typeof(Examples))]
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
    /// x86-64 native bytes given as one string for every target: on i386, "57 9d" is push %edi; popf, but restore_fl's
    /// argument arrives in %eax. The macro style cannot see this; the VMI check decodes the native default's register use
    /// and fails.
    /// </summary>
    [Fact]
    public void NativeBytesOfTheWrongTargetFailTheRegisterCheck()
    {
        string config = Path.Combine(Repo.TempDir("vmi-one-target-natives"), "pvgen.json");
        File.WriteAllText(config, $$"""
            {
              "header": "{{Repo.Example("toy", "toy_ops.h").Replace("\\", "/", StringComparison.Ordinal)}}",
              "struct": "toy_ops",
              "symbol": "toy_ops",
              "ops": {
                "irq.save_fl": { "native": "9c 58" },
                "irq.restore_fl": { "native": "57 9d" }
              }
            }
            """);
        string dir = Generate(config, "i386");

        var run = Tool.Pvgen(["check", dir, "--cc", "gcc", "--opt", "O2"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"pv_irq_restore_fl \(irq\.restore_fl\): the native default \(push edi\) reads edi, which is not among the site's inputs \(eax\) \[PVG0224\]", run.Stderr);
        Assert.DoesNotMatch(@"pv_irq_save_fl .*\[PVG0224\]", run.Stderr);
    }

    /// <summary>swapgs has no i386 encoding: 5.10's pvgen.json gives it for x86_64 only, so on i386 the site keeps the call, with a located note.</summary>
    [Fact]
    public void A_native_given_for_the_other_target_only_keeps_the_call_with_a_note()
    {
        string config = Repo.Example("linux-5.10-x86_64", "pvgen.json");
        int line = File.ReadAllLines(config).ToList().FindIndex(l => l.Contains("\"cpu.swapgs\"", StringComparison.Ordinal)) + 1;
        string NativeOf(string target, out string stderr)
        {
            string dir = Repo.TempDir($"vmi-swapgs-{target}");
            var run = Tool.Pvgen(["generate", "--config", config, "--target", target, "--template-set", "vmi", "-o", dir]);
            Assert.True(run.ExitCode == 0, run.ToString());
            stderr = run.Stderr;
            using var manifest = JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(dir, "*.manifest.json").Single()));
            var swapgs = manifest.RootElement.GetProperty("ops").EnumerateArray().Single(o => o.GetProperty("path").GetString() == "cpu.swapgs");
            return swapgs.GetProperty("native").ValueKind == JsonValueKind.String ? swapgs.GetProperty("native").GetString()! : "(none)";
        }

        Assert.Equal("0f 01 f8", NativeOf("x86_64", out string own));
        Assert.DoesNotContain("PVG0314", own, StringComparison.Ordinal);
        Assert.Equal("(none)", NativeOf("i386", out string other));
        Assert.Contains($"pvgen.json:{line}:5: note: op 'cpu.swapgs': pvgen.json gives native bytes for x86_64 only, so on i386 its sites keep the call [PVG0314]", other, StringComparison.Ordinal);
    }

    /// <param name="example">A bundled example's name, or a pvgen.json path.</param>
    private static string Generate(string example, string target, params string[] more)
    {
        string config = File.Exists(example) ? example : Repo.Example(example, "pvgen.json");
        string dir = Repo.TempDir($"vmi-{Path.GetFileName(Path.GetDirectoryName(config))}-{target}-{more.Length}");
        var run = Tool.Pvgen(["generate", "--config", config, "--target", target, "--template-set", "vmi", "-o", dir, .. more]);
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
