using PvGen.Model;
using PvGen.Project.Options;
using PvGen.Project.Workflows;
using PvGen.TestSupport;

namespace PvGen.Proving.Tests;

/// <summary>Runs the prove stage in-process on a bundled example, resolved as `pvgen prove --config` resolves it (the negative tests need its fault-injection seam).</summary>
public static class Proof
{
    public static ProveReport Run(string example, string arch, string style, string format, string optimization = "O2", string compiler = "gcc",
        Func<string, Binary.Annotating.AnnotationPlan, Binary.Annotating.AnnotationPlan>? fault = null, string? templates = null)
    {
        var diagnostics = new List<Diagnostic>();
        (string, string[])[] more = [("cc", [compiler]), ("opt", [optimization]), ("record-format", [format]), ("style", [style]),
            ("keep-build", [Repo.TempDir("prove")]), .. templates is null ? Array.Empty<(string, string[])>() : [("templates", [templates])]];
        var job = ProveWorkflow.Prepare(Examples.Settings(example, Verbs.Prove, arch, more), diagnostics);
        return ProveRunner.Run(job.Request with { Jobs = 1, AnnotationFault = fault }, diagnostics);
    }
}
