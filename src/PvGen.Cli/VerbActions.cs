using PvGen.Binary.Annotating;
using PvGen.Checking;
using PvGen.Checking.Reports;
using PvGen.Comparison;
using PvGen.Comparison.Reports;
using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.IO;
using PvGen.Model.Json;
using PvGen.Output;
using PvGen.Project;
using PvGen.Project.Options;
using PvGen.Project.Workflows;
using PvGen.Proving;
using PvGen.Proving.Reports;

namespace PvGen.Cli;

/// <summary>What each verb does: resolve its settings, run its workflow, print. No stage logic lives here.</summary>
internal static class VerbActions
{
    public static Func<OptionValues, int> For(VerbSpec verb) => verb.Path switch
    {
        "parse" => values => Run(verb, values, Parse),
        "generate" => values => Run(verb, values, Generate),
        "model" => values => Run(verb, values, Model),
        "templates export" => values => Run(verb, values, ExportTemplates),
        "scan" => values => Run(verb, values, Scan),
        "check" => values => Run(verb, values, Check),
        "diff" => values => Run(verb, values, Diff),
        "annotate" => values => Run(verb, values, Annotate),
        "prove" => values => Run(verb, values, Prove),
        "import" => values => Run(verb, values, Import),
        _ => throw new InvalidOperationException($"verb '{verb.Path}' has no action"),
    };

    /// <summary>Runs a verb: an input or usage problem prints its diagnostics and exits 2.</summary>
    private static int Run(VerbSpec verb, OptionValues values, Func<Settings, List<Diagnostic>, int> body)
    {
        var diagnostics = new List<Diagnostic>();
        try
        {
            int code = body(Settings.For(verb, values), diagnostics);
            return code;
        }
        catch (PvGenException e)
        {
            Consoles.Print(diagnostics.Concat(e.Diagnostics).Distinct());
            return ExitCodes.InputError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file that went wrong where no stage said which (it vanished, it is a directory): words, never a stack trace.
            Consoles.Print(diagnostics.Append(new Diagnostic(DiagnosticIds.FileNotFound, Severity.Error, $"{verb.Path}: {RuntimeMessages.Describe(e)}", null)).Distinct());
            return ExitCodes.InputError;
        }
    }

    private static int Parse(Settings settings, List<Diagnostic> diagnostics)
    {
        var model = ParseInputs.Parse(ParseInputs.Request(settings), diagnostics).Model!;
        Consoles.Print(diagnostics);
        diagnostics.Clear();
        string? output = settings.Path(settings.Verb.Find("output")!);
        if (settings.Choice(settings.Verb.Find("format")!) == "json")
        {
            Consoles.Write(output, ModelJson.Serialize(model));
        }
        else
        {
            Consoles.Write(output, console => ParseTable.Render(model, console));
        }

        return ExitCodes.Ok;
    }

    private static int Generate(Settings settings, List<Diagnostic> diagnostics)
    {
        string output = settings.Path(settings.Verb.Find("output")!)
            ?? throw PvGenException.Error(DiagnosticIds.BadOption, "no output directory: pass -o DIR");
        bool checkOnly = settings.Flag(OptionTable.Generate.Check) == true;
        var result = GenerateWorkflow.Run(settings, output, checkOnly);
        Consoles.Print(result.Diagnostics);
        GenerateSummary.Print(result, settings.Display(output), checkOnly);
        return checkOnly && result.Stale.Count > 0 ? ExitCodes.Findings : ExitCodes.Ok;
    }

    private static int Model(Settings settings, List<Diagnostic> diagnostics)
    {
        string? file = settings.Path(settings.Verb.Find("output")!);
        var request = GenerateWorkflow.Request(settings, file is null ? settings.WorkingDirectory : Path.GetDirectoryName(file)!, diagnostics);
        var plan = TemplateModelBuilder.Build(request, diagnostics);
        Consoles.Print(diagnostics);
        diagnostics.Clear();
        Consoles.Write(file, plan.Root.ToJson());
        return ExitCodes.Ok;
    }

    private static int ExportTemplates(Settings settings, List<Diagnostic> diagnostics)
    {
        string dir = settings.Path(settings.Verb.Find("dir")!)!;
        var files = DefaultTemplates.Export();
        int written = AtomicFile.CommitAll(files.Select(f => (Path.Combine(dir, f.Path), AtomicFile.Bytes(f.Content)))).Count;
        Console.Out.WriteLine($"{settings.Display(dir)}: {files.Count} files ({written} written)");
        foreach (var (path, _) in files)
        {
            Console.Out.WriteLine($"  {path}");
        }

        return ExitCodes.Ok;
    }

