using PvGen.Binary;
using PvGen.Binary.Annotating;
using PvGen.Checking.Annotations;
using PvGen.Model;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Project.Workflows;

/// <summary>An annotate run: each object and where its annotated copy goes, what annotate is given, and where the report goes.</summary>
public sealed record AnnotateJob(IReadOnlyList<(string Input, string Output)> Objects, AnnotateOptions Options, ReportTarget Report);

/// <summary>pvgen annotate: settings to the annotate stage's options (the model, when given, names the table and its jump ops).</summary>
public static class AnnotateWorkflow
{
    public static AnnotateJob Prepare(Settings settings, List<Diagnostic> diagnostics)
    {
        var objects = (settings.CommandLine(AnnotateOpts.Objects) ?? []).Select(o => Path.GetFullPath(o, settings.WorkingDirectory)).ToList();
        foreach (string missing in objects.Where(o => !File.Exists(o)))
        {
            throw PvGenException.Error(DiagnosticIds.FileNotFound, $"'{settings.Display(missing)}' not found");
        }

        string output = settings.Path(AnnotateOpts.Output)
            ?? throw PvGenException.Error(DiagnosticIds.BadOption, "give -o OUT: the annotated object, or a directory for several objects");
        IReadOnlyList<(string, string)> jobs;
        try
        {
            jobs = AnnotateBatch.Outputs(objects, output);
        }
        catch (AnnotateException e)
        {
            throw settings.Invalid(AnnotateOpts.Output, e.Message);
        }

        var model = ParseInputs.ModelOrParse(settings, diagnostics, required: false);
        var jumps = model is null ? new HashSet<int>()
            : ExpectedOps.From(model, settings.Config.Ops).Values.Where(e => e.Jump).Select(e => e.Slot).ToHashSet();
        var format = settings.Choice(AnnotateOpts.RecordFormat) is { } name ? RecordFormats.Find(name) : null;
        var era = settings.Choice(GenerateOpts.ClobberEra) is { } eraName ? ClobberMasks.Parse(eraName) ?? ClobberMasks.DefaultEra : ClobberMasks.DefaultEra;
        var options = new AnnotateOptions(ScanOptions.ForModel(model, settings.Text(InputOpts.Symbol)), format, jumps, era,
            settings.Text(GenerateOpts.DirectCallSymbol) ?? Alternatives.DefaultDirectCallSymbol)
        {
            // Without a model no op is known to be callee-save: every record says CLBR_ANY.
            CalleeSaveSlots = model is null ? new HashSet<int>() : model.Ops.Where(o => o.CalleeSave).Select(o => o.Slot).ToHashSet(),
        };
        return new AnnotateJob(jobs, options, new ReportTarget(settings.Choice(AnnotateOpts.Report) ?? "table", null));
    }
}
