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
}
