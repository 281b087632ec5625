using System.CommandLine;
using System.Globalization;
using PvGen.Binary;
using PvGen.Binary.Output;
using PvGen.Clang;
using PvGen.Model;
using PvGen.X86.Records;
using PvGen.Model.Json;
using Spectre.Console;

namespace PvGen.Cli;

/// <summary><c>pvgen scan</c>: the reloc approach on real binaries (sites from relocations against the table + decoding).</summary>
internal static class ScanCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("path") { Description = "Objects (.o), modules (.ko), archives (.a), kernels linked with --emit-relocs, or directories (searched recursively).", Arity = ArgumentArity.OneOrMore };
        var inputs = new InputOptions();
        var model = new Option<string?>("--model", "-m") { Description = "A pvgen.model/1 JSON (from 'pvgen parse --format json'): names each site by its op; its table symbol is the default symbol." };
        var format = new Option<string>("--format", "-f") { Description = "table (for people), json (the pvgen.scan/1 contract), c or asm (a site table in the role of .parainstructions).", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "c", "asm");
        var output = new Option<string?>("--output", "-o") { Description = "Write to FILE (atomically, only when the content changes) instead of stdout." };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Files read in parallel (default: the number of processors).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var annotationFormat = new Option<string>("--record-format", "--annotation-format") { Description = "Layout of the pv site records: " + RecordFormats.OptionHelp + ".", DefaultValueFactory = _ => "auto" };
        annotationFormat.AcceptOnlyFromAmong(["auto", .. RecordFormats.AcceptedNames]);
        var readAll = new Option<bool>("--read-all") { Description = "Parse every object in full, even those whose bytes never mention the symbol (slower; the result is the same)." };

        var command = new Command("scan", """
            Find every reference to the ops table in ELF objects: each relocation against the table symbol inside an
            executable section, decoded and classified as call, jmp (tail call), load (pointer hoisted into a register,
            or the table's address through the GOT), address (taken) or other. Loads are followed to the indirect calls
            they feed. .parainstructions records, when present, are read and matched to the sites.
            The symbol is --symbol, else the model's table symbol, else pv_ops. With --model (or a header and the parse
            options, e.g. --config pvgen.json), every site is named by its op.
            Exit codes: 0 ok, 1 some object could not be scanned (the scan goes on), 2 usage or input error.

            Examples:
              pvgen scan build/ --format json -o sites.json
              pvgen scan /lib/modules/6.1.0-50-amd64 --model pv_ops.pvgen.json
              pvgen scan vmlinux.o drivers/xen/built-in.a --config examples/linux-5.10-x86_64/pvgen.json --format asm
            """);
        command.Arguments.Add(paths);
        foreach (Option option in new Option[] { inputs.Symbol, inputs.Struct, inputs.Target, inputs.IncludeDirs, inputs.Defines, inputs.Includes, inputs.Std, inputs.KernelTree, inputs.KernelBuild, inputs.ResourceDir, inputs.CalleeSaveType, inputs.Config })
        {
            command.Options.Add(option);
        }

        foreach (Option option in new Option[] { model, format, output, jobs, annotationFormat, readAll })
        {
            command.Options.Add(option);
        }

        command.SetAction(result => Cli.Run(() =>
        {
            var given = result.GetValue(paths) ?? [];
            foreach (string input in given)
            {
                if (!File.Exists(input) && !Directory.Exists(input))
                {
                    throw new CliException(new Diagnostic(DiagnosticIds.FileNotFound, Severity.Error, $"'{input}' not found", null));
                }
            }

            var opsModel = LoadModel(result, model, inputs);
            var options = ScanOptions.ForModel(opsModel, result.GetValue(inputs.Symbol)) with
            {
                AnnotationFormat = result.GetValue(annotationFormat) is { } named && named != "auto" ? RecordFormats.Find(named) : null,
                SkipObjectsWithoutSymbol = !result.GetValue(readAll),
            };
            int jobCount = result.GetValue(jobs);
            if (jobCount < 1)
            {
                throw new CliException(new Diagnostic(DiagnosticIds.BadOption, Severity.Error, $"--jobs must be at least 1 (got {jobCount})", null));
            }

            var files = ObjectScanner.ExpandInputs(given);
            string? path = result.GetValue(output);
            string chosen = result.GetValue(format) ?? "table";
            string? modelName = opsModel is null ? null : $"{opsModel.Struct} ({opsModel.Target.Arch})";
            return Execute(files, options, jobCount, chosen, path, modelName);
        }));
        return command;
    }

    private static OpsModel? LoadModel(System.CommandLine.ParseResult result, Option<string?> model, InputOptions inputs)
    {
        string? modelPath = result.GetValue(model);
        bool parseHeader = result.GetValue(inputs.Config) is not null || result.GetValue(inputs.Struct) is not null;
        if (modelPath is not null && parseHeader)
        {
            throw new CliException(new Diagnostic(DiagnosticIds.BadOption, Severity.Error, "give either --model or a header to parse (--config/--struct), not both", null));
        }

        if (modelPath is not null)
        {
            return Cli.LoadModel(modelPath);
        }

        if (!parseHeader)
        {
            return null;
        }

        var parsed = HeaderParser.Parse(inputs.Resolve(result));
        DiagnosticPrinter.Print(parsed.Diagnostics);
        if (!parsed.Succeeded)
        {
            throw new CliException(new Diagnostic(DiagnosticIds.ClangError, Severity.Error, "the header could not be parsed", null));
        }

        return parsed.Model;
    }

    private static int Execute(IReadOnlyList<string> files, ScanOptions options, int jobs, string format, string? outputPath, string? modelName)
    {
        bool toTerminal = outputPath is null && !Console.IsOutputRedirected;
        bool showProgress = !Console.IsErrorRedirected && (format == "table" || !toTerminal) && files.Count > 1;
        int failed = 0;

        void Run(Action? tick)
        {
            IEnumerable<ScannedObject> scanned = ObjectScanner.ScanAll(files, options, jobs, tick).Select(o =>
            {
                if (o.Error is not null)
                {
                    failed++;
                    Console.Error.WriteLine($"{o.Path}: error: {o.Error} [{DiagnosticIds.ScanObjectFailed}]");
                }

                return o;
            });
            if (format == "table")
            {
                var rendered = ScanTable.Collect(scanned);
                if (outputPath is null)
                {
                    ScanTable.Render(rendered, options.Symbol, modelName, Cli.StdoutConsole());
                }
                else
                {
                    var writer = new StringWriter();
                    ScanTable.Render(rendered, options.Symbol, modelName, Cli.TextConsole(writer));
                    Cli.Write(outputPath, writer.ToString());
                }

                return;
            }

            StreamedOutput.Write(outputPath, stream =>
            {
                if (format == "json")
                {
                    using var json = new ScanJsonWriter(stream, options.Symbol, modelName, p => p);
                    foreach (var o in scanned)
                    {
                        json.Write(o);
                    }

                    json.Finish();
                    return;
                }

                using var text = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
                var table = new SiteTableWriter(text, options.Symbol, assembler: format == "asm");
                foreach (var o in scanned)
                {
                    table.Write(o, o.Path);
                }

                table.Finish();
            });
        }

        if (showProgress)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            console.Progress().AutoClear(true).HideCompleted(true).Start(context =>
            {
                var task = context.AddTask($"scanning {files.Count.ToString(CultureInfo.InvariantCulture)} files", maxValue: files.Count);
                Run(() => task.Increment(1));
            });
        }
        else
        {
            Run(null);
        }

        return failed > 0 ? ExitCodes.Findings : ExitCodes.Ok;
    }

    /// <summary>The table format: per file and per op counts, totals by kind.</summary>
    private static class ScanTable
    {
        public sealed record Collected(List<ScannedObject> Interesting, ScanSummary Summary);

        /// <summary>Keeps only objects with sites, records or errors (the rest are counted).</summary>
        public static Collected Collect(IEnumerable<ScannedObject> scanned)
        {
            var summary = new ScanSummary();
            var interesting = new List<ScannedObject>();
            foreach (var o in scanned)
            {
                summary.Add(o);
                if (o.Sites.Count > 0 || o.Annotations.Count > 0 || o.Error is not null)
                {
                    interesting.Add(o);
                }
            }

            return new Collected(interesting, summary);
        }

        public static void Render(Collected collected, string symbol, string? modelName, IAnsiConsole console)
        {
            var s = collected.Summary;
            static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
            console.MarkupLineInterpolated($"[bold]{symbol}[/]{(modelName is null ? string.Empty : $" ({modelName})")}: {N(s.Objects)} objects, {N(s.ObjectsWithSites)} with sites, {N(s.Errors)} failed");
            if (collected.Interesting.Count > 0)
            {
                var files = new Table().Border(TableBorder.Simple).AddColumn("object").AddColumn("machine").AddColumn("format");
                foreach (var column in new[] { "call", "jmp", "load", "address", "other", "records", "natives", "unannotated", "orphan" })
                {
                    files.AddColumn(new TableColumn(column).RightAligned());
                }

                files.AddColumn("error");
                foreach (var o in collected.Interesting)
                {
                    int Count(SiteKind kind) => o.Sites.Count(site => site.Kind == kind);
                    files.AddRow(
                        new Text(o.Path), new Text(o.Machine ?? "?"), new Text(o.Annotations.Count > 0 ? o.AnnotationFormat?.Name ?? "-" : "-"),
                        new Text(N(Count(SiteKind.Call))), new Text(N(Count(SiteKind.Jmp))), new Text(N(Count(SiteKind.Load))),
                        new Text(N(Count(SiteKind.Address))), new Text(N(Count(SiteKind.Other))),
                        new Text(N(o.Annotations.Count)), new Text(N(o.Annotations.Sum(a => a.Natives.Count))), new Text(o.Annotations.Count > 0 ? N(o.UnannotatedCalls.Count()) : "-"),
                        new Text(N(o.OrphanAnnotations.Count())), new Text(o.Error ?? string.Empty));
                }

                console.Write(files);
            }

            if (s.ByOp.Count > 0)
            {
                var ops = new Table().Border(TableBorder.Simple).AddColumn("op");
                foreach (var column in new[] { "call", "jmp", "load", "address", "other", "total" })
                {
                    ops.AddColumn(new TableColumn(column).RightAligned());
                }

                foreach (var (op, count) in s.ByOp)
                {
                    ops.AddRow(new Text(op), new Text(N(count.Call)), new Text(N(count.Jmp)), new Text(N(count.Load)), new Text(N(count.Address)), new Text(N(count.Other)), new Text(N(count.Total)));
                }

                console.Write(ops);
            }

            string kinds = string.Join(", ", s.ByKind.Select(k => $"{ScanJsonWriter.KindName(k.Key)} {N(k.Value)}"));
            console.WriteLine($"total: {N(s.Sites)} sites ({kinds}); {N(s.Feeds)} fed calls; {N(s.Annotations)} records, {N(s.AnnotatedSites)} sites annotated, {N(s.UnannotatedCalls)} calls without a record, {N(s.OrphanAnnotations)} records without a site");
            if (s.AltEntries > 0)
            {
                string formats = string.Join(", ", s.ByRecordFormat.Select(f => $"{f.Key} {N(f.Value)}"));
                console.WriteLine($"records by format (objects): {formats}; {N(s.DirectCallAnnotations)} DIRECT_CALL records, {N(s.NativeAlternatives)} native alternatives at pv sites; "
                    + $"{N(s.AltEntries)} .altinstructions entries, {N(s.OtherAlternatives)} of them CPU-feature alternatives (not pv sites)");
            }
        }
    }
}

