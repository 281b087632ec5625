using System.CommandLine;
using PvGen.Clang;
using ParseResult = System.CommandLine.ParseResult;
using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.Model.IO;
using PvGen.Model.Json;
using PvGen.X86.Records;

namespace PvGen.Cli;

/// <summary><c>pvgen generate</c>: model -> wrappers in the chosen styles, written only when changed, with a change report.</summary>
internal static class GenerateCommand
{
    /// <summary>The options generate and model share, and how they become a generation request.</summary>
    internal sealed class Options
    {
        public readonly InputOptions Inputs = new();
        public readonly Option<string[]> Style = new("--style") { Description = "macro, plain, csharp or both (= macro,plain; the default); repeatable. Styles are extensible.", AllowMultipleArgumentsPerToken = true };
        public readonly Option<string?> Output = new("--output", "-o") { Description = "Output directory." };
        public readonly Option<string?> Templates = new("--templates") { Description = "Template override directory: any file there replaces the default of the same name." };
        public readonly Option<string?> RecordFormat = new("--record-format") { Description = "Record format of the macro-style sites (wins over generate.record_format and the kernel tree): " + string.Join(", ", RecordFormats.Names) + " (old names accepted)." };

        public void AddTo(Command command)
        {
            Inputs.AddTo(command);
            command.Options.Add(Style);
            command.Options.Add(Output);
            command.Options.Add(Templates);
            command.Options.Add(RecordFormat);
        }

        public GenerationRequest Resolve(ParseResult result, string outputDirectory, List<Diagnostic> diagnostics)
        {
            string? argument = result.GetValue(Inputs.Header);
            string? kernelTree = null;
            OpsModel model;
            PvGenConfig config;
            string? headerPath;
            IReadOnlyList<string> compileFlags;
            if (argument is not null && argument.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                model = Cli.LoadModel(argument);
                config = LoadConfig(result.GetValue(Inputs.Config));
                kernelTree = result.GetValue(Inputs.KernelTree) is { } tree ? Path.GetFullPath(tree) : config.KernelTree is { } configured ? config.Resolve(configured) : null;
                headerPath = model.Location.File.Length > 0 ? Path.GetFullPath(model.Location.File) : null;
                compileFlags = CompileFlagsFor(
                    [.. config.Defines ?? [], .. result.GetValue(Inputs.Defines) ?? []],
                    [.. (config.IncludeDirs ?? []).Select(config.Resolve), .. (result.GetValue(Inputs.IncludeDirs) ?? []).Select(Path.GetFullPath)],
                    [.. (config.Includes ?? []).Select(config.Resolve), .. (result.GetValue(Inputs.Includes) ?? []).Select(Path.GetFullPath)],
                    null, outputDirectory);
            }
            else
            {
                var request = Inputs.Resolve(result);
                var parsed = HeaderParser.Parse(request);
                diagnostics.AddRange(parsed.Diagnostics);
                if (!parsed.Succeeded)
                {
                    throw new ParseFailed();
                }

                model = parsed.Model!;
                kernelTree = request.KernelTree;
                config = request.Config ?? new PvGenConfig();
                headerPath = request.HeaderPath;
                compileFlags = CompileFlagsFor(request.Defines, request.IncludeDirs, request.Includes, request, outputDirectory);
            }

            var settings = GenerateSettings.Bind(config.Extra is { } extra && extra.TryGetValue("generate", out var section) ? section : null,
                config.SourcePath ?? "pvgen.json");
            string include = settings.Include
                ?? (headerPath is not null ? Path.GetRelativePath(outputDirectory, headerPath).Replace('\\', '/') : throw new CliException(
                    new Diagnostic(DiagnosticIds.BadGenerateConfig, Severity.Error, "the model names no header; set \"include\" in the \"generate\" section of pvgen.json", null)));
            bool declare = settings.DeclareTable ?? !(model.TableSymbol is { } symbol && headerPath is not null && OpsHeader.DeclaresTable(headerPath, model.Struct, symbol));
            string? templates = result.GetValue(Templates) is { } t ? Path.GetFullPath(t) : settings.Templates is { } st ? config.Resolve(st) : null;
            if (templates is not null && !Directory.Exists(templates))
            {
                throw new CliException(new Diagnostic(DiagnosticIds.TemplateNotFound, Severity.Error, $"template directory '{templates}' not found", null));
            }

            RecordFormat? recordFormat = null;
            if (result.GetValue(RecordFormat) is { } formatName)
            {
                recordFormat = RecordFormats.Find(formatName) ?? throw new CliException(new Diagnostic(DiagnosticIds.BadOption, Severity.Error,
                    $"--record-format '{formatName}' is not a record format; use one of: {string.Join(", ", RecordFormats.Names)}", null));
            }

            return new GenerationRequest
            {
                RecordFormat = recordFormat,
                TreeFacts = kernelTree is not null ? KernelTreeFacts.Read(kernelTree, model.Target.PointerSize) : null,
                Model = model,
                Config = config,
                Settings = settings,
                Include = include,
                DeclareTable = declare,
                Invocation = Invocation(result, outputDirectory),
                Styles = Styles(result),
                CompileFlags = compileFlags,
                TemplateDirectory = templates,
                TemplateDirectoryDisplay = templates is null ? null : Relative(templates),
            };
        }

