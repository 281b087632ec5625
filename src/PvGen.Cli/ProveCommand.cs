using System.CommandLine;
using PvGen.Checking.Toolchain;
using PvGen.Clang;
using PvGen.Comparison;
using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.Proving;
using PvGen.Proving.Reports;
using Spectre.Console;
using ParseResult = System.CommandLine.ParseResult;

namespace PvGen.Cli;

/// <summary><c>pvgen prove</c>: patch running programs in every style and record format and show the same behaviour.</summary>
internal static class ProveCommand
{
    private static readonly string[] Optimizations = ["O0", "O1", "O2", "O3", "Os", "Oz"];

    private sealed class Options
    {
        public readonly InputOptions Inputs = new();
        public readonly Option<string[]> Corpus = new("--corpus") { Description = "Caller sources run as the workload besides the exerciser (default: \"diff\": {\"corpus\": [...]} in pvgen.json).", AllowMultipleArgumentsPerToken = true };
        public readonly Option<string?> Cc = new("--cc") { Description = "Compilers, comma-separated: gcc,clang (default: gcc, and clang when installed)." };
        public readonly Option<string?> Opt = new("--opt") { Description = "Optimisation levels, comma-separated (default O0,O2)." };
        public readonly Option<string?> Format = new("--format") { Description = $"Record formats, comma-separated: {string.Join(", ", ProveFormat.Names)} (default: every format the target supports)." };
        public readonly Option<string?> Style = new("--style") { Description = "macro, plain or macro,plain (default both; plain is annotated with pvgen annotate)." };
        public readonly Option<string?> Templates = new("--templates") { Description = "Template override directory for the generated headers and the harness (prove/*)." };
        public readonly Option<string?> Report = new("--report") { Description = "table (default) or json." };
        public readonly Option<string?> Output = new("--output", "-o") { Description = "Write the report to FILE instead of stdout." };
        public readonly Option<string?> KeepBuild = new("--keep-build") { Description = "Keep the generated sources, objects and programs in DIR." };
        public readonly Option<int?> Jobs = new("--jobs", "-j") { Description = "Programs built in parallel (default: number of CPUs)." };
    }

    public static Command Create()
    {
        var options = new Options();
        var command = new Command("prove", """
            Prove at run time that the records are right: for each style (macro; plain annotated with pvgen annotate)
            and every record format the target supports, build a user-space program from generated templates (a table
            of logging default implementations, a second "hypervisor" set, the exerciser and the caller corpus as the
            workload, and a patcher that walks the records like the kernel's), run it unpatched, then with the table
            pointing at the hypervisor's set and every recorded site patched, and compare the two event logs. Patched
            bytes are verified, every patched site must run as a direct call, and each site left indirect is listed
            with the reason. --target takes a comma-separated list (x86_64,i386).
            Exit codes: 0 every program behaves the same, 1 a difference (op, site and first differing event named),
            2 bad input (or a workload that fails unpatched).

            Examples:
              pvgen prove --config examples/linux-5.10-x86_64/pvgen.json
              pvgen prove hv.h --struct hv_ops --corpus calls.c --target x86_64,i386 --cc gcc,clang --opt O0,O2
            """);
        options.Inputs.AddTo(command);
        foreach (Option option in new Option[] { options.Corpus, options.Cc, options.Opt, options.Format, options.Style, options.Templates, options.Report, options.Output, options.KeepBuild, options.Jobs })
        {
            command.Options.Add(option);
        }

        command.SetAction(result => Cli.Run(() => Run(result, options)));
        return command;
    }

