using System.Text.Json;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Checking.Tests;

/// <summary>`pvgen check` end to end, as a maintainer runs it: generate, then check.</summary>
public sealed class CheckCommandTests
{
    [Theory]
    [MemberData(nameof(Examples.AllWithTargets), MemberType = typeof(Examples))]
    public void EveryExamplesOutputPassesWithEveryCompiler(string example, string target)
    {
        string dir = Generate(example, target);

        var run = Tool.Pvgen(["check", dir, "--format", "json"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var report = JsonDocument.Parse(run.Stdout);
        var builds = report.RootElement.GetProperty("builds").EnumerateArray().ToList();
        // Both styles, -O0 and -O2, for every compiler on this machine.
        Assert.Equal(Tool.Compilers().Count * 2 * 2, builds.Count);
        Assert.All(builds, b => Assert.True(b.GetProperty("compiled").GetBoolean()));
        Assert.All(report.RootElement.GetProperty("type_safety").EnumerateArray(),
            t => Assert.Equal(t.GetProperty("ops").GetInt32(), t.GetProperty("type_safe").GetInt32()));
    }

    [Fact]
    public void TamperedRecordTypeInAGeneratedHeaderFails()
    {
        string dir = Generate("toy", "x86_64");
        string header = Path.Combine(dir, "toy_ops_macro.h");
        // Make the restore_fl wrapper record slot 3 while it still calls slot 1.
        string text = File.ReadAllText(header);
        int at = text.IndexOf("_RECORD(1,", StringComparison.Ordinal);
        Assert.True(at > 0, "the record macro invocation for slot 1 is where the test expects it");
        File.WriteAllText(header, text[..at] + "_RECORD(3," + text[(at + "_RECORD(1,".Length)..]);

        var run = Tool.Pvgen(["check", dir, "--cc", "gcc"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"error: record type 3 \(irq\.irq_enable\) but the site calls irq\.restore_fl .*\[PVG0203\]", run.Stderr);
    }

    [Fact]
    public void SarifReportNamesTheRuleOfEachFinding()
    {
        string dir = Generate("toy", "x86_64");
        string header = Path.Combine(dir, "toy_ops_macro.h");
        File.WriteAllText(header, File.ReadAllText(header).Replace("_RECORD(1,", "_RECORD(3,", StringComparison.Ordinal));

        var run = Tool.Pvgen(["check", dir, "--cc", "gcc", "--opt", "O2", "--format", "sarif"]);

        Assert.Equal(1, run.ExitCode);
        using var sarif = JsonDocument.Parse(run.Stdout);
        var results = sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().ToList();
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.Equal("PVG0203", r.GetProperty("ruleId").GetString()));
    }

    [Fact]
    public void NotAGeneratedDirectoryIsBadInput()
    {
        var run = Tool.Pvgen(["check", Repo.TempDir("empty")]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no *.manifest.json", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ObjectModeWithoutAModelIsBadInput()
    {
        var run = Tool.Pvgen(["check", "--object", "/dev/null"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--object needs --model", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "ops": { "irq.save_fl": { "native": "9c5" } } }""", "PVG0312", "native bytes \"9c5\"")]
    [InlineData("""{ "ops": { "irq.save_fl": { "clobbers": ["rzz"] } } }""", "PVG0307", "unknown clobber register(s) 'rzz'")]
    public void ObjectModeRejectsABadConfigurationBeforeReadingAnything(string config, string id, string message)
    {
        string dir = Repo.TempDir("check-config");
        string model = Path.Combine(dir, "toy.pvgen.json");
        Assert.Equal(0, Tool.Pvgen(["parse", "--config", Repo.Example("toy", "pvgen.json"), "--format", "json", "-o", model]).ExitCode);
        string configPath = Path.Combine(dir, "pvgen.json");
        File.WriteAllText(configPath, config);

        var run = Tool.Pvgen(["check", "--object", dir, "--model", model, "--config", configPath]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"[{id}]", run.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
        Assert.Contains("pvgen.json:1:12: error:", run.Stderr, StringComparison.Ordinal); // at the op's entry
        Assert.Empty(run.Stdout);
    }

    /// <summary>
    /// check --object: the table goes to -o FILE (not nowhere), and an object that cannot be read is exit 2, as the help
    /// says, with its file named. The oracle for "unreadable": readelf refuses the same truncated bytes.
    /// </summary>
    [Fact]
    public void ObjectModeWritesTheTableToOutputAndAnUnreadableObjectIsExit2()
    {
        string dir = Repo.TempDir("check-output");
        string model = Path.Combine(dir, "toy.pvgen.json");
        Assert.Equal(0, Tool.Pvgen(["parse", "--config", Repo.Example("toy", "pvgen.json"), "--format", "json", "-o", model]).ExitCode);
        string source = Path.Combine(dir, "m.c");
        File.WriteAllText(source, "int x;\n");
        string good = Path.Combine(dir, "m.o");
        Assert.Equal(0, Tool.Run("gcc", ["-c", "-o", good, source]).ExitCode);
        string bad = Path.Combine(dir, "bad.o");
        File.WriteAllBytes(bad, File.ReadAllBytes(good)[..100]);
        var oracle = Tool.Run("readelf", ["-SW", bad]);
        Assert.True(oracle.ExitCode != 0 || oracle.Stderr.Contains("Error", StringComparison.Ordinal), $"readelf reads {bad}: the test's premise is wrong");

        string table = Path.Combine(dir, "report.txt");
        var written = Tool.Pvgen(["check", "--object", good, "--model", model, "-o", table, "--format", "table"]);
        Assert.True(File.Exists(table), $"check -o {table} --format table wrote nothing:\n{written}");
        Assert.Contains("objects", File.ReadAllText(table), StringComparison.Ordinal);
        Assert.Empty(written.Stdout);

        var unreadable = Tool.Pvgen(["check", "--object", bad, "--model", model]);
        Assert.Equal(2, unreadable.ExitCode);
        Assert.Contains($"{bad}: error: truncated", unreadable.Stderr, StringComparison.Ordinal);
    }

    internal static string Generate(string example, string target)
    {
        string dir = Repo.TempDir($"check-{example}-{target}");
        var run = Tool.Pvgen(["generate", "--config", Repo.Example(example, "pvgen.json"), "--target", target, "-o", dir]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return dir;
    }
}
