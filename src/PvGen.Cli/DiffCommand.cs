using System.CommandLine;
using PvGen.Checking.Annotations;
using PvGen.Checking.Toolchain;
using PvGen.Clang;
using PvGen.Comparison;
using PvGen.Comparison.Reports;
using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.Model.IO;
using Spectre.Console;
using ParseResult = System.CommandLine.ParseResult;

namespace PvGen.Cli;

/// <summary><c>pvgen diff</c>: the same caller corpus built against both wrapper styles, measured against each other.</summary>
internal static class DiffCommand
{
    private static readonly string[] Formats = ["table", "md", "json", "html"];
    private static readonly string[] Optimizations = ["O0", "O1", "O2", "O3", "Os", "Oz"];

    private sealed class Options
    {
        public readonly InputOptions Inputs = new();
        public readonly Option<string[]> Corpus = new("--corpus") { Description = "Caller sources (default: \"diff\": {\"corpus\": [...]} in pvgen.json).", AllowMultipleArgumentsPerToken = true };
        public readonly Option<string?> Cc = new("--cc") { Description = "Compilers, comma-separated: gcc,clang (default: gcc, and clang when installed)." };
        public readonly Option<string?> Opt = new("--opt") { Description = "Optimisation levels, comma-separated: O2,Os,O0 (default O2)." };
        public readonly Option<string?> Pic = new("--pic") { Description = "Code models, comma-separated: no,yes (default no; yes = -fpic, module-like)." };
        public readonly Option<string?> Format = new("--format") { Description = "table (default), md, json or html." };
        public readonly Option<string?> Output = new("--output", "-o") { Description = "Write the report to FILE instead of stdout." };
        public readonly Option<string?> KeepBuild = new("--keep-build") { Description = "Keep the generated headers, objects and executables in DIR (one subdirectory per build)." };
        public readonly Option<int?> Jobs = new("--jobs", "-j") { Description = "Builds run in parallel (default: number of CPUs)." };
        public readonly Option<string?> KernelSource = new("--kernel-source") { Description = "Diff real kernel objects: an unpacked kernel tree or Debian's linux-source-X.Y.tar.xz, built with the .config of --kernel-build (a linux-headers-* flavour directory)." };
        public readonly Option<string?> Objects = new("--objects") { Description = "With --kernel-source: objects to build, comma-separated tree paths (default: 20 heavy pv_ops users, see the README)." };
        public readonly Option<string?> KernelCache = new("--kernel-cache") { Description = "With --kernel-source: where sources are extracted and trees built (default $PVGEN_KERNEL_BUILD_CACHE, else /var/cache/pvgen/kernel-build)." };
        public readonly Option<string?> Templates = new("--templates") { Description = "With --kernel-source: template override directory for the drop-ins (templates/kernel/*)." };
    }

    public static Command Create()
    {
        var options = new Options();
        var command = new Command("diff", """
            Build the same caller code against the macro-style and the plain-style wrappers and measure the macro
            approach (.parainstructions records) against the reloc approach (relocations + disassembly): sites
            found, tail jumps, site lengths, register save/spill cost and code size per function, sites lost (GOT,
            pointer loaded and reused, addresses taken), relocation types and whether they survive a link, and a
            verdict per op. --target takes a comma-separated list here (x86_64,i386): the header is parsed per target.

            Examples:
              pvgen diff --config examples/linux-5.10-x86_64/pvgen.json
              pvgen diff --config examples/linux-5.10-x86_64/pvgen.json --cc gcc,clang --target x86_64,i386 --opt O2,Os,O0 --pic no,yes
              pvgen diff --config examples/linux-5.10-x86_64/pvgen.json --corpus my.c --format html -o diff.html

            With --kernel-source, the code is a real kernel's: its paravirt.h is imported, drop-in PVOP_* families
            are generated in both styles, and the objects are built with the kernel's own Kbuild three times (the
            kernel's macros, the macro drop-in, the plain drop-in; objtool runs as in a real build). The report adds
            per object the proof that the macro drop-in reproduces the kernel's records, and the warnings each
            drop-in adds. --keep-build DIR keeps the objects as DIR/kernel/..., DIR/macro/..., DIR/plain/....
              pvgen diff --kernel-source /usr/src/linux-source-6.1.tar.xz --kernel-build /usr/src/linux-headers-6.1.0-57-amd64
              pvgen diff --kernel-source SRC --kernel-build OBJ --objects mm/memory.o,arch/x86/mm/pgtable.o --format json -o k.json
            """);
        options.Inputs.AddTo(command);
        foreach (Option option in new Option[] { options.Corpus, options.Cc, options.Opt, options.Pic, options.Format, options.Output, options.KeepBuild, options.Jobs,
            options.KernelSource, options.Objects, options.KernelCache, options.Templates })
        {
            command.Options.Add(option);
        }

        command.SetAction(result => Cli.Run(() => Run(result, options)));
        return command;
    }

