using System.CommandLine;
using System.Text.Json;
using PvGen.Binary;
using PvGen.Binary.Annotating;
using PvGen.Checking.Annotations;
using PvGen.Clang;
using PvGen.X86;
using PvGen.X86.Records;
using PvGen.Model;
using PvGen.Model.Config;
using Spectre.Console;

namespace PvGen.Cli;

/// <summary><c>pvgen annotate</c>: the reloc approach made patchable (objtool-style site records written into plain-style objects).</summary>
internal static class AnnotateCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("object") { Description = "Plain-style relocatable objects (.o).", Arity = ArgumentArity.OneOrMore };
        var inputs = new InputOptions();
        var model = new Option<string?>("--model", "-m") { Description = "A pvgen.model/1 JSON: its table symbol, and op names in the report." };
        var format = new Option<string?>("--format", "-f") { Description = $"Record format: {string.Join(", ", ObjectAnnotator.Writable.Select(f => $"{f.Name} ({f.Description})"))} (default: para16 on x86-64, para8 on i386)." };
        var output = new Option<string?>("--output", "-o") { Description = "The annotated object (one input), or a directory for several (written only when every input is annotated)." };
        var report = new Option<string>("--report") { Description = "table (default) or json (the records written and the sites left unpatched).", DefaultValueFactory = _ => "table" };
        report.AcceptOnlyFromAmong("table", "json");

        var command = new Command("annotate", """
            Write site records into plain-style objects, objtool-style, from the sites `pvgen scan` finds: one record per
            indirect call (or tail jump, where the format can say so) through the table, with its relocation, so the
            linker carries the records like those the macro style's inline asm emits. References that cannot be patched
            in place (a pointer loaded and reused, GOT loads, addresses taken, tail jumps in .parainstructions) get no
            record and are listed with the reason. Ops configured "jump": true (pvgen.json, --config) are patched as jumps.
            Bad or already-annotated input: an error, nothing written.
            Exit codes: 0 annotated, 2 bad input.

            Examples:
              pvgen annotate build/irq.o --config examples/linux-5.10-x86_64/pvgen.json -o build/irq.annotated.o
              pvgen annotate a.o b.o --symbol pv_ops --format para6 -o annotated/
            """);
        command.Arguments.Add(paths);
        foreach (Option option in new Option[] { inputs.Symbol, inputs.Struct, inputs.Target, inputs.IncludeDirs, inputs.Defines, inputs.Includes, inputs.Std, inputs.KernelTree, inputs.KernelBuild, inputs.ResourceDir, inputs.CalleeSaveType, inputs.Config, model, format, output, report })
        {
            command.Options.Add(option);
        }

        command.SetAction(result => Cli.Run(() =>
        {
            string[] objects = result.GetValue(paths) ?? [];
            foreach (string input in objects.Where(p => !File.Exists(p)))
            {
                throw new CliException(new Diagnostic(DiagnosticIds.FileNotFound, Severity.Error, $"'{input}' not found", null));
            }

            string outputPath = result.GetValue(output) ?? throw Usage("give -o OUT: the annotated object, or a directory for several objects");
            RecordFormat? recordFormat = null;
            if (result.GetValue(format) is { } name)
            {
                recordFormat = RecordFormats.Find(name) ?? throw Usage($"unknown record format '{name}': use {string.Join(", ", ObjectAnnotator.Writable.Select(f => f.Name))}");
            }

            var (opsModel, config) = LoadModel(result, model, inputs);
            var jumpSlots = opsModel is null || config is null
                ? new HashSet<int>()
                : ExpectedOps.From(opsModel, config).Values.Where(e => e.Jump).Select(e => e.Slot).ToHashSet();
            var options = new AnnotateOptions(ScanOptions.ForModel(opsModel, result.GetValue(inputs.Symbol)), recordFormat, jumpSlots);

            IReadOnlyList<(string Input, string Output)> jobs;
            try
            {
                jobs = AnnotateBatch.Outputs(objects, outputPath);
            }
            catch (AnnotateException e)
            {
                throw Usage(e.Message);
            }

            var results = AnnotateBatch.Run(jobs, options, out bool written);
            foreach (var failed in results.Where(r => r.Error is not null))
            {
                DiagnosticPrinter.Print([new Diagnostic(DiagnosticIds.AnnotateFailed, Severity.Error, failed.Error!, new SourceLocation(failed.Path, 1, 1))]);
            }

            if (result.GetValue(report) == "json")
            {
                Console.Out.Write(Json(results, written));
            }
            else
            {
                Table(Cli.StdoutConsole(), results, written);
            }

            return written ? ExitCodes.Ok : ExitCodes.InputError;
        }));
        return command;
    }

    private static (OpsModel? Model, PvGenConfig? Config) LoadModel(System.CommandLine.ParseResult result, Option<string?> model, InputOptions inputs)
    {
        string? modelPath = result.GetValue(model);
        string? configPath = result.GetValue(inputs.Config);
        var config = configPath is null ? null : PvGenConfig.Load(configPath);
        if (modelPath is not null)
        {
            return (Cli.LoadModel(modelPath), config);
        }

        if (configPath is null && result.GetValue(inputs.Struct) is null)
        {
            return (null, null);
        }

        var parsed = HeaderParser.Parse(inputs.Resolve(result));
        DiagnosticPrinter.Print(parsed.Diagnostics);
        if (!parsed.Succeeded)
        {
            throw new CliException(new Diagnostic(DiagnosticIds.ClangError, Severity.Error, "the header could not be parsed", null));
        }

        return (parsed.Model, config);
    }

    private static void Table(IAnsiConsole console, IReadOnlyList<AnnotatedObject> results, bool written)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumn("object").AddColumn("format").AddColumn("records").AddColumn("calls").AddColumn("jumps").AddColumn("unpatched");
        foreach (var r in results)
        {
            table.AddRow(Markup.Escape(r.Path), r.Format?.Name ?? "-", r.Error is null ? $"{r.Plan.Records.Count}" : "[red]failed[/]",
                $"{r.Plan.Records.Count(p => p.Kind == PatchKind.Call)}", $"{r.Plan.Records.Count(p => p.Kind == PatchKind.Jump)}", $"{r.Plan.Unpatchable.Count}");
        }

        console.Write(table);
        var unpatched = results.SelectMany(r => r.Plan.Unpatchable.Select(u => (r.Path, Site: u))).ToList();
        if (unpatched.Count > 0)
        {
            var list = new Table().Border(TableBorder.Simple).Title("references left without a record").AddColumn("object").AddColumn("function").AddColumn("address").AddColumn("len").AddColumn("op").AddColumn("why");
            foreach (var (path, u) in unpatched)
            {
                list.AddRow(Markup.Escape(Path.GetFileName(path)), Markup.Escape(u.Function), Markup.Escape($"{u.Section}+0x{u.Offset:x}"), $"{u.Length}", Markup.Escape(u.Op ?? $"offset {u.TargetOffset}"), Markup.Escape(u.Explanation));
            }

            console.Write(list);
        }

        console.MarkupLine(written ? "[green]written[/]" : "[red]nothing written[/]");
    }

    private static string Json(IReadOnlyList<AnnotatedObject> results, bool written)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("schema", "pvgen.annotate/1");
            w.WriteBoolean("written", written);
            w.WriteStartArray("objects");
            foreach (var r in results)
            {
                w.WriteStartObject();
                w.WriteString("path", r.Path);
                w.WriteString("machine", r.Machine);
                w.WriteString("format", r.Format?.Name);
                w.WriteString("error", r.Error);
                w.WriteStartArray("records");
                foreach (var p in r.Plan.Records)
                {
                    w.WriteStartObject();
                    w.WriteString("section", p.Section);
                    w.WriteNumber("offset", p.Offset);
                    w.WriteNumber("length", p.Length);
                    w.WriteNumber("slot", p.Slot);
                    w.WriteString("op", p.Op);
                    w.WriteString("kind", p.Kind == PatchKind.Jump ? "jmp" : "call");
                    w.WriteString("function", p.Function);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("unpatched");
                foreach (var u in r.Plan.Unpatchable)
                {
                    w.WriteStartObject();
                    w.WriteString("section", u.Section);
                    w.WriteNumber("offset", u.Offset);
                    w.WriteNumber("length", u.Length);
                    w.WriteString("kind", Binary.Output.ScanJsonWriter.KindName(u.Kind));
                    w.WriteNumber("target_offset", u.TargetOffset);
                    w.WriteString("op", u.Op);
                    w.WriteString("function", u.Function);
                    w.WriteString("reason", u.Reason);
                    w.WriteString("why", u.Explanation);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static CliException Usage(string message) => new(new Diagnostic(DiagnosticIds.BadOption, Severity.Error, message, null));
}