    private static int Scan(Settings settings, List<Diagnostic> diagnostics)
    {
        var job = ObjectWorkflows.Scan(settings, diagnostics);
        Consoles.Print(diagnostics);
        diagnostics.Clear();
        return ScanReport.Run(job) > 0 ? ExitCodes.Findings : ExitCodes.Ok;
    }

    private static int Check(Settings settings, List<Diagnostic> diagnostics)
    {
        var job = ObjectWorkflows.Check(settings, diagnostics);
        Consoles.Print(diagnostics);
        diagnostics.Clear();
        if (job is ObjectCheckJob objects)
        {
            var results = Progress.Status($"verifying {objects.Files.Count} files", _ => CheckRunner.CheckObjects(objects.Files, objects.Model, objects.Expected, objects.Options, objects.Jobs));
            var nothing = CheckRunner.NothingVerified(results, objects.Options.Symbol);
            var findings = results.SelectMany(r => r.Findings).Concat(nothing is null ? [] : [nothing]).ToList();
            Report(job.Report, findings, () => CheckJson.Objects(results, nothing), console => CheckTables.Objects(results, console, nothing));

            // An object that cannot be read is bad input, as --help says: exit 2, after the others were verified.
            // Nothing verified is not "all proved": a finding, exit 1.
            return results.Any(r => r.Findings.Any(f => f.Id == DiagnosticIds.ObjectUnreadable)) ? ExitCodes.InputError
                : nothing is not null || findings.Any(f => f.Severity == Severity.Error) ? ExitCodes.Findings : ExitCodes.Ok;
        }

        var generated = (GeneratedCheckJob)job;
        try
        {
            var report = Progress.Status("checking", step => CheckRunner.Check(generated.Output, generated.Compilers, generated.Optimizations, generated.WorkDirectory, generated.ExtraFlags, step));
            var findings = report.Findings.ToList();
            Report(job.Report, findings, () => CheckJson.Generated(report), console => CheckTables.Generated(report, console));
            return findings.Any(f => f.Severity == Severity.Error) ? ExitCodes.Findings : ExitCodes.Ok;
        }
        finally
        {
            if (generated.KeepBuild is null && Directory.Exists(generated.WorkDirectory))
            {
                Directory.Delete(generated.WorkDirectory, recursive: true);
            }
        }
    }

    /// <summary>Findings to stderr in the gcc form; the report in the chosen format to stdout or -o FILE.</summary>
    private static void Report(ReportTarget target, IReadOnlyList<Finding> findings, Func<string> json, Action<Spectre.Console.IAnsiConsole> table)
    {
        foreach (var finding in findings)
        {
            Console.Error.WriteLine(finding.ToString());
        }

        switch (target.Format)
        {
            case "table":
                Consoles.Write(target.Path, table);
                break;
            case "sarif":
                Consoles.Write(target.Path, CheckJson.Sarif(findings));
                break;
            default:
                Consoles.Write(target.Path, json());
                break;
        }
    }

    /// <summary>pvgen diff --kernel-source: real objects built by Kbuild three ways, the same report plus the kernel section.</summary>
    private static int KernelDiff(KernelDiffJob job, List<Diagnostic> diagnostics)
    {
        var report = KernelProgressDisplay.Run(progress => PvGen.Kernel.KernelDiff.Run(job.Request, progress, diagnostics));
        Consoles.Print(diagnostics.Where(d => d.Severity != Severity.Note));
        diagnostics.Clear();
        WriteDiff(job.Report, report);
        foreach (var failed in report.Kernel!.Objects.Where(o => o.KernelError is not null || o.MacroError is not null || o.PlainError is not null))
        {
            Console.Error.WriteLine($"pvgen: warning: {failed.Object}: {failed.KernelError ?? failed.MacroError ?? failed.PlainError}");
        }

        // The macro drop-in must reproduce the kernel's records; an object where it does not (or does not build) is a finding.
        var equivalence = report.Kernel.Equivalence;
        return equivalence.RecordsEqual == equivalence.Objects && report.Builds.All(b => b.Error is null) ? ExitCodes.Ok : ExitCodes.Findings;
    }

    private static void WriteDiff(ReportTarget target, DiffReport report)
    {
        switch (target.Format)
        {
            case "table":
                Consoles.Write(target.Path, console => DiffTable.Write(console, report));
                break;
            default:
                Consoles.Write(target.Path, target.Format switch
                {
                    "md" => MarkdownReport.Render(report),
                    "json" => JsonReport.Render(report),
                    _ => HtmlReport.Render(report),
                });
                break;
        }
    }