    private static int Run(ParseResult result, Options options)
    {
        string report = result.GetValue(options.Report) ?? "table";
        if (report is not ("table" or "json"))
        {
            throw Usage($"unknown report '{report}': use table or json");
        }

        var optimizations = List(result.GetValue(options.Opt), "O0,O2").Select(o => o.TrimStart('-')).ToList();
        if (optimizations.FirstOrDefault(o => !Optimizations.Contains(o)) is { } badOpt)
        {
            throw Usage($"unknown optimisation level '{badOpt}': use {string.Join(", ", Optimizations)}");
        }

        var styles = List(result.GetValue(options.Style), "macro,plain");
        if (styles.FirstOrDefault(s => !ProveStyles.All.Contains(s)) is { } badStyle)
        {
            throw Usage($"unknown style '{badStyle}': use macro, plain or macro,plain");
        }

        IReadOnlyList<string>? formats = result.GetValue(options.Format) is { } f ? List(f, string.Empty) : null;
        if (formats?.FirstOrDefault(n => !ProveFormat.Names.Contains(n)) is { } badFormat)
        {
            throw Usage($"unknown record format '{badFormat}': use {string.Join(", ", ProveFormat.Names)}");
        }

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
        var settings = GenerateSettings.Bind(config.Extra is { } extra && extra.TryGetValue("generate", out var section) ? section : null, config.SourcePath ?? "pvgen.json");
        string? templates = result.GetValue(options.Templates) is { } td ? Path.GetFullPath(td) : settings.Templates is { } st ? config.Resolve(st) : null;
        if (templates is not null && !Directory.Exists(templates))
        {
            throw new CliException(new Diagnostic(DiagnosticIds.TemplateNotFound, Severity.Error, $"template directory '{templates}' not found", null));
        }

        var diagnostics = new List<Diagnostic>();
        var targets = new List<ProveTarget>();
        foreach (string name in targetNames.Distinct())
        {
            var request = name == targetNames[0] ? first : options.Inputs.Resolve(result, name);
            var parsed = HeaderParser.Parse(request);
            if (!parsed.Succeeded)
            {
                DiagnosticPrinter.Print(parsed.Diagnostics);
                return ExitCodes.InputError;
            }

            diagnostics.AddRange(parsed.Diagnostics);
            targets.Add(new ProveTarget(parsed.Model!, config, settings, request.HeaderPath, Flags(request)));
        }

        string? keep = result.GetValue(options.KeepBuild) is { } k ? Path.GetFullPath(k) : null;
        string work = keep ?? Path.Combine(Path.GetTempPath(), "pvgen-prove-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            ProveReport proof;
            try
            {
                proof = Progress.Run("proving", progress => ProveRunner.Run(
                    new ProveRequest(targets, corpus, compilers, optimizations, formats, styles, templates, work, jobs), diagnostics, build => progress(build.Id)));
            }
            catch (ProveInputException e)
            {
                DiagnosticPrinter.Print([.. diagnostics, e.Diagnostic]);
                return ExitCodes.InputError;
            }

            DiagnosticPrinter.Print(diagnostics.Where(d => d.Severity != Severity.Note));
            string? output = result.GetValue(options.Output);
            if (report == "json")
            {
                string text = ProveJson.Render(proof);
                if (output is null)
                {
                    Console.Out.Write(text);
                }
                else
                {
                    Cli.Write(Path.GetFullPath(output), text);
                }
            }
            else if (output is null)
            {
                Table(Cli.StdoutConsole(), proof);
            }
            else
            {
                var writer = new StringWriter();
                Table(Cli.TextConsole(writer), proof);
                Cli.Write(Path.GetFullPath(output), writer.ToString());
            }

            foreach (var build in proof.Builds.Where(b => b.Verdict != ProveVerdicts.Proved))
            {
                Console.Error.WriteLine($"pvgen: {(build.Verdict == ProveVerdicts.Differs ? "error" : "error")}: {build.Id}: {build.Findings.FirstOrDefault() ?? build.Error} [{DiagnosticIds.ProveDifference}]");
            }

            return proof.ExitCode;
        }
        finally
        {
            if (keep is null && Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>The -D/-I/-include flags of the parse, for the compiles (as `pvgen diff` builds them).</summary>
    private static List<string> Flags(ParseRequest request)
    {
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

        return flags;
    }

    private static void Table(IAnsiConsole console, ProveReport proof)
    {
        console.MarkupLine($"[bold]pvgen prove[/]: {Markup.Escape(proof.Struct)} ({Markup.Escape(proof.Symbol)}), workload: the exerciser{(proof.Corpus.Count > 0 ? " and " + Markup.Escape(string.Join(" ", proof.Corpus)) : string.Empty)}");
        foreach (string line in ProveText.Headline(proof))
        {
            console.WriteLine("  " + line);
        }

        var builds = new Table().Border(TableBorder.Rounded).Title("programs");
        foreach (string column in new[] { "build", "verdict", "records", "patched (call/jmp/native)", "refused", "reached", "not reached", "direct events", "left indirect", "events" })
        {
            builds.AddColumn(column);
        }

        foreach (var b in proof.Builds)
        {
            string verdict = b.Verdict == ProveVerdicts.Proved ? "[green]proved[/]" : $"[red]{Markup.Escape(b.Verdict)}[/]";
            builds.AddRow(Markup.Escape(b.Id), verdict, $"{b.Records}", $"{b.Patched} ({b.PatchedCalls}/{b.PatchedJumps}/{b.PatchedNative})", $"{b.Refused}", $"{b.SitesExecuted}",
                $"{b.PatchedNotReached}", $"{b.DirectExecutions}", $"{b.LeftIndirect.Count()}", $"{b.EventsUnpatched}/{b.EventsPatched}");
        }

        console.Write(builds);
        foreach (var b in proof.Builds.Where(b => b.Findings.Count > 0))
        {
            console.MarkupLine($"[red]{Markup.Escape(b.Id)}[/]:");
            foreach (string finding in b.Findings.Take(10))
            {
                console.WriteLine("  " + finding);
            }
        }

        var indirect = proof.Builds.SelectMany(b => b.LeftIndirect.Select(s => (b.Id, Site: s))).ToList();
        if (indirect.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"sites left indirect ({indirect.Count})");
            foreach (string column in new[] { "build", "function", "address", "kind", "op", "ran", "why" })
            {
                table.AddColumn(column);
            }

            foreach (var (id, s) in indirect)
            {
                table.AddRow(Markup.Escape(id), Markup.Escape(s.Function), Markup.Escape($"{s.Section}+0x{s.Offset:x}"), s.Kind, Markup.Escape(s.Op ?? "-"), $"{s.Executions}", Markup.Escape(s.Reason ?? ""));
            }

            console.Write(table);
        }

        if (proof.SkippedFunctions.Count > 0)
        {
            console.WriteLine("  corpus functions not called: " + string.Join("; ", proof.SkippedFunctions.Select(s => $"{s.File}: {s.Function} ({s.Reason})")));
        }
    }

    private static IReadOnlyList<string> Corpus(string[]? given, PvGenConfig config)
    {
        var files = given is { Length: > 0 }
            ? given.SelectMany(g => g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(Path.GetFullPath).ToList()
            : DiffSettings.Bind(config).Corpus.ToList();
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
