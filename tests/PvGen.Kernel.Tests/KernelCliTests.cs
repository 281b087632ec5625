using PvGen.TestSupport;

namespace PvGen.Kernel.Tests;

/// <summary>pvgen diff --kernel-source as a user runs it: bad input is one located error, exit 2, before any work and without output.</summary>
public sealed class KernelCliTests
{
    /// <summary>A build tree holding only a .config that passes the checks (an x86-64 paravirt kernel).</summary>
    private static string BuildTree()
    {
        string dir = Repo.TempDir("kcli-build");
        File.WriteAllText(Path.Combine(dir, ".config"), "CONFIG_X86_64=y\nCONFIG_PARAVIRT=y\n");
        return dir;
    }

    private static ToolResult Diff(string dir, params string[] args) => Tool.Pvgen(["diff", .. args, "--format", "json", "-o", "report.json"], dir);

    [Theory]
    [InlineData("mm/memory.c", "is not an object path")]
    [InlineData("/abs/memory.o", "is not an object path")]
    [InlineData("../mm/memory.o", "is not an object path")]
    [InlineData("mm/memory.o,mm/memory.o", "named twice")]
    public void A_bad_object_list_is_refused_before_any_work(string objects, string message)
    {
        string dir = Repo.TempDir("kcli");
        var run = Diff(dir, "--kernel-source", "/nonexistent/linux-source-6.1.tar.xz", "--kernel-build", BuildTree(), "--objects", objects,
            "--kernel-cache", Path.Combine(dir, "cache"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("[PVG0803]", run.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "report.json")));
        Assert.False(Directory.Exists(Path.Combine(dir, "cache")), "no work was to be done");
    }

    [Fact]
    public void A_tree_that_is_not_a_kernel_is_refused()
    {
        string dir = Repo.TempDir("kcli");
        var run = Diff(dir, "--kernel-source", FakeTreeTests.Tree, "--kernel-build", BuildTree(), "--objects", "arch/x86/mm/pgtable.o",
            "--kernel-cache", Path.Combine(dir, "cache"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is not an x86 kernel source tree: Makefile is missing", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "report.json")));
    }

    [Fact]
    public void A_configuration_that_is_not_a_paravirt_x86_64_kernel_is_refused()
    {
        string dir = Repo.TempDir("kcli");
        string build = BuildTree();
        File.WriteAllText(Path.Combine(build, ".config"), "CONFIG_X86_64=y\n# CONFIG_PARAVIRT is not set\n");
        var run = Diff(dir, "--kernel-source", FakeTreeTests.Tree, "--kernel-build", build);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("does not enable CONFIG_PARAVIRT", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Kernel_source_needs_kernel_build()
    {
        string dir = Repo.TempDir("kcli");
        var run = Diff(dir, "--kernel-source", FakeTreeTests.Tree);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--kernel-source needs --kernel-build", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--objects", "mm/memory.o")]
    [InlineData("--kernel-cc", "gcc-12")]
    public void Kernel_options_need_kernel_source(string option, string value)
    {
        string dir = Repo.TempDir("kcli");
        var run = Diff(dir, option, value, "--config", Repo.Example("linux-5.10-x86_64", "pvgen.json"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("applies only with --kernel-source", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Corpus_options_do_not_apply_to_a_kernel()
    {
        string dir = Repo.TempDir("kcli");
        var run = Diff(dir, "--kernel-source", FakeTreeTests.Tree, "--kernel-build", BuildTree(), "--opt", "O0");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("does not apply with --kernel-source", run.Stderr, StringComparison.Ordinal);
    }
}
