using System.Text.Json;
using PvGen.Comparison;
using PvGen.Comparison.Reports;
using PvGen.Model;
using PvGen.TestSupport;

namespace PvGen.Kernel.Tests;

/// <summary>One real kernel diff: the report, its JSON, where its objects were kept, and what the run reported as progress.</summary>
public sealed record KbuildRun(string Kernel, DiffReport Report, JsonElement Json, string Keep, IReadOnlyList<KernelProgress> Progress, IReadOnlyList<Diagnostic> Diagnostics)
{
    public string Object(string tree, string obj) => Path.Combine(Keep, tree, obj);

    public JsonElement Build => Json.GetProperty("builds")[0];
}

/// <summary>
/// Builds the CI object set of Debian's 6.1 and 6.12 sources once per test run (pvgen diff --kernel-source through the
/// stage API, --keep-build into a temporary directory). The kernel cache is the shared default one, so a machine that
/// ran this before rebuilds nothing; scripts/kernel-diff.sh runs the full object set.
/// </summary>
public sealed class KbuildFixture
{
    /// <summary>Three objects with many pv sites that compile fast: the CI set (scripts/kernel-diff.sh builds the 20 of the default set).</summary>
    public static readonly string[] CiObjects = ["arch/x86/mm/pgtable.o", "mm/mprotect.o", "arch/x86/mm/tlb.o"];

    private readonly Dictionary<string, Lazy<KbuildRun>> runs;

    public KbuildFixture()
    {
        runs = new[] { "6.1", "6.12" }.ToDictionary(k => k, k => new Lazy<KbuildRun>(() => Run(k, CiObjects)));
    }

    /// <summary>The run of a kernel, built on first use; skips the test when the sources are not fetched or the kernel is not built here.</summary>
    public KbuildRun Get(string kernel)
    {
        string? skip = KernelSources.BuildSkipReason(kernel);
        Skip.If(skip is not null, skip);
        return runs[kernel].Value;
    }

    public static KbuildRun Run(string kernel, IReadOnlyList<string> objects, string? templates = null)
    {
        var source = KernelSources.Instance![kernel];
        string keep = Repo.TempDir($"kbuild-{kernel}");
        var progress = new List<KernelProgress>();
        var diagnostics = new List<Diagnostic>();
        var report = KernelDiff.Run(new KernelDiffRequest
        {
            Source = source.Tarball,
            Build = source.Build,
            Objects = objects,
            KeepBuild = keep,
            Jobs = 2,
            TemplateDirectory = templates,
        }, p =>
        {
            lock (progress)
            {
                progress.Add(p);
            }
        }, diagnostics);
        using var json = JsonDocument.Parse(JsonReport.Render(report));
        return new KbuildRun(kernel, report, json.RootElement.Clone(), keep, progress, diagnostics);
    }
}

[CollectionDefinition("kbuild")]
public sealed class KbuildCollection : ICollectionFixture<KbuildFixture>;