        /// <summary>The parse environment as compiler flags, paths relative to the output directory (deterministic).</summary>
        private static IReadOnlyList<string> CompileFlagsFor(IEnumerable<string> defines, IEnumerable<string> includeDirs, IEnumerable<string> includes, ParseRequest? request, string outputDirectory)
        {
            string Rel(string path) => Path.GetRelativePath(outputDirectory, path).Replace('\\', '/');
            var flags = new List<string>();
            if (request?.KernelTree is { } tree)
            {
                // The kernel's own include environment; the target flags come from the checker.
                var kernel = new List<string>();
                CompilerFlags.AddKernelFlags(kernel, Path.GetFullPath(tree), Path.GetFullPath(request.KernelBuild ?? tree), request.Target);
                // The tree's include directories become -isystem: `pvgen check` holds PvGen's generated code to -Wextra -Werror,
                // and the kernel's own headers are not -Wextra clean (nor built with it); system headers' warnings are not ours.
                for (int i = 0; i < kernel.Count; i++)
                {
                    if (kernel[i].StartsWith("-I", StringComparison.Ordinal))
                    {
                        flags.AddRange(["-isystem", Rel(kernel[i][2..])]);
                    }
                    else
                    {
                        flags.Add(i > 0 && kernel[i - 1] == "-include" ? Rel(kernel[i]) : kernel[i]);
                    }
                }
            }

            flags.AddRange(defines.Select(d => "-D" + d));
            flags.AddRange(includeDirs.Select(d => "-I" + Rel(d)));
            foreach (string include in includes)
            {
                flags.Add("-include");
                flags.Add(Rel(include));
            }

            return flags;
        }

        private IReadOnlyList<string> Styles(ParseResult result)
        {
            var styles = new List<string>();
            foreach (string value in result.GetValue(Style) is { Length: > 0 } given ? given : ["both"])
            {
                foreach (string style in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    styles.AddRange(style == "both" ? ["macro", "plain"] : [style]);
                }
            }

            return styles.Distinct().ToList();
        }

