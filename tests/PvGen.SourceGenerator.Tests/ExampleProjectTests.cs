using System.Runtime.InteropServices;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.SourceGenerator.Tests;

/// <summary>
/// examples/csharp is not in PvGen.sln (it would build pvgen and gcc output inside every solution build); this test
/// builds and runs it exactly as a user would, `dotnet build` then `dotnet run` as processes, with the default
/// output folders (after `dotnet test PvGen.sln` the solution's projects are already built there, so it is quick).
/// </summary>
public sealed class ExampleProjectTests
{
    [SkippableFact]
    public void Csharp_example_builds_with_the_generator_runs_and_reruns_pvgen_only_when_the_model_is_stale()
    {
        Skip.IfNot(RuntimeInformation.ProcessArchitecture == Architecture.X64 && OperatingSystem.IsLinux(), "the example's backend is built for x86_64 Linux");
        Skip.If(Tool.Find("gcc") is null, "gcc is not installed");
        string project = Path.Combine(Repo.Root, "examples", "csharp", "PvGen.Example.CSharp.csproj");
        var build = Dotnet("build", project);
        Assert.True(build.ExitCode == 0, build.ToString());

        var run = Dotnet("run", "--project", project, "--no-build");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("struct toy_ops (x86_64, 64 bytes, 8 ops) from libtoy_backend.so:", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("slot  5  +0x28  mmu.set_pte        void set_pte(pte_t *ptep, pte_t pte)", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("flags after irq_disable: 0x2, after irq_enable: 0x202", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("cr3: 0x12345000, pte: 0x8000000000000067, TLB flushes: 1", run.Stdout, StringComparison.Ordinal);

        // Unchanged header: the parse is skipped (Inputs/Outputs). A model older than its header: parsed again.
        var again = Dotnet("build", project, "--no-restore", "-v:n");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("Skipping target \"PvGenParse\"", again.Stdout, StringComparison.Ordinal);
        string model = Path.Combine(Repo.Root, "examples", "csharp", "obj", "pvgen", "toy.pvgen.json");
        Assert.True(File.Exists(model), model);
        File.SetLastWriteTimeUtc(model, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var stale = Dotnet("build", project, "--no-restore", "-v:n");
        Assert.True(stale.ExitCode == 0, stale.ToString());
        Assert.Contains("pvgen.dll\" parse", stale.Stdout, StringComparison.Ordinal);
    }

    private static ToolResult Dotnet(params string[] args) => Tool.Run("dotnet", args, Repo.Root, timeoutSeconds: 600);
}
