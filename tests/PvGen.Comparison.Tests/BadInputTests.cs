using PvGen.TestSupport;

namespace PvGen.Comparison.Tests;

/// <summary>Bad input: a clear gcc-style message with the stable id, exit 2, and no report written.</summary>
public sealed class BadInputTests
{
    private static readonly string Config = Repo.Example("linux-5.10-x86_64", "pvgen.json");

    private static (ToolResult Run, string Output) Diff(string dir, params string[] args)
    {
        string output = Path.Combine(dir, "out.json");
        return (Tool.Pvgen(["diff", .. args, "--format", "json", "-o", output], dir), output);
    }

    [Fact]
    public void Unknown_key_in_the_diff_section_is_located_at_the_config()
    {
        string dir = Repo.TempDir("diff-bad");
        string config = Path.Combine(dir, "pvgen.json");
        File.WriteAllText(config, File.ReadAllText(Config).Replace("\"corpus\":", "\"corpsu\":", StringComparison.Ordinal)
            .Replace("\"header\": \"paravirt_types.h\"", $"\"header\": \"{Repo.Example("linux-5.10-x86_64", "paravirt_types.h")}\"", StringComparison.Ordinal));
        var (run, output) = Diff(dir, "--config", config);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{config}:9:5: error: unknown key 'diff.corpsu' (did you mean 'corpus'?) [PVG0002]", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void No_corpus_is_an_error()
    {
        string dir = Repo.TempDir("diff-bad");
        var (run, output) = Diff(dir, "--config", Repo.Example("toy", "pvgen.json"));
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("[PVG0503]", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Missing_corpus_file_and_bad_options_are_usage_errors()
    {
        string dir = Repo.TempDir("diff-bad");
        Assert.Contains("corpus file 'nope.c' not found [PVG0001]", Diff(dir, "--config", Config, "--corpus", "nope.c").Run.Stderr, StringComparison.Ordinal);
        foreach (string[] bad in new[] { new[] { "--opt", "O9" }, ["--pic", "maybe"], ["--cc", "no-such-cc"], ["--target", "arm64"], ["--jobs", "0"] })
        {
            var (run, output) = Diff(dir, ["--config", Config, .. bad]);
            Assert.True(run.ExitCode == 2, string.Join(' ', bad) + "\n" + run);
            Assert.Contains("error:", run.Stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(output));
        }
    }

    [Fact]
    public void A_corpus_file_that_does_not_compile_fails_its_build_with_the_compiler_message()
    {
        string dir = Repo.TempDir("diff-bad");
        File.WriteAllText(Path.Combine(dir, "broken.c"), "void f(void) { pv_irq_irq_disable( }\n");
        var (run, output) = Diff(dir, "--config", Config, "--corpus", "broken.c", "--cc", "gcc");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("build gcc-x86_64-O2-nopic failed", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("broken.c:1:", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("\"error\": \"macro style:", File.ReadAllText(output), StringComparison.Ordinal);
    }

    /// <summary>
    /// A corpus calling a wrapper the header does not declare (a removed op): gcc 12 in gnu11 only warns and builds a call
    /// to an unknown function, which diff then measured as if the build were good. Corpus builds use the kernel's
    /// -Werror=implicit-function-declaration, so the build fails with gcc's line. The oracle: gcc itself, with and without the flag.
    /// </summary>
    [Fact]
    public void A_corpus_calling_an_undeclared_wrapper_fails_its_build_as_in_the_kernel()
    {
        string dir = Repo.TempDir("diff-implicit");
        string source = Path.Combine(dir, "removed.c");
        File.WriteAllText(source, "void f(void) { pv_irq_removed_op(); }\n");
        var c = new Dictionary<string, string> { ["LC_ALL"] = "C" };
        var lenient = Tool.Run("gcc", ["-std=gnu11", "-O2", "-c", source, "-o", Path.Combine(dir, "lenient.o")], environment: c);
        Assert.True(lenient.ExitCode == 0 && lenient.Stderr.Contains("implicit declaration of function 'pv_irq_removed_op'", StringComparison.Ordinal), $"premise: gcc only warns\n{lenient}");
        Assert.NotEqual(0, Tool.Run("gcc", ["-std=gnu11", "-O2", "-Werror=implicit-function-declaration", "-c", source, "-o", Path.Combine(dir, "strict.o")]).ExitCode);

        var (run, output) = Diff(dir, "--config", Config, "--corpus", "removed.c", "--cc", "gcc", "--opt", "O2", "--pic", "no");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("build gcc-x86_64-O2-nopic failed", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("error: implicit declaration of function 'pv_irq_removed_op'", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("\"error\": \"macro style:", File.ReadAllText(output), StringComparison.Ordinal);
    }

    [Fact]
    public void Split_table_model_is_rejected_with_a_clear_message()
    {
        string dir = Repo.TempDir("diff-bad");
        var (run, output) = Diff(dir, "--config", Repo.Example("linux-2.6.24", "pvgen.json"), "--corpus", Path.Combine(Repo.Examples, "corpus", "tail_calls.c"));
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("[PVG0502]", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }
}