    /// <summary>pvgen import: paravirt.h to a pvgen.json (and the drop-ins); a summary line on stderr.</summary>
    private static int Import(Settings settings, List<Diagnostic> diagnostics)
    {
        var job = KernelWorkflows.Import(settings);
        var (import, read) = PvGen.Kernel.KernelImporter.Run(job.Request);
        diagnostics.AddRange(read);
        if (import is null)
        {
            throw new PvGenException(diagnostics);
        }

        Consoles.Print(diagnostics);
        diagnostics.Clear();
        string json = PvGen.Kernel.KernelImporter.Json(import, job.Request, job.Output is null ? settings.WorkingDirectory : Path.GetDirectoryName(job.Output)!);
        var files = new List<(string Path, byte[] Content)>();
        if (job.DropIn is { } directory)
        {
            files.AddRange(PvGen.Kernel.KernelImporter.DropIns(import, job.Request.KernelTree, job.Templates, job.TemplatesDisplay)
                .Select(f => (Path.Combine(directory, f.Path), AtomicFile.Bytes(f.Content))));
        }

        if (job.Output is { } output)
        {
            files.Add((output, AtomicFile.Bytes(json)));
        }

        AtomicFile.CommitAll(files);
        if (job.Output is null)
        {
            Console.Out.Write(json);
        }

        Console.Error.WriteLine("pvgen: " + PvGen.Kernel.KernelImporter.Summary(import.Import, settings.WorkingDirectory));
        return ExitCodes.Ok;
    }

    private static int Diff(Settings settings, List<Diagnostic> diagnostics)
    {
        if (KernelWorkflows.Diff(settings) is { } kernel)
        {
            return KernelDiff(kernel, diagnostics);
        }

        var job = DiffWorkflow.Prepare(settings, diagnostics);
        Consoles.Print(diagnostics);
        diagnostics.Clear();
        try
        {
            int total = DiffRunner.Matrix(job.Request).Count;
            var report = Progress.Bar($"building {total} configurations", total, tick => DiffRunner.Run(job.Request, build => tick($"built {build.Id}")));
            WriteDiff(job.Report, report);

            foreach (var failed in report.Builds.Where(b => b.Error is not null))
            {
                Console.Error.WriteLine($"pvgen: warning: build {failed.Id} failed: {failed.Error}");
            }

            // A style that does not build in some cell is a measured result (shown in the report), not a failure of the run.
            return report.Builds.Any(b => b.Error is not null) ? ExitCodes.Findings : ExitCodes.Ok;
        }
        finally
        {
            if (!job.KeepBuild && Directory.Exists(job.Request.WorkDirectory))
            {
                Directory.Delete(job.Request.WorkDirectory, recursive: true);
            }
        }
    }

    private static int Annotate(Settings settings, List<Diagnostic> diagnostics)
    {
        var job = AnnotateWorkflow.Prepare(settings, diagnostics);
        Consoles.Print(diagnostics);
        diagnostics.Clear();
        var results = AnnotateBatch.Run(job.Objects, job.Options, out bool written);
        Consoles.Print(results.Where(r => r.Error is not null)
            .Select(r => new Diagnostic(DiagnosticIds.AnnotateFailed, Severity.Error, r.Error!, new SourceLocation(settings.Display(r.Path), 1, 1))));
        if (job.Report.Format == "json")
        {
            Consoles.Write(null, AnnotateJson.Render(results, written));
        }
        else
        {
            Consoles.Write(null, console => AnnotateTable.Write(console, results, written));
        }

        return written ? ExitCodes.Ok : ExitCodes.InputError;
    }

    private static int Prove(Settings settings, List<Diagnostic> diagnostics)
    {
        var job = ProveWorkflow.Prepare(settings, diagnostics);
        try
        {
            int total = job.Request.Targets.Count * job.Request.Compilers.Count * job.Request.Optimizations.Count * job.Request.Styles.Count * 3;
            var proof = Progress.Bar("proving", total, tick => ProveRunner.Run(job.Request, diagnostics, build => tick(build.Id)));
            Consoles.Print(diagnostics.Where(d => d.Severity != Severity.Note).Distinct());
            diagnostics.Clear();
            if (job.Report.Format == "json")
            {
                Consoles.Write(job.Report.Path, ProveJson.Render(proof));
            }
            else
            {
                Consoles.Write(job.Report.Path, console => ProveTable.Write(console, proof));
            }

            foreach (var build in proof.Builds.Where(b => b.Verdict != ProveVerdicts.Proved))
            {
                Console.Error.WriteLine($"pvgen: error: {build.Id}: {(build.Findings.Count > 0 ? build.Findings[0] : build.Error)} [{DiagnosticIds.ProveDifference}]");
            }

            return proof.ExitCode;
        }
        finally
        {
            if (!job.KeepBuild && Directory.Exists(job.Request.WorkDirectory))
            {
                Directory.Delete(job.Request.WorkDirectory, recursive: true);
            }
        }
    }
}
