using PvGen.Clang;
using PvGen.Kernel;
using PvGen.Model;

namespace PvGen.Project.Workflows;

/// <summary>`pvgen import`: what to read, where the pvgen.json goes, and the drop-ins to write.</summary>
/// <param name="Output">The pvgen.json (null: standard output).</param>
/// <param name="DropIn">DIR for DIR/macro/... and DIR/plain/..., or null.</param>
public sealed record ImportJob(ImportRequest Request, string? Output, string? DropIn, string? Templates, string? TemplatesDisplay);

/// <summary>`pvgen diff --kernel-source`: the Kbuild run, and where the report goes.</summary>
public sealed record KernelDiffJob(KernelDiffRequest Request, ReportTarget Report);

/// <summary>pvgen import and pvgen diff --kernel-source: settings to the kernel stage's requests.</summary>
public static class KernelWorkflows
{
    public static ImportJob Import(Settings settings)
    {
        string tree = settings.Path(ImportOpts.KernelTree)
            ?? throw PvGenException.Error(DiagnosticIds.BadOption, "no kernel tree: pass --kernel-tree SRC (the tree paravirt.h includes its headers from)");
        string header = settings.Path(ImportOpts.ParavirtHeader)!;
        if (!File.Exists(header) && settings.RawText(ImportOpts.ParavirtHeader) is { } given && File.Exists(Path.Combine(tree, given)))
        {
            header = Path.Combine(tree, given);
        }

        var request = new ImportRequest
        {
            ParavirtHeader = header,
            TypesHeader = settings.Path(ImportOpts.TypesHeader),
            KernelTree = tree,
            KernelBuild = settings.Path(ImportOpts.KernelBuild),
            StructName = settings.Text(ImportOpts.Struct) ?? "paravirt_patch_template",
            Symbol = settings.Text(ImportOpts.Symbol),
            BaseDirectory = settings.WorkingDirectory,
        };
        return new ImportJob(request, settings.Path(settings.Verb.Find("output")!), settings.Path(ImportOpts.DropIn),
            settings.Path(ImportOpts.Templates), settings.RawText(ImportOpts.Templates));
    }

    /// <summary>The kernel diff, or null when --kernel-source is not given (a corpus diff).</summary>
    public static KernelDiffJob? Diff(Settings settings)
    {
        if (settings.Path(DiffOpts.KernelSource) is not { } source)
        {
            foreach (var kernelOnly in new[] { DiffOpts.Objects, DiffOpts.KernelCache, DiffOpts.KernelCompiler, DiffOpts.Templates })
            {
                if (settings.IsSet(kernelOnly))
                {
                    throw settings.Invalid(kernelOnly, "applies only with --kernel-source");
                }
            }

            return null;
        }

        string build = settings.Path(InputOpts.KernelBuild)
            ?? throw PvGenException.Error(DiagnosticIds.BadOption, "--kernel-source needs --kernel-build: the linux-headers-* flavour directory whose .config the objects are built with");
        foreach (var corpusOnly in new[] { DiffOpts.Corpus, DiffOpts.Compilers, DiffOpts.Optimizations, DiffOpts.Pic, InputOpts.Target, InputOpts.Header })
        {
            if (settings.GivenOnCommandLine(corpusOnly))
            {
                throw settings.Invalid(corpusOnly, "does not apply with --kernel-source: Kbuild builds the kernel's own objects with its own flags (use --kernel-cc for CC)");
            }
        }

        var objects = settings.List(DiffOpts.Objects);
        var request = new KernelDiffRequest
        {
            Source = source,
            Build = build,
            Objects = objects.Count == 0 ? KernelDiff.DefaultObjects : objects,
            KeepBuild = settings.Path(DiffOpts.KeepBuild),
            Cache = settings.Path(DiffOpts.KernelCache),
            Compiler = settings.Text(DiffOpts.KernelCompiler),
            Jobs = ObjectWorkflows.Jobs(settings, DiffOpts.Jobs),
            TemplateDirectory = settings.Path(DiffOpts.Templates),
            BaseDirectory = settings.WorkingDirectory,
        };
        return new KernelDiffJob(request, ObjectWorkflows.Report(settings, DiffOpts.Format));
    }
}
