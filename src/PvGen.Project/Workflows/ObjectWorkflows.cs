using PvGen.Binary;
using PvGen.Checking;
using PvGen.Checking.Annotations;
using PvGen.Checking.Toolchain;
using PvGen.Model;
using PvGen.Project.Options;

namespace PvGen.Project.Workflows;

/// <summary>Where a report goes: a format of the verb's, and a file (null: standard output).</summary>
public sealed record ReportTarget(string Format, string? Path);

/// <summary>A scan to run: the files (directories expanded), what to look for, and where the report goes.</summary>
/// <param name="ModelName">"struct (arch)" of the model that names the sites, for the report's heading.</param>
public sealed record ScanJob(IReadOnlyList<string> Files, ScanOptions Options, int Jobs, ReportTarget Report, string? ModelName);

/// <summary>What `pvgen check` was asked to prove.</summary>
public abstract record CheckJob(ReportTarget Report);

/// <summary>`pvgen check --object`: anyone's objects verified against a model.</summary>
public sealed record ObjectCheckJob(IReadOnlyList<string> Files, OpsModel Model, IReadOnlyDictionary<int, ExpectedOp> Expected, ScanOptions Options, int Jobs, ReportTarget Report)
    : CheckJob(Report);

/// <summary>`pvgen check DIR`: a generated directory compiled and proved.</summary>
/// <param name="KeepBuild">Keep the probes and objects there; null: a temporary directory, removed after the run.</param>
public sealed record GeneratedCheckJob(GeneratedOutput Output, IReadOnlyList<Compiler> Compilers, IReadOnlyList<string> Optimizations, IReadOnlyList<string> ExtraFlags, string WorkDirectory, string? KeepBuild, ReportTarget Report)
    : CheckJob(Report);

/// <summary>pvgen scan and pvgen check: settings to jobs.</summary>
public static class ObjectWorkflows
{
    public static ScanJob Scan(Settings settings, List<Diagnostic> diagnostics)
    {
        var files = Inputs(settings, ScanOpts.Paths, diagnostics);
        var model = ParseInputs.ModelOrParse(settings, diagnostics, required: false);
        var options = ScanOptions.ForModel(model, settings.Text(InputOpts.Symbol)) with
        {
            AnnotationFormat = RecordFormat(settings.Choice(ScanOpts.RecordFormat)),
            SkipObjectsWithoutSymbol = settings.Flag(ScanOpts.ReadAll) != true,
            SiteDiscovery = settings.Choice(ScanOpts.SitesFrom) switch
            {
                "relocations" => SiteDiscovery.Relocations,
                "operands" => SiteDiscovery.Operands,
                _ => SiteDiscovery.Auto,
            },
        };
        return new ScanJob(files, options, Jobs(settings, ScanOpts.Jobs), Report(settings, ScanOpts.Format), model is null ? null : $"{model.Struct} ({model.Target.Arch})");
    }

