using PvGen.Checking.Annotations;
using PvGen.Comparison;
using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.IO;

namespace PvGen.Project.Workflows;

/// <summary>A diff to run: the matrix, where it is built, and where the report goes.</summary>
/// <param name="KeepBuild">True when the work directory was asked for (kept); false: a temporary one, removed after the run.</param>
public sealed record DiffJob(DiffRequest Request, ReportTarget Report, bool KeepBuild);

/// <summary>pvgen diff: both styles generated per target from the same settings as pvgen generate, and the matrix to build.</summary>
public static class DiffWorkflow
{
    public static DiffJob Prepare(Settings settings, List<Diagnostic> diagnostics)
    {
        var report = ObjectWorkflows.Report(settings, DiffOpts.Format);
        var optimizations = settings.List(DiffOpts.Optimizations);
        var pics = settings.List(DiffOpts.Pic).Select(p => p == "yes").ToList();
        int jobs = ObjectWorkflows.Jobs(settings, DiffOpts.Jobs);
        var corpus = Corpus(settings);
        var compilers = ObjectWorkflows.Compilers(settings, DiffOpts.Compilers);
        var targets = ParseInputs.Targets(settings);
        var styles = settings.List(DiffOpts.Styles);
        if (styles.Count > 0 && !(styles.Contains("macro") && styles.Contains("plain")))
        {
            throw settings.Invalid(DiffOpts.Styles, "diff measures against the macro and the plain style: --style must name both (marker adds a third column): macro,plain,marker");
        }

        bool marker = styles.Contains("marker");

        string? keep = settings.Path(DiffOpts.KeepBuild);
        string work = keep ?? Path.Combine(Path.GetTempPath(), "pvgen-diff-" + Guid.NewGuid().ToString("N")[..12]);
        var inputs = targets.Select(target => Prepare(settings, target, Path.Combine(work, "gen-" + target.Arch), marker, diagnostics)).ToList();
        var request = new DiffRequest(inputs, corpus, compilers, optimizations.Count == 0 ? ["O2"] : optimizations, pics.Count == 0 ? [false] : pics, work, jobs);
        return new DiffJob(request, report, keep is not null);
    }

    /// <summary>Parses the header for one target and writes both styles into the build directory.</summary>
    private static TargetInput Prepare(Settings settings, Target target, string directory, bool marker, List<Diagnostic> diagnostics)
    {
        var request = GenerateWorkflow.Request(settings, directory, diagnostics, target, marker ? ["macro", "plain", "marker"] : ["macro", "plain"]);
        var model = request.Model;
        if (model.TableSymbol is null)
        {
            throw new PvGenException([.. diagnostics, new Diagnostic(DiagnosticIds.DiffModelUnsupported, Severity.Error,
                $"struct {model.Struct} has no single table symbol (split pv_*_ops tables, as in 2.6.23-4.19): the scanner cannot diff it yet; "
                + "pass --symbol when one table holds every op", model.Location)]);
        }

        var generated = Generator.Generate(request with { Invocation = "pvgen diff" });
        diagnostics.AddRange(generated.Diagnostics);
        AtomicFile.CommitAll(generated.Files.Select(f => (Path.Combine(directory, f.Path), AtomicFile.Bytes(f.Content))));
        string macro = Path.Combine(directory, $"{generated.Plan.BaseName}_macro.h");
        string plain = Path.Combine(directory, $"{generated.Plan.BaseName}_plain.h");
        string? markerHeader = marker ? Path.Combine(directory, $"{generated.Plan.BaseName}_marker.h") : null;
        // Measurement 7 generates its own copies (one directory per style and format) from the same request.
        string? header = settings.Text(GenerateOpts.OpsInclude) is null ? Path.GetFullPath(request.Include, directory) : null;
        return new TargetInput(target, model, macro, plain, request.Environment.Flags(), ExpectedOps.From(model, settings.Config.Ops),
            new Proving.ProveTarget(request, header), markerHeader);
    }

    private static IReadOnlyList<string> Corpus(Settings settings)
    {
        var files = settings.List(DiffOpts.Corpus);
        if (files.Count == 0)
        {
            throw PvGenException.Error(DiagnosticIds.DiffNoCorpus, "no caller corpus: pass --corpus FILE... or set \"diff\": {\"corpus\": [...]} in pvgen.json");
        }

        foreach (string file in files.Where(f => !File.Exists(f)))
        {
            throw PvGenException.Error(DiagnosticIds.FileNotFound, $"corpus file '{settings.Display(file)}' not found", settings.Where(DiffOpts.Corpus));
        }

        var clash = files.GroupBy(f => Path.GetFileNameWithoutExtension(f)).FirstOrDefault(g => g.Count() > 1);
        return clash is null
            ? files
            : throw settings.Invalid(DiffOpts.Corpus, $"two corpus files share the name '{clash.Key}' (objects are named after the file): rename one");
    }
}