        /// <summary>The command line that reproduces the output, run from the output directory: relative paths only.</summary>
        private string Invocation(ParseResult result, string outputDirectory)
        {
            var words = new List<string> { "pvgen", result.CommandResult.Command.Name };
            string Rel(string path) => Path.GetRelativePath(outputDirectory, Path.GetFullPath(path)).Replace('\\', '/');
            if (result.GetValue(Inputs.Header) is { } header)
            {
                words.Add(Rel(header));
            }

            if (result.GetValue(Inputs.Config) is { } configPath)
            {
                words.AddRange(["--config", Rel(configPath)]);
            }
            else if (File.Exists("pvgen.json"))
            {
                words.AddRange(["--config", Rel("pvgen.json")]);
            }

            void Text(Option<string?> option)
            {
                if (result.GetValue(option) is { } value)
                {
                    words.AddRange([option.Name, value]);
                }
            }

            void PathOption(Option<string?> option)
            {
                if (result.GetValue(option) is { } value)
                {
                    words.AddRange([option.Name, Rel(value)]);
                }
            }

            Text(Inputs.Struct);
            Text(Inputs.Symbol);
            Text(Inputs.Target);
            foreach (string dir in result.GetValue(Inputs.IncludeDirs) ?? [])
            {
                words.AddRange(["-I", Rel(dir)]);
            }

            foreach (string define in result.GetValue(Inputs.Defines) ?? [])
            {
                words.AddRange(["-D", define]);
            }

            foreach (string file in result.GetValue(Inputs.Includes) ?? [])
            {
                words.AddRange(["--include", Rel(file)]);
            }

            Text(Inputs.Std);
            PathOption(Inputs.KernelTree);
            PathOption(Inputs.KernelBuild);
            PathOption(Inputs.ResourceDir);
            Text(Inputs.CalleeSaveType);
            if (result.CommandResult.Command.Name == "generate")
            {
                words.AddRange(["--style", string.Join(",", Styles(result))]);
                PathOption(Templates);
                Text(RecordFormat);
                words.AddRange(["-o", "."]);
            }

            return string.Join(' ', words.Select(Quote));
        }
    }

    public static Command Create()
    {
        CSharpStyle.Register();
        var options = new Options();
        var check = new Option<bool>("--check") { Description = "Write nothing; exit 1 when any output is stale (for CI)." };
        var command = new Command("generate", """
            Generate call-site wrappers from the ops header (or a pvgen.model/1 JSON file) through Scriban templates.
            Writes, in the output directory: BASE_macro.h, BASE_plain.h, BASE_exercise.c, BASE.manifest.json and
            .pvgen/model.json (the model the change report compares against next time). A file is written only
            when its content changes. Settings: the "generate" section of pvgen.json; per-op "ops" entries.

            Examples:
              pvgen generate --config examples/toy/pvgen.json -o out/toy
              pvgen generate pv_ops.pvgen.json --style macro -o include/generated --templates my-templates
              pvgen generate --config examples/linux-5.10-x86_64/pvgen.json -o out --check
            """);
        options.AddTo(command);
        command.Options.Add(check);
        command.SetAction(result => Cli.Run(() => Run(result, options, result.GetValue(check))));
        return command;
    }

