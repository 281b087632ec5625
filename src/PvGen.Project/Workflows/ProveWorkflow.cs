using PvGen.Model;
using PvGen.Proving;

namespace PvGen.Project.Workflows;

/// <summary>A proof to run: the request, where the report goes, and whether the build directory is kept.</summary>
public sealed record ProveJob(ProveRequest Request, ReportTarget Report, bool KeepBuild);

/// <summary>pvgen prove: every target's generation request (the same settings as pvgen generate), the corpus and the matrix.</summary>
public static class ProveWorkflow
{
    public static ProveJob Prepare(Settings settings, List<Diagnostic> diagnostics)
    {
        var report = ObjectWorkflows.Report(settings, ProveOpts.Format);
        var compilers = ObjectWorkflows.Compilers(settings, ProveOpts.Compilers);
        var optimizations = settings.List(ProveOpts.Optimizations);
        var formats = settings.List(ProveOpts.RecordFormats);
        var styles = settings.List(ProveOpts.Styles);
        int jobs = ObjectWorkflows.Jobs(settings, ProveOpts.Jobs);

        // The corpus is diff's (--corpus, or "diff": {"corpus": [...]}); without one the exerciser alone is the workload.
        var corpus = settings.List(DiffOpts.Corpus);
        foreach (string file in corpus.Where(f => !File.Exists(f)))
        {
            throw PvGenException.Error(DiagnosticIds.FileNotFound, $"corpus file '{settings.Display(file)}' not found", settings.Where(DiffOpts.Corpus));
        }

        var clash = corpus.GroupBy(f => Path.GetFileNameWithoutExtension(f)).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw settings.Invalid(DiffOpts.Corpus, $"two corpus files share the name '{clash.Key}' (objects are named after the file): rename one");
        }

        string? keep = settings.Path(ProveOpts.KeepBuild);
        string work = keep ?? Path.Combine(Path.GetTempPath(), "pvgen-prove-" + Guid.NewGuid().ToString("N")[..12]);
        var targets = new List<ProveTarget>();
        foreach (var target in ParseInputs.Targets(settings))
        {
            string directory = Path.Combine(work, "gen-" + target.Arch);
            var request = GenerateWorkflow.Request(settings, directory, diagnostics, target, [ProveStyles.Plain]);
            string? header = settings.Text(GenerateOpts.OpsInclude) is null ? Path.GetFullPath(request.Include, directory) : null;
            targets.Add(new ProveTarget(request, header));
        }

        var prove = new ProveRequest(targets, corpus, compilers, optimizations.Count == 0 ? ["O0", "O2"] : optimizations, formats.Count == 0 ? null : formats,
            styles.Count == 0 ? ProveStyles.Default : styles, settings.Path(GenerateOpts.Templates), work, jobs);
        return new ProveJob(prove, report, keep is not null);
    }
}