/// <summary>
/// Streamed output that still honours the atomic-write rule: stdout directly, or a temp file beside FILE that replaces
/// it only when complete and different (what AtomicFile.WriteIfChanged does for text held in memory).
/// </summary>
internal static class StreamedOutput
{
    public static void Write(string? path, Action<Stream> write)
    {
        if (path is null)
        {
            using var stdout = Console.OpenStandardOutput();
            using var buffered = new BufferedStream(stdout, 1 << 16);
            write(buffered);
            return;
        }

        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
            }

            if (File.Exists(full) && SameBytes(full, temp))
            {
                File.Delete(temp);
                return;
            }

            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(new Diagnostic(DiagnosticIds.OutputNotWritable, Severity.Error, $"cannot write '{path}': {e.Message}", null));
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static bool SameBytes(string a, string b)
    {
        var (left, right) = (new FileInfo(a), new FileInfo(b));
        if (left.Length != right.Length)
        {
            return false;
        }

        using var x = File.OpenRead(a);
        using var y = File.OpenRead(b);
        Span<byte> bx = stackalloc byte[8192], by = stackalloc byte[8192];
        int n;
        while ((n = x.ReadAtLeast(bx, bx.Length, throwOnEndOfStream: false)) > 0)
        {
            y.ReadExactly(by[..n]);
            if (!bx[..n].SequenceEqual(by[..n]))
            {
                return false;
            }
        }

        return true;
    }
}
