using System.CommandLine;
using System.Text.Json;
using PvGen.Binary;
using PvGen.Checking;
using PvGen.Checking.Annotations;
using PvGen.Checking.Toolchain;
using PvGen.Model;
using PvGen.X86.Records;
using PvGen.Model.Config;
using PvGen.Model.Json;
using Spectre.Console;

namespace PvGen.Cli;

/// <summary><c>pvgen check</c>: compile generated wrappers and prove them from the machine code.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var directory = new Argument<string?>("dir") { Description = "A 'pvgen generate' output directory.", Arity = ArgumentArity.ZeroOrOne };
        var cc = new Option<string[]>("--cc") { Description = "Compilers to use (names or paths, repeatable or comma-separated; default: gcc, and clang when installed).", AllowMultipleArgumentsPerToken = true };
        var opt = new Option<string[]>("--opt") { Description = "Optimisation levels (default O0,O2).", AllowMultipleArgumentsPerToken = true };
        var objects = new Option<string[]>("--object") { Description = "Verify the pv site records (.parainstructions records, or .altinstructions DIRECT_CALL entries of 6.8+, detected per object) of these objects, modules, archives or directories instead (needs --model).", AllowMultipleArgumentsPerToken = true };
        var model = new Option<string?>("--model", "-m") { Description = "With --object: the pvgen.model/1 JSON of the table the objects call through." };
        var config = new Option<string?>("--config", "-c") { Description = "With --object: pvgen.json whose per-op settings (jump, native, clobbers) the records must match." };
        var annotationFormat = new Option<string>("--record-format") { Description = "With --object: the layout of the pv site records, " + RecordFormats.OptionHelp + ".", DefaultValueFactory = _ => "auto" };
        annotationFormat.AcceptOnlyFromAmong(["auto", .. RecordFormats.AcceptedNames]);
        var format = new Option<string>("--format", "-f") { Description = "table, json or sarif.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "sarif");
        var output = new Option<string?>("--output", "-o") { Description = "Write the json or sarif report to FILE." };
        var keep = new Option<string?>("--keep-build") { Description = "Keep the probe sources and objects in DIR (default: a temporary directory, removed)." };
        var defines = new Option<string[]>("--define", "-D") { Description = "Extra macro for the compiles (the manifest already carries the -D/-I flags the header was parsed with)." };
        var includeDirs = new Option<string[]>("--include-dir", "-I") { Description = "Extra include directory for the compiles." };
        var jobs = new Option<int>("--jobs", "-j") { Description = "With --object: files read in parallel (default: processor count).", DefaultValueFactory = _ => Environment.ProcessorCount };

        var command = new Command("check", """
            Prove generated wrappers right from the compiled machine code. For a 'pvgen generate' directory:
            compile the exerciser against each style with every compiler at -O0 and -O2 for the model's
            target; prove each wrapper type-safe (its type is the op's, and wrongly typed calls are rejected
            with the expected diagnostic); and verify every pv site record against the decoded site, in the
            family the object carries (detected): .parainstructions records (an indirect call through the
            record's slot, on an instruction boundary, of the recorded length, room for a direct call and the
            native replacement, the configured clobbers) or 6.8+ .altinstructions DIRECT_CALL entries (the
            6-byte 'ff 15' through the slot its displacement names, instrlen 6, a 5-byte 'e8' replacement,
            first at its site, native alternatives that fit); no overlaps, no record without a site and no
            unannotated table reference. Checks a format cannot carry are listed as n/a.

            With --object, verify records in objects built by anyone (a distribution's modules) against a model.
            Exit codes: 0 all proved, 1 findings, 2 bad input.

            Examples:
              pvgen generate --config examples/toy/pvgen.json -o out/toy && pvgen check out/toy
              pvgen check --object /lib/modules/6.1.0-50-amd64 --model pv_ops.pvgen.json
            """);
        command.Arguments.Add(directory);
        foreach (Option option in new Option[] { cc, opt, defines, includeDirs, objects, model, config, annotationFormat, format, output, keep, jobs })
        {
            command.Options.Add(option);
        }

        command.SetAction(result => Cli.Run(() =>
        {
            string[] objectPaths = Split(result.GetValue(objects));
            if (objectPaths.Length > 0)
            {
                return CheckObjects(objectPaths, result.GetValue(model), result.GetValue(config), result.GetValue(annotationFormat)!, result.GetValue(format)!, result.GetValue(output), result.GetValue(jobs));
            }

            string dir = result.GetValue(directory) ?? throw Usage("give a 'pvgen generate' output directory, or --object FILE... --model MODEL");
            GeneratedOutput generated;
            IReadOnlyList<Compiler> compilers;
            try
            {
                generated = GeneratedOutput.Read(dir);
                string[] requested = Split(result.GetValue(cc));
                compilers = CompilerDriver.Discover(requested.Length == 0 ? null : requested);
            }
            catch (CheckInputException e)
            {
                throw new CliException(e.Diagnostic);
            }
            catch (FileNotFoundException e)
            {
                throw Usage(e.Message);
            }

            if (compilers.Count == 0)
            {
                throw Usage("no C compiler found: install gcc (and clang-19 for the second compiler)");
            }

            string[] levels = Split(result.GetValue(opt));
            string work = result.GetValue(keep) ?? Path.Combine(Path.GetTempPath(), $"pvgen-check-{Environment.ProcessId}");
            try
            {
                string[] extra = [.. (result.GetValue(defines) ?? []).Select(d => "-D" + d), .. (result.GetValue(includeDirs) ?? []).Select(i => "-I" + Path.GetFullPath(i))];
                var report = Progress.Run("checking", reportProgress => CheckRunner.Check(generated, compilers, levels.Length == 0 ? CheckRunner.DefaultOptimizations : levels, work, extra, reportProgress));
                var findings = report.Findings.ToList();
                Emit(result.GetValue(format)!, result.GetValue(output), findings,
                    console => RenderTable(report, console), writer => WriteJson(report, findings, writer));
                return findings.Any(f => f.Severity == Severity.Error) ? ExitCodes.Findings : ExitCodes.Ok;
            }
            finally
            {
                if (result.GetValue(keep) is null && Directory.Exists(work))
                {
                    Directory.Delete(work, recursive: true);
                }
            }
        }));
        return command;
    }

    private static int CheckObjects(string[] paths, string? modelPath, string? configPath, string recordFormat, string format, string? output, int jobs)
    {
        if (modelPath is null)
        {
            throw Usage("--object needs --model MODEL.json (from 'pvgen parse --format json')");
        }

        var opsModel = Cli.LoadModel(modelPath);
        var config = configPath is null ? null : PvGenConfig.Load(configPath);
        var files = ObjectScanner.ExpandInputs(paths);
        var options = ScanOptions.ForModel(opsModel) with
        {
            AnnotationFormat = recordFormat == "auto" ? null : RecordFormats.Find(recordFormat),
        };
        var results = Progress.Run($"verifying {files.Count} files", _ => CheckRunner.CheckObjects(files, opsModel, ExpectedOps.From(opsModel, config), options, Math.Max(1, jobs)));
        var findings = results.SelectMany(r => r.Findings).ToList();
        var coverage = CheckRunner.Total(results.SelectMany(r => r.Coverage));
        var formats = results.Where(r => r.Object.Annotations.Count > 0 && r.Object.AnnotationFormat is not null)
            .GroupBy(r => r.Object.AnnotationFormat!.Name).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        Emit(format, output, findings, console =>
        {
            int withRecords = results.Count(r => r.Object.Annotations.Count > 0);
            int records = results.Sum(r => r.Object.Annotations.Count);
            var table = new Table().Border(TableBorder.Simple).AddColumn("objects").AddColumn("with records").AddColumn("formats").AddColumn("records").AddColumn("natives").AddColumn("sites").AddColumn("findings");
            table.AddRow($"{results.Count}", $"{withRecords}", Markup.Escape(formats.Count == 0 ? "-" : string.Join(", ", formats.Select(g => $"{g.Key} {g.Count()}"))), $"{records}",
                $"{results.Sum(r => r.Object.Annotations.Sum(a => a.Natives.Count))}", $"{results.Sum(r => r.Object.Sites.Count)}", $"{findings.Count}");
            console.Write(table);
            RenderCoverage(coverage, console);
            console.MarkupLine(findings.Count == 0 ? "[green]every record verified[/]" : $"[red]{findings.Count} findings[/]");
        }, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("schema", "pvgen.check/1");
            writer.WriteString("mode", "objects");
            writer.WriteNumber("objects", results.Count);
            writer.WriteNumber("records", results.Sum(r => r.Object.Annotations.Count));
            writer.WriteStartObject("record_formats");
            foreach (var group in formats)
            {
                writer.WriteNumber(group.Key, group.Count());
            }

            writer.WriteEndObject();
            WriteCoverage(writer, coverage);
            WriteFindings(writer, findings);
            writer.WriteEndObject();
        });
        return findings.Any(f => f.Severity == Severity.Error) ? ExitCodes.Findings : ExitCodes.Ok;
    }

    private static void Emit(string format, string? output, List<Finding> findings, Action<IAnsiConsole> table, Action<Utf8JsonWriter> json)
    {
        foreach (var finding in findings)
        {
            Console.Error.WriteLine(finding.ToString());
        }

        if (format == "table")
        {
            table(Cli.StdoutConsole());
            return;
        }

        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            if (format == "sarif")
            {
                Sarif.Write(writer, findings);
            }
            else
            {
                json(writer);
            }
        }

        string text = System.Text.Encoding.UTF8.GetString(stream.ToArray()) + "\n";
        if (output is null)
        {
            Console.Out.Write(text);
        }
        else
        {
            Cli.Write(output, text);
        }
    }

    /// <summary>Per check and format: records verified and failed, or why the check does not apply ("n/a").</summary>
    private static void RenderCoverage(IReadOnlyList<CheckCoverage> coverage, IAnsiConsole console)
    {
        if (coverage.Count == 0)
        {
            return;
        }

        var table = new Table().Border(TableBorder.Simple).AddColumn("check").AddColumn("format").AddColumn(new TableColumn("verified").RightAligned())
            .AddColumn(new TableColumn("failed").RightAligned()).AddColumn("finding it looks for");
        foreach (var c in coverage)
        {
            string title = DiagnosticIds.Titles.GetValueOrDefault(c.Id, c.Id);
            table.AddRow(c.Id, c.Format, c.NotApplicable is null ? $"{c.Checked}" : "n/a", c.NotApplicable is null ? $"{c.Failed}" : "-",
                Markup.Escape(c.NotApplicable is null ? title : $"{title} (n/a: {c.NotApplicable})"));
        }

        console.Write(table);
    }

    private static void WriteCoverage(Utf8JsonWriter writer, IReadOnlyList<CheckCoverage> coverage)
    {
        writer.WriteStartArray("checks");
        foreach (var c in coverage)
        {
            writer.WriteStartObject();
            writer.WriteString("id", c.Id);
            writer.WriteString("format", c.Format);
            writer.WriteBoolean("applicable", c.NotApplicable is null);
            writer.WriteNumber("verified", c.Checked);
            writer.WriteNumber("failed", c.Failed);
            writer.WriteString("not_applicable", c.NotApplicable);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void RenderTable(CheckReport report, IAnsiConsole console)
    {
        var model = report.Output.Model;
        console.MarkupLineInterpolated($"[bold]{report.Output.BaseName}[/]: struct {model.Struct}, {model.Target.Arch}, {report.Output.Ops.Count} ops, {report.Output.AnnotatedWrappers} annotated in macro style");
        var builds = new Table().Border(TableBorder.Simple)
            .AddColumn("compiler").AddColumn("style").AddColumn("opt").AddColumn("compiled")
            .AddColumn(new TableColumn("table refs").RightAligned()).AddColumn(new TableColumn("records").RightAligned()).AddColumn("format").AddColumn(new TableColumn("findings").RightAligned());
        foreach (var build in report.Builds)
        {
            builds.AddRow(build.Compiler, build.Style, "-" + build.Optimization, build.Compiled ? "yes" : "[red]no[/]",
                $"{build.Sites}", build.Style == "macro" ? $"{build.Records}" : "-", build.Format ?? "-", build.Findings.Count == 0 ? "0" : $"[red]{build.Findings.Count}[/]");
        }

        console.Write(builds);
        RenderCoverage(CheckRunner.Total(report.Builds.SelectMany(b => b.Coverage ?? [])), console);
        foreach (var (style, safety) in report.TypeSafety)
        {
            int probes = safety.Ops.Sum(o => o.Probes);
            console.MarkupLineInterpolated($"type safety ({safety.Compiler.Name}, {style}): {safety.TypeSafeCount} of {safety.Ops.Count} ops type-safe, {safety.Ops.Sum(o => o.Rejected)} of {probes} wrongly typed calls rejected as expected");
        }

        console.MarkupLine(report.Passed ? "[green]check passed[/]" : "[red]check failed[/]");
    }

    private static void WriteJson(CheckReport report, List<Finding> findings, Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("schema", "pvgen.check/1");
        writer.WriteString("mode", "generated");
        writer.WriteString("directory", report.Output.Directory);
        writer.WriteBoolean("passed", report.Passed);
        writer.WriteStartArray("builds");
        foreach (var build in report.Builds)
        {
            writer.WriteStartObject();
            writer.WriteString("compiler", build.Compiler);
            writer.WriteString("style", build.Style);
            writer.WriteString("optimization", build.Optimization);
            writer.WriteBoolean("compiled", build.Compiled);
            writer.WriteNumber("table_references", build.Sites);
            writer.WriteNumber("records", build.Records);
            writer.WriteString("record_format", build.Format);
            writer.WriteNumber("findings", build.Findings.Count);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("type_safety");
        foreach (var (style, safety) in report.TypeSafety)
        {
            writer.WriteStartObject();
            writer.WriteString("compiler", safety.Compiler.Name);
            writer.WriteString("style", style);
            writer.WriteNumber("ops", safety.Ops.Count);
            writer.WriteNumber("type_safe", safety.TypeSafeCount);
            writer.WriteNumber("probes", safety.Ops.Sum(o => o.Probes));
            writer.WriteNumber("rejected", safety.Ops.Sum(o => o.Rejected));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        WriteCoverage(writer, CheckRunner.Total(report.Builds.SelectMany(b => b.Coverage ?? [])));
        WriteFindings(writer, findings);
        writer.WriteEndObject();
    }

    private static void WriteFindings(Utf8JsonWriter writer, List<Finding> findings)
    {
        writer.WriteStartArray("findings");
        foreach (var f in findings)
        {
            writer.WriteStartObject();
            writer.WriteString("id", f.Id);
            writer.WriteString("severity", f.Severity.ToString().ToLowerInvariant());
            writer.WriteString("message", f.Message);
            writer.WriteString("file", f.File);
            writer.WriteString("section", f.Section);
            if (f.Offset is long offset)
            {
                writer.WriteNumber("offset", offset);
            }
            else
            {
                writer.WriteNull("offset");
            }

            writer.WriteString("function", f.Function);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static string[] Split(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();

    private static CliException Usage(string message) => new(new Diagnostic(DiagnosticIds.BadOption, Severity.Error, message, null));
}