    private static int Run(ParseResult result, Options options)
    {
        string format = result.GetValue(options.Format) ?? "table";
        if (!Formats.Contains(format))
        {
            throw Usage($"unknown format '{format}': use {string.Join(", ", Formats)}");
        }

        if (result.GetValue(options.KernelSource) is { } kernelSource)
        {
            return RunKernel(result, options, kernelSource, format);
        }

        foreach (var kernelOnly in new Option<string?>[] { options.Objects, options.KernelCache, options.Templates })
        {
            if (result.GetValue(kernelOnly) is not null)
            {
                throw Usage($"{kernelOnly.Name} needs --kernel-source");
            }
        }

        var optimizations = List(result.GetValue(options.Opt), "O2").Select(o => o.TrimStart('-')).ToList();
        if (optimizations.FirstOrDefault(o => !Optimizations.Contains(o)) is { } badOpt)
        {
            throw Usage($"unknown optimisation level '{badOpt}': use {string.Join(", ", Optimizations)}");
        }

        var pics = List(result.GetValue(options.Pic), "no").Select(p => p switch
        {
            "no" => false,
            "yes" => true,
            _ => throw Usage($"--pic takes no, yes or no,yes (not '{p}')"),
        }).Distinct().ToList();
        int jobs = result.GetValue(options.Jobs) ?? Environment.ProcessorCount;
        if (jobs < 1)
        {
            throw Usage("--jobs must be at least 1");
        }

        var targetNames = result.GetValue(options.Inputs.Target) is { } t ? List(t, "x86_64") : null;
        var first = options.Inputs.Resolve(result, targetNames?[0]);
        var config = first.Config ?? new PvGenConfig();
        var corpus = Corpus(result.GetValue(options.Corpus), config);
        targetNames ??= [first.Target.Arch];
        var compilers = Compilers(result.GetValue(options.Cc));

        string? keep = result.GetValue(options.KeepBuild) is { } k ? Path.GetFullPath(k) : null;
        string work = keep ?? Path.Combine(Path.GetTempPath(), "pvgen-diff-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var diagnostics = new List<Diagnostic>();
            var targets = new List<TargetInput>();
            foreach (string name in targetNames.Distinct())
            {
                var input = Prepare(name == targetNames[0] ? first : options.Inputs.Resolve(result, name), Path.Combine(work, "gen-" + name), diagnostics);
                if (input is null)
                {
                    DiagnosticPrinter.Print(diagnostics);
                    return ExitCodes.InputError;
                }

                targets.Add(input);
            }

            DiagnosticPrinter.Print(diagnostics);
            var request = new DiffRequest(targets, corpus, compilers, optimizations, pics, work, jobs);
            var report = RunWithProgress(request);
            WriteReport(result, options, format, report);
            foreach (var failed in report.Builds.Where(b => b.Error is not null))
            {
                Console.Error.WriteLine($"pvgen: warning: build {failed.Id} failed: {failed.Error}");
            }

            // A style that does not build in some cell is a measured result (shown in the report), not a failure of the run.
            return report.Builds.Any(b => b.Error is not null) ? ExitCodes.Findings : ExitCodes.Ok;
        }
        finally
        {
            if (keep is null && Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>The diff over real kernel objects built with Kbuild (stage logic in PvGen.Kernel).</summary>
    private static int RunKernel(ParseResult result, Options options, string kernelSource, string format)
    {
        if (result.GetValue(options.Inputs.KernelBuild) is not { } kernelBuild)
        {
            throw Usage("--kernel-source needs --kernel-build (the linux-headers-* flavour directory whose .config the objects are built with)");
        }

        foreach (var (name, given) in new[] { ("--corpus", result.GetValue(options.Corpus) is { Length: > 0 }), ("--opt", result.GetValue(options.Opt) is not null),
            ("--pic", result.GetValue(options.Pic) is not null), ("--target", result.GetValue(options.Inputs.Target) is not null), ("HEADER", result.GetValue(options.Inputs.Header) is not null) })
        {
            if (given)
            {
                throw Usage($"{name} does not apply with --kernel-source: Kbuild builds the kernel's own objects with its own flags");
            }
        }

        string? cc = result.GetValue(options.Cc);
        if (cc is not null && cc.Contains(',', StringComparison.Ordinal))
        {
            throw Usage("with --kernel-source, --cc names the one compiler Kbuild runs (CC=), e.g. gcc-12");
        }

        var request = new PvGen.Kernel.KernelDiffRequest
        {
            Source = Path.GetFullPath(kernelSource),
            Build = Path.GetFullPath(kernelBuild),
            Objects = result.GetValue(options.Objects) is { } objects
                ? objects.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : PvGen.Kernel.KernelDiff.DefaultObjects,
            KeepBuild = result.GetValue(options.KeepBuild) is { } k ? Path.GetFullPath(k) : null,
            Cache = result.GetValue(options.KernelCache) is { } c ? Path.GetFullPath(c) : null,
            Compiler = cc,
            Jobs = result.GetValue(options.Jobs) ?? Environment.ProcessorCount,
            TemplateDirectory = result.GetValue(options.Templates) is { } t ? Path.GetFullPath(t) : null,
        };
        if (request.Jobs < 1)
        {
            throw Usage("--jobs must be at least 1");
        }

        var diagnostics = new List<Diagnostic>();
        DiffReport report;
        try
        {
            report = KernelProgressDisplay.Run(progress => PvGen.Kernel.KernelDiff.Run(request, progress, diagnostics));
        }
        catch (TemplateException e)
        {
            throw new CliException(e.ToDiagnostic());
        }
        catch (GenerationException e)
        {
            throw new CliException(e.Diagnostic);
        }

        DiagnosticPrinter.Print(diagnostics.Where(d => d.Severity != Severity.Note));
        WriteReport(result, options, format, report);
        foreach (var failed in report.Kernel!.Objects.Where(o => o.KernelError is not null || o.MacroError is not null || o.PlainError is not null))
        {
            Console.Error.WriteLine($"pvgen: warning: {failed.Object}: {failed.KernelError ?? failed.MacroError ?? failed.PlainError}");
        }

        // The macro drop-in must reproduce the kernel's records; any object where it does not is a finding.
        var equivalence = report.Kernel.Equivalence;
        return equivalence.RecordsEqual == equivalence.Objects && report.Builds.All(b => b.Error is null) ? ExitCodes.Ok : ExitCodes.Findings;
    }

    private static void WriteReport(ParseResult result, Options options, string format, DiffReport report)
    {
        string? output = result.GetValue(options.Output);
        if (format == "table")
        {
            if (output is null)
            {
                TableReport.Write(Cli.StdoutConsole(), report);
            }
            else
            {
                var writer = new StringWriter();
                TableReport.Write(Cli.TextConsole(writer), report);
                Cli.Write(Path.GetFullPath(output), writer.ToString());
            }

            return;
        }

        string text = format switch
        {
            "md" => MarkdownReport.Render(report),
            "json" => JsonReport.Render(report),
            _ => HtmlReport.Render(report),
        };
        if (output is null)
        {
            Console.Out.Write(text);
        }
        else
        {
            Cli.Write(Path.GetFullPath(output), text);
        }
    }

    /// <summary>Parses the header for one target and writes both styles into the build directory.</summary>
    private static TargetInput? Prepare(ParseRequest request, string directory, List<Diagnostic> diagnostics)
    {
        var parsed = HeaderParser.Parse(request);
        diagnostics.AddRange(parsed.Diagnostics);
        if (!parsed.Succeeded)
        {
            return null;
        }

        var model = parsed.Model!;
        if (model.TableSymbol is null)
        {
            throw new CliException(new Diagnostic(DiagnosticIds.DiffModelUnsupported, Severity.Error,
                $"struct {model.Struct} has no single table symbol (split pv_*_ops tables, as in 2.6.23-4.19): the scanner cannot diff it yet; "
                + "pass --symbol when one table holds every op", model.Location));
        }

        var config = request.Config ?? new PvGenConfig();
        var settings = GenerateSettings.Bind(config.Extra is { } extra && extra.TryGetValue("generate", out var section) ? section : null, config.SourcePath ?? "pvgen.json");
        var flags = new List<string>();
        if (request.KernelTree is { } tree)
        {
            CompilerFlags.AddKernelFlags(flags, Path.GetFullPath(tree), Path.GetFullPath(request.KernelBuild ?? tree), request.Target);
        }

        flags.AddRange(request.Defines.Select(d => "-D" + d));
        flags.AddRange(request.IncludeDirs.Select(d => "-I" + d));
        foreach (string include in request.Includes)
        {
            flags.AddRange(["-include", include]);
        }

        Directory.CreateDirectory(directory);
        GenerationOutput generated;
        try
        {
            generated = Generator.Generate(new GenerationRequest
            {
                Model = model,
                Config = config,
                Settings = settings,
                Include = settings.Include ?? Path.GetRelativePath(directory, request.HeaderPath).Replace('\\', '/'),
                DeclareTable = settings.DeclareTable ?? !OpsHeader.DeclaresTable(request.HeaderPath, model.Struct, model.TableSymbol),
                Invocation = "pvgen diff",
                Styles = ["macro", "plain"],
                CompileFlags = flags,
            });
        }
        catch (GenerationException e)
        {
            diagnostics.Add(e.Diagnostic);
            return null;
        }

        diagnostics.AddRange(generated.Diagnostics);
        foreach (var file in generated.Files)
        {
            AtomicFile.WriteIfChanged(Path.Combine(directory, file.Path), file.Content);
        }

        string macro = Path.Combine(directory, $"{generated.Plan.BaseName}_macro.h");
        string plain = Path.Combine(directory, $"{generated.Plan.BaseName}_plain.h");
        return new TargetInput(request.Target, model, macro, plain, flags, ExpectedOps.From(model, config));
    }

    private static DiffReport RunWithProgress(DiffRequest request)
    {
        int total = DiffRunner.Matrix(request).Count;
        if (Console.IsErrorRedirected)
        {
            return DiffRunner.Run(request);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        DiffReport? report = null;
        console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask($"building {total} configurations", maxValue: total);
                report = DiffRunner.Run(request, build =>
                {
                    task.Description = Markup.Escape($"built {build.Id}");
                    task.Increment(1);
                });
            });
        return report!;
    }

    private static IReadOnlyList<string> Corpus(string[]? given, PvGenConfig config)
    {
        var files = given is { Length: > 0 }
            ? given.SelectMany(g => g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(Path.GetFullPath).ToList()
            : DiffSettings.Bind(config).Corpus.ToList();
        if (files.Count == 0)
        {
            throw new CliException(new Diagnostic(DiagnosticIds.DiffNoCorpus, Severity.Error,
                "no caller corpus: pass --corpus FILE... or set \"diff\": {\"corpus\": [...]} in pvgen.json", null));
        }

        foreach (string file in files.Where(f => !File.Exists(f)))
        {
            throw new CliException(new Diagnostic(DiagnosticIds.FileNotFound, Severity.Error, $"corpus file '{GenerateCommand.Relative(file)}' not found", null));
        }

        var clash = files.GroupBy(f => Path.GetFileNameWithoutExtension(f)).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw Usage($"two corpus files share the name '{clash.Key}' (objects are named after the file): rename one");
        }

        return files;
    }

    private static IReadOnlyList<Compiler> Compilers(string? requested)
    {
        try
        {
            var found = CompilerDriver.Discover(requested is null ? null : List(requested, "gcc"));
            return found.Count > 0 ? found : throw Usage("no C compiler found: install gcc or pass --cc PATH");
        }
        catch (FileNotFoundException e)
        {
            throw Usage(e.Message);
        }
    }

    private static List<string> List(string? value, string fallback) =>
        (value ?? fallback).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();

    private static CliException Usage(string message) => new(new Diagnostic(DiagnosticIds.BadOption, Severity.Error, message, null));
}

/// <summary>The terminal report: headline, one row per build, lost sites, and ops the approaches disagree on.</summary>
internal static class TableReport
{
    public static void Write(IAnsiConsole console, DiffReport report)
    {
        console.MarkupLine($"[bold]pvgen diff[/]: macro vs reloc approach for {Markup.Escape(report.Struct)} ({Markup.Escape(report.Symbol)}), corpus: {Markup.Escape(string.Join(" ", report.Corpus))}");
        foreach (string line in Headline.Lines(report))
        {
            console.WriteLine("  " + line);
        }

        var builds = new Table().Border(TableBorder.Rounded).Title("builds");
        foreach (string column in new[] { "build", "macro", "reloc (jmp)", "refs", "lost", "lengths macro", "lengths reloc", "<5B m/r", "code m/p", "saves m/p", "reloc types", "link: refs kept" })
        {
            builds.AddColumn(column);
        }

        foreach (var b in report.Builds)
        {
            if (b.Error is not null)
            {
                builds.AddRow(Markup.Escape(b.Id), "[red]failed[/]", Markup.Escape(b.Error), "", "", "", "", "", "", "", "", "");
                continue;
            }

            var e = b.RegisterEnvironment;
            builds.AddRow(Markup.Escape(b.Id), Headline.Count(b.Macro.Sites, b.MacroError), $"{Headline.Count(b.Reloc.Sites, b.PlainError)} ({b.Reloc.Jumps})", $"{b.Reloc.References}", $"{b.Lost.Count}",
                Markup.Escape(Headline.Lengths(b.Macro.Lengths)), Markup.Escape(Headline.Lengths(b.Reloc.Lengths)), $"{b.Macro.TooShortForCall}/{b.Reloc.TooShortForCall}",
                $"{e.MacroBytes}/{e.PlainBytes} ({Headline.Signed(e.NetBytes)})", $"{e.MacroSaveInstructions}/{e.PlainSaveInstructions} ({Headline.Signed(e.NetSaveInstructions)})",
                Markup.Escape(Headline.Types(b.RelocTypes)), Markup.Escape(Headline.Link(b.Link)));
        }

        console.Write(builds);
        foreach (var b in report.Builds.Where(b => b.MacroError is not null || b.PlainError is not null))
        {
            console.WriteLine($"  {b.Id}: " + (b.MacroError is null ? string.Empty : $"macro style did not build: {b.MacroError} ") + (b.PlainError is null ? string.Empty : $"plain style did not build: {b.PlainError}"));
        }

        if (report.Kernel is { } kernel)
        {
            var objects = new Table().Border(TableBorder.Rounded).Title($"kernel objects: linux {Markup.Escape(kernel.Version)}");
            foreach (string column in Headline.KernelColumns)
            {
                objects.AddColumn(Markup.Escape(column));
            }

            foreach (var row in Headline.KernelRows(kernel))
            {
                objects.AddRow(row.Select(c => c == "NO" ? "[red]NO[/]" : Markup.Escape(c)).ToArray());
            }

            console.Write(objects);
            foreach (var o in kernel.Objects)
            {
                foreach (string text in o.Differences.Concat(o.MacroNewWarnings.Select(w => "macro drop-in: " + w)).Concat(o.PlainNewWarnings.Select(w => "plain drop-in: " + w)))
                {
                    console.WriteLine($"  {o.Object}: {text}");
                }
            }
        }

        var lost = report.Builds.SelectMany(b => b.Lost.Select(s => (b.Id, Site: s))).ToList();
        if (lost.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"sites lost by the reloc approach ({lost.Count})");
            foreach (string column in new[] { "build", "file", "function", "address", "len", "kind", "op", "why" })
            {
                table.AddColumn(column);
            }

            foreach (var (id, s) in lost)
            {
                table.AddRow(Markup.Escape(id), Markup.Escape(s.File), Markup.Escape($"{s.Function}+0x{s.FunctionOffset:x}"), Markup.Escape($"{s.Section}+0x{s.Offset:x}"),
                    $"{s.Length}", s.Kind, Markup.Escape(s.Op ?? "-"), Markup.Escape(s.Reason ?? ""));
            }

            console.Write(table);
        }

        var ops = new Table().Border(TableBorder.Rounded).Title("verdict per op (all builds)");
        ops.AddColumn("op").AddColumn("macro").AddColumn("reloc").AddColumn("verdict");
        foreach (var op in report.Ops)
        {
            ops.AddRow(Markup.Escape(op.Op), $"{op.Macro}", $"{op.Reloc}", op.Misses + op.Extra == 0 ? op.Verdict : $"[yellow]{Markup.Escape(op.Verdict)}[/]");
        }

        console.Write(ops);
    }
}