    /// <summary>Check a generated directory (the DIR argument), or anyone's objects (--object): exactly one of the two.</summary>
    public static CheckJob Check(Settings settings, List<Diagnostic> diagnostics)
    {
        bool objects = settings.IsSet(CheckOpts.Objects);
        string? directory = settings.Path(CheckOpts.Directory);
        if (objects == (directory is not null))
        {
            throw PvGenException.Error(DiagnosticIds.BadOption, objects
                ? "give a 'pvgen generate' output directory or --object FILE..., not both"
                : "give a 'pvgen generate' output directory, or --object FILE... --model MODEL");
        }

        var report = Report(settings, CheckOpts.Format);
        if (objects)
        {
            if (!settings.IsSet(OptionTable.Common.Model))
            {
                throw PvGenException.Error(DiagnosticIds.BadOption, "--object needs --model MODEL.json (from 'pvgen parse --format json')");
            }

            // The model and its configuration first: a bad pvgen.json is reported before any input is read.
            var model = ParseInputs.ModelOrParse(settings, diagnostics, required: true)!;
            var expected = ExpectedOps.From(model, settings.Config.Ops, GenerateWorkflow.GenerateSettings(settings));
            var options = ScanOptions.ForModel(model) with { AnnotationFormat = RecordFormat(settings.Choice(CheckOpts.RecordFormat)) };
            var files = Inputs(settings, CheckOpts.Objects, diagnostics);
            return new ObjectCheckJob(files, model, expected, options, Jobs(settings, CheckOpts.Jobs), report);
        }

        var output = GeneratedOutput.Read(settings.Display(directory!));
        var compilers = Compilers(settings, CheckOpts.Compilers);
        var levels = settings.List(CheckOpts.Optimizations);
        string? keep = settings.Path(CheckOpts.KeepBuild);
        string work = keep ?? System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"pvgen-check-{Environment.ProcessId}-{Guid.NewGuid():N}");
        string[] extra = [.. settings.List(CheckOpts.ExtraDefines).Select(d => "-D" + d), .. settings.List(CheckOpts.ExtraIncludeDirs).Select(i => "-I" + i)];
        return new GeneratedCheckJob(output, compilers, levels.Count == 0 ? CheckRunner.DefaultOptimizations : levels, extra, work, keep, report);
    }

    /// <summary>The compilers named (each must exist), else gcc and clang when installed.</summary>
    public static IReadOnlyList<Compiler> Compilers(Settings settings, OptionSpec option)
    {
        var requested = settings.List(option);
        IReadOnlyList<Compiler> found;
        try
        {
            found = CompilerDriver.Discover(requested.Count == 0 ? null : requested);
        }
        catch (FileNotFoundException e)
        {
            throw settings.Invalid(option, RuntimeMessages.Describe(e));
        }

        return found.Count > 0 ? found : throw PvGenException.Error(DiagnosticIds.BadOption, "no C compiler found: install gcc (and clang-19 for the second compiler), or pass --cc PATH");
    }

    public static int Jobs(Settings settings, OptionSpec option) => settings.Integer(option, minimum: 1) ?? Environment.ProcessorCount;

    public static ReportTarget Report(Settings settings, OptionSpec format) =>
        new(settings.Choice(format) ?? format.Default!, settings.Path(settings.Verb.Find("output")!));

    /// <summary>Paths given to scan or check: each must exist; directories are expanded to the objects below them.</summary>
    /// <param name="diagnostics">Receives a warning for each directory entry skipped (a FIFO or device named *.ko, a dangling link).</param>
    private static IReadOnlyList<string> Inputs(Settings settings, OptionSpec option, List<Diagnostic> diagnostics)
    {
        // Reported as given: a relative argument stays relative in every message and report.
        var given = (settings.CommandLine(option) ?? [])
            .SelectMany(v => option.SplitCommas ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [v])
            .ToList();

        // An empty argument (an unset shell variable) names nothing: never "0 objects, every record verified".
        if (given.Count == 0 || given.Any(p => p.Length == 0))
        {
            throw settings.Invalid(option, "an empty path names no object: give a file or directory");
        }

        foreach (string path in given)
        {
            string full = System.IO.Path.GetFullPath(path, settings.WorkingDirectory);
            if (!File.Exists(full) && !Directory.Exists(full))
            {
                throw PvGenException.Error(DiagnosticIds.FileNotFound, $"'{path}' not found");
            }
        }

        var files = ObjectScanner.ExpandInputs(given, diagnostics);

        // A directory holding no objects is an input error, never "0 objects, ok" (modules compressed in a way we do not read, say);
        // the warnings for entries skipped on the way (a FIFO named *.ko) are printed with it.
        foreach (string path in given.Where(p => Directory.Exists(System.IO.Path.GetFullPath(p, settings.WorkingDirectory))))
        {
            string prefix = path.EndsWith('/') ? path : path + "/";
            if (!files.Any(f => f.StartsWith(prefix, StringComparison.Ordinal)) && ObjectScanner.ExpandInputs([path]).Count == 0)
            {
                throw PvGenException.Error(DiagnosticIds.FileNotFound,
                    $"no object files under '{path}' (.o, .ko, .a, vmlinux, and .o/.ko compressed as .xz, .zst or .gz)");
            }
        }

        return files;
    }

    /// <summary>A format named by the option (its canonical choice), or null to detect it per object.</summary>
    private static X86.Records.RecordFormat? RecordFormat(string? name) => name is null or "auto" ? null : X86.Records.RecordFormats.Find(name);
}
