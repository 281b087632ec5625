using PvGen.TestSupport;

namespace PvGen.Proving.Tests;

/// <summary>Input the proof cannot use: exit 2, a clear message, never a difference or a success.</summary>
public sealed class BadInputTests
{
    private static readonly string Config = Repo.Example("linux-5.10-x86_64", "pvgen.json");

    private static ToolResult Prove(string corpus, params string[] more)
    {
        string dir = Repo.TempDir("prove-bad");
        string file = Path.Combine(dir, "calls.c");
        File.WriteAllText(file, corpus);
        return Tool.Pvgen(["prove", "--config", Config, "--corpus", file, "--cc", "gcc", "--opt", "O2", "--record-format", "para16", "--style", "macro", .. more], dir);
    }

    /// <summary>A workload that faults before anything is patched proves nothing: exit 2, naming the fault.</summary>
    [Fact]
    public void A_workload_that_fails_unpatched_is_bad_input()
    {
        var run = Prove("void poke(void) { *(volatile unsigned long *)(pv_mmu_read_cr2() | 1) = 1; }\n");
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("workload-failed", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("the unpatched run faults", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("poke+0x", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corpus_that_does_not_compile_is_bad_input()
    {
        var run = Prove("void broken(void) { pv_no_such_op(); }\n");
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("calls.c", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--record-format", "alt12", "--record-format does not take 'alt12'; use one of: para6, para8, para16, alt14")]
    [InlineData("--record-format", "para12", "--record-format does not take 'para12'")]
    [InlineData("--format", "para16", "--format does not take 'para16'; use one of: table, json")]
    [InlineData("--style", "both", "--style does not take 'both'; use one of: macro, plain")]
    [InlineData("--opt", "O9", "--opt does not take 'O9'")]
    public void Bad_options_are_refused(string option, string value, string message)
    {
        var run = Tool.Pvgen(["prove", "--config", Config, option, value]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
    }
}