    private static int Run(ParseResult result, Options options, bool check)
    {
        TemplateWarmUp.Start();
        string output = result.GetValue(options.Output) is { } o ? Path.GetFullPath(o) : throw new CliException(
            new Diagnostic(DiagnosticIds.BadOption, Severity.Error, "no output directory: pass -o DIR", null));
        var diagnostics = new List<Diagnostic>();
        GenerationOutput generated;
        GenerationRequest request;
        try
        {
            request = options.Resolve(result, output, diagnostics);
            generated = Generator.Generate(request);
            diagnostics.AddRange(generated.Diagnostics);
        }
        catch (ParseFailed)
        {
            DiagnosticPrinter.Print(diagnostics);
            return ExitCodes.InputError;
        }
        catch (GenerationException e)
        {
            DiagnosticPrinter.Print([.. diagnostics, e.Diagnostic]);
            return ExitCodes.InputError;
        }
        catch (TemplateException e)
        {
            DiagnosticPrinter.Print(diagnostics);
            Console.Error.WriteLine($"{e.Message} [{DiagnosticIds.TemplateError}]");
            return ExitCodes.InputError;
        }

        DiagnosticPrinter.Print(diagnostics);
        var previous = PreviousModel(output);
        var changes = previous is null ? null : ChangeReport.Compare(previous, request.Model);
        string display = Relative(output);

        if (check)
        {
            var stale = generated.Files.Where(f => f.Path != Generator.ModelFile && AtomicFile.IsStale(Path.Combine(output, f.Path), f.Content)).ToList();
            foreach (var file in stale)
            {
                Console.Error.WriteLine(new Diagnostic(DiagnosticIds.StaleOutput, Severity.Error,
                    $"{display}/{file.Path} is stale: run pvgen generate (without --check)", null));
            }

            PrintChanges(changes, display);
            Console.Out.WriteLine(stale.Count == 0 ? $"{display}: up to date ({generated.Files.Count - 1} files)" : $"{display}: {stale.Count} stale file(s)");
            return stale.Count == 0 ? ExitCodes.Ok : ExitCodes.Findings;
        }

        var written = new List<string>();
        var unchanged = new List<string>();
        foreach (var file in generated.Files)
        {
            string path = Path.Combine(output, file.Path);
            try
            {
                (AtomicFile.WriteIfChanged(path, file.Content) ? written : unchanged).Add(file.Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException(new Diagnostic(DiagnosticIds.OutputNotWritable, Severity.Error, $"cannot write '{display}/{file.Path}': {e.Message}", null));
            }
        }

        var plan = generated.Plan;
        Console.Out.WriteLine($"{display}: {plan.Ops.Count(o => !o.Skipped)} wrappers ({plan.Ops.Count(o => !o.Skipped && o.Binding.IsAsm)} annotated sites in macro style), "
            + $"{written.Count} file(s) written, {unchanged.Count} unchanged");
        if (request.Styles.Contains("macro"))
        {
            Console.Out.WriteLine($"  records   {plan.Format.Name} in {plan.Section} ({plan.Format.Description}; from {plan.FormatSource})");
        }
        foreach (string path in written)
        {
            Console.Out.WriteLine($"  wrote     {path}");
        }

        PrintChanges(changes, display);
        return ExitCodes.Ok;
    }

    private static void PrintChanges(IReadOnlyList<OpChange>? changes, string display)
    {
        if (changes is null)
        {
            Console.Out.WriteLine($"change report: no previous model in {display}/{Generator.ModelFile} (first generation)");
            return;
        }

        if (changes.Count == 0)
        {
            Console.Out.WriteLine("change report: no op changes");
            return;
        }

        Console.Out.WriteLine($"change report ({changes.Count} change(s) since the last generation):");
        foreach (var change in changes)
        {
            Console.Out.WriteLine($"  {change}");
        }

        int breaks = changes.Count(c => c.IsAbiBreak);
        if (breaks > 0)
        {
            Console.Error.WriteLine(new Diagnostic(DiagnosticIds.AbiBreak, Severity.Warning,
                $"{breaks} op(s) renumbered: an ABI break, every module built against the old layout must be rebuilt", null));
        }
    }

    private static OpsModel? PreviousModel(string output)
    {
        string path = Path.Combine(output, Generator.ModelFile);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return ModelJson.Deserialize(File.ReadAllText(path), path);
        }
        catch (ModelJsonException e)
        {
            Console.Error.WriteLine(e.Diagnostic with { Severity = Severity.Warning });
            return null;
        }
    }

    internal static PvGenConfig LoadConfig(string? path)
    {
        string? file = path ?? (File.Exists("pvgen.json") ? "pvgen.json" : null);
        if (file is null)
        {
            return new PvGenConfig();
        }

        if (!File.Exists(file))
        {
            throw new CliException(new Diagnostic(DiagnosticIds.FileNotFound, Severity.Error, $"config file '{file}' not found", null));
        }

        var config = PvGenConfig.Load(file);
        var unknown = config.Extra?.Keys.Where(k => !InputOptions.KnownSections.Contains(k)).ToList() ?? [];
        if (unknown.Count > 0)
        {
            throw new CliException(new Diagnostic(DiagnosticIds.BadConfig, Severity.Error, $"unknown key(s) in config: {string.Join(", ", unknown)}", new SourceLocation(file, 1, 1)));
        }

        return config;
    }

    internal static string Relative(string path) => PathDisplay.Relative(path, Environment.CurrentDirectory);

    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=,+:@".Contains(c)) ? word : $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    /// <summary>The parse failed; its diagnostics are already collected.</summary>
    internal sealed class ParseFailed : Exception;
}
