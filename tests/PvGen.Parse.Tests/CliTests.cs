using PvGen.Model.Json;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Parse.Tests;

/// <summary>`pvgen parse` as a user runs it.</summary>
public sealed class CliTests
{
    [Fact]
    public void TableListsEveryOpWithSlotOffsetAndSignature()
    {
        var run = Tool.Pvgen(["parse", "--config", Repo.Example("toy", "pvgen.json")]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("struct toy_ops", run.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\s+5\s+0x28\s+mmu\.set_pte\s+void \(pte_t \*ptep, pte_t pte\)", run.Stdout);
        Assert.Equal(8, run.Stdout.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+\d+\s+0x[0-9a-f]+\s")));
    }

    [Fact]
    public void JsonOutputIsWrittenOnlyWhenItChanges()
    {
        string dir = Repo.TempDir("cli");
        string output = Path.Combine(dir, "toy.pvgen.json");
        string[] args = ["parse", "--config", Repo.Example("toy", "pvgen.json"), "--format", "json", "-o", output];

        Assert.Equal(0, Tool.Pvgen(args).ExitCode);
        var model = ModelJson.Deserialize(File.ReadAllText(output), output);
        var stamp = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(output, stamp);
        Assert.Equal(0, Tool.Pvgen(args).ExitCode);

        Assert.Equal(stamp, File.GetLastWriteTimeUtc(output));
        Assert.Equal(8, model.Ops.Count);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void CommandLineOverridesTheConfigFile()
    {
        var run = Tool.Pvgen(["parse", "--config", Repo.Example("toy", "pvgen.json"), "--target", "i386", "--format", "json"]);

        Assert.Equal(0, run.ExitCode);
        var model = ModelJson.Deserialize(run.Stdout, "stdout");
        Assert.Equal(("i386", 4), (model.Target.Arch, model.Target.PointerSize));
        Assert.Equal(32, model.StructSize);
    }

    [Fact]
    public void HelpTeachesWithExamples()
    {
        var run = Tool.Pvgen(["parse", "--help"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--kernel-tree", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Examples:", run.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// An i386 kernel tree (its .config says CONFIG_X86_32=y) parsed without --target: the model follows the tree, the
    /// header named on the command line is found in the tree (one rule with pvgen.json's "header"), and a --target that
    /// contradicts the tree is refused at the option. The layout oracle: gcc -m32's offsetof on the same header.
    /// </summary>
    [Fact]
    public void An_i386_tree_decides_the_target_and_a_contradiction_is_refused()
    {
        string dir = Repo.TempDir("tree32-cli");
        string tree = Path.Combine(dir, "linux");
        Directory.CreateDirectory(Path.Combine(tree, "arch"));
        File.WriteAllText(Path.Combine(tree, ".config"), "CONFIG_X86=y\nCONFIG_X86_32=y\n");
        string header = Path.Combine(tree, "arch", "pv.h");
        File.WriteAllText(header, "struct a { long x; void (*f)(long); };\n");
        string probe = Path.Combine(dir, "probe.c");
        File.WriteAllText(probe, $"#include \"{header}\"\n#include <stddef.h>\nchar offset_is[offsetof(struct a, f)];\n");
        Assert.Equal(0, Tool.Run("gcc", ["-m32", "-c", probe, "-o", Path.Combine(dir, "probe.o")]).ExitCode);
        var symbols = Tool.Run("nm", ["-S", Path.Combine(dir, "probe.o")]).Stdout;
        long gccOffset = Convert.ToInt64(symbols.Split('\n').Single(l => l.EndsWith(" offset_is", StringComparison.Ordinal)).Split(' ')[1], 16);

        var run = Tool.Pvgen(["parse", "arch/pv.h", "--struct", "a", "--kernel-tree", "linux", "--format", "json"], dir);

        Assert.True(run.ExitCode == 0, run.ToString());
        var model = ModelJson.Deserialize(run.Stdout, "stdout");
        Assert.Equal(("i386", 4), (model.Target.Arch, model.Target.PointerSize));
        Assert.Equal(gccOffset, model.Ops.Single().Offset);

        var contradiction = Tool.Pvgen(["parse", "arch/pv.h", "--struct", "a", "--kernel-tree", "linux", "--target", "x86_64"], dir);
        Assert.Equal(2, contradiction.ExitCode);
        Assert.Contains("error: --target: the kernel tree is configured for i386 (its .config), not x86_64", contradiction.Stderr, StringComparison.Ordinal);
        Assert.Empty(contradiction.Stdout);
    }

    /// <summary>
    /// A header that only draws a warning (no ';' before '}') is refused by generate at the header's line and column, exit 2,
    /// with nothing written: check compiles it under -Werror, where gcc rejects it. The oracle: gcc under check's warnings
    /// rejects it, on the same line.
    /// </summary>
    [Fact]
    public void Generate_refuses_a_header_that_check_cannot_compile_and_writes_nothing()
    {
        string dir = Repo.TempDir("cli-werror");
        File.WriteAllText(Path.Combine(dir, "h.h"), "struct ops { void (*a)(void); int (*b)(int x) };\nextern struct ops pv_table;\n");
        var gcc = Tool.Run("gcc", ["-fsyntax-only", .. PvGen.Model.CompileEnvironment.CheckWarnings, "-x", "c", "h.h"], dir);
        Assert.True(gcc.ExitCode != 0, gcc.ToString());
        Assert.Contains("h.h:1:", gcc.Stderr, StringComparison.Ordinal);

        var run = Tool.Pvgen(["generate", "h.h", "--struct", "ops", "--symbol", "pv_table", "-o", "out"], dir);

        Assert.Equal(2, run.ExitCode);
        Assert.Matches(@"^h\.h:1:\d+: error: expected ';' at end of declaration list .*\[PVG0102\]", run.Stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")), "generate refused its input but wrote out/");
        UserMessages.AssertOurs(run.Stderr, "missing ';' before '}'");
    }
}
