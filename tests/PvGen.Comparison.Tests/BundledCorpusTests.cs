using PvGen.TestSupport;

namespace PvGen.Comparison.Tests;

/// <summary>The README's quick start: the bundled example's pvgen.json names its corpus, so `pvgen diff --config` is the whole command.</summary>
public sealed class BundledCorpusTests
{
    [Fact]
    public void Diff_on_the_bundled_example_prints_the_table_with_lost_sites()
    {
        var run = Tool.Pvgen(["diff", "--config", Repo.Example("linux-5.10-x86_64", "pvgen.json"), "--cc", "gcc"], Repo.Root);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("pvgen diff: macro vs reloc approach for paravirt_patch_template (pv_ops)", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("examples/corpus/loaded_once.c", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("gcc-x86_64-O2-nopic", run.Stdout, StringComparison.Ordinal);

        // The three ways the reloc approach loses sites in the bundled corpus at -O2: tail calls, loaded-once pointers, addresses.
        Assert.Contains("arch_safe_halt+0x0", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("tail-jump", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("kick_all+", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("verdict per op", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_report_has_every_section()
    {
        string dir = Repo.TempDir("diff-md");
        string md = Path.Combine(dir, "diff.md");
        var run = Tool.Pvgen(["diff", "--config", Repo.Example("linux-5.10-x86_64", "pvgen.json"), "--cc", "gcc", "--format", "md", "-o", md], Repo.Root);
        Assert.True(run.ExitCode == 0, run.ToString());
        string text = File.ReadAllText(md);
        foreach (string heading in new[] { "# pvgen diff", "## Builds", "## Sites lost by the reloc approach", "## Register environment per function", "## Verdict per op" })
        {
            Assert.Contains(heading, text, StringComparison.Ordinal);
        }

        Assert.Contains("| gcc-x86_64-O2-nopic | tail_calls.c | `arch_safe_halt+0x0` | .text+0x0 | 6 | jmp | irq.safe_halt | tail-jump |", text, StringComparison.Ordinal);
        Assert.Empty(run.Stdout);
    }
}
