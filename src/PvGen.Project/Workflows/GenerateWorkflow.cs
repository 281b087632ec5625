using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.IO;
using PvGen.Model.Json;
using PvGen.Project.Options;

namespace PvGen.Project.Workflows;

/// <summary>What a generate run did.</summary>
/// <param name="Written">Files replaced (relative to the output directory); empty with --check.</param>
/// <param name="Stale">With --check: the files that would change.</param>
/// <param name="Changes">Op changes against the model of the previous generation (null: first generation).</param>
/// <param name="FromStamp">Nothing the run reads or wrote had changed since the last one (its stamp held): nothing was parsed or rendered.</param>
public sealed record GenerateResult(
    string OutputDirectory,
    GenerationFacts Facts,
    IReadOnlyList<Diagnostic> Diagnostics,
    IReadOnlyList<string> Written,
    IReadOnlyList<string> Unchanged,
    IReadOnlyList<string> Stale,
    IReadOnlyList<OpChange>? Changes,
    bool FromStamp = false);

/// <summary>pvgen generate and pvgen model: settings to a generation request, and the files it gives.</summary>
public static class GenerateWorkflow
{
    private static readonly string[] BothStyles = ["macro", "plain"];

    /// <summary>Generates into <paramref name="outputDirectory"/>: every file together or none (with --check: nothing, the stale list).</summary>
    /// <remarks>
    /// A run whose stamp holds (the same tool and command, every file read and written as it was: see
    /// <see cref="GenerationStamp"/>) gives the same result without parsing or rendering; any other run is a full run that
    /// stamps what it read and wrote.
    /// </remarks>
    public static GenerateResult Run(Settings settings, string outputDirectory, bool checkOnly)
    {
        string command = StampCommand(settings, outputDirectory);
        if (GenerationStamp.Load(outputDirectory) is { } stamp && stamp.Holds(ToolIdentity.Current, command, outputDirectory))
        {
            var files = stamp.Facts.Files;
            return new GenerateResult(outputDirectory, stamp.Facts, stamp.Facts.Diagnostics, [], checkOnly ? [] : files, [], [], FromStamp: true);
        }

        TemplateWarmUp.Start();
        var diagnostics = new List<Diagnostic>();
        var read = new List<string>();
        var request = Request(settings, outputDirectory, diagnostics, read: read);
        var output = Generator.Generate(request);
        diagnostics.AddRange(output.Diagnostics);
        var facts = GenerationFacts.From(output, [.. diagnostics]);
        var changes = PreviousModel(outputDirectory, diagnostics) is { } previous ? ChangeReport.Compare(previous, request.Model) : null;
        if (checkOnly)
        {
            var stale = output.Files.Where(f => f.Path != Generator.ModelFile && AtomicFile.IsStale(Path.Combine(outputDirectory, f.Path), f.Content)).Select(f => f.Path).ToList();
            return new GenerateResult(outputDirectory, facts, diagnostics, [], [], stale, changes);
        }

        // Inputs are hashed before the outputs are written: an input edited meanwhile fails the next run's check.
        var inputs = read.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(f => StampedFile.Of(f)).ToList();
        var contents = output.Files.Select(f => (f.Path, Bytes: AtomicFile.Bytes(f.Content))).ToList();
        GenerationStamp.Remove(outputDirectory);
        var written = AtomicFile.CommitAll(contents.Select(f => (Path.Combine(outputDirectory, f.Path), f.Bytes)))
            .Select(p => Path.GetRelativePath(outputDirectory, p).Replace('\\', '/'))
            .ToHashSet(StringComparer.Ordinal);
        new GenerationStamp(ToolIdentity.Current, command, inputs, [.. contents.Select(f => StampedFile.Of(f.Path, f.Bytes))], facts).Write(outputDirectory);
        return new GenerateResult(outputDirectory, facts, diagnostics,
            [.. output.Files.Select(f => f.Path).Where(written.Contains)], [.. output.Files.Select(f => f.Path).Where(p => !written.Contains(p))], [], changes);
    }

    /// <summary>Everything of a generate command that is not a file: the directories, every option as given (but --check) and the template directory's listing.</summary>
    public static string StampCommand(Settings settings, string outputDirectory)
    {
        var text = new System.Text.StringBuilder();
        text.Append("cwd=").Append(settings.WorkingDirectory).Append("\nout=").Append(Path.GetFullPath(outputDirectory));
        foreach (var option in settings.Verb.Options.Where(o => o.Name != GenerateOpts.Check.Name).OrderBy(o => o.Name, StringComparer.Ordinal))
        {
            if (settings.CommandLine(option) is { } values)
            {
                text.Append('\n').Append(option.Name).Append('=').AppendJoin('\u001f', values);
            }
        }

        text.Append("\nconfig=").Append(settings.Config.SourcePath is { } config ? Path.GetFullPath(config, settings.WorkingDirectory) : "-");
        if (settings.Path(GenerateOpts.Templates) is { } templates && Directory.Exists(templates))
        {
            foreach (string file in Directory.EnumerateFiles(templates, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                text.Append("\ntemplate=").Append(file);
            }
        }

        return text.ToString();
    }

    /// <summary>The generation request: the header parsed (or a model JSON given as HEADER read), every setting bound.</summary>
    /// <param name="read">When given, receives every file the request was made from (for the run's stamp).</param>
    public static GenerationRequest Request(Settings settings, string outputDirectory, List<Diagnostic> diagnostics, Target? target = null, IReadOnlyList<string>? styles = null, List<string>? read = null)
    {
        OpsModel model;
        CompileEnvironment environment;
        string? headerPath;
        string? argument = settings.RawText(InputOpts.Header);
        if (argument is not null && argument.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && target is null)
        {
            string modelPath = settings.Path(InputOpts.Header)!;
            read?.Add(modelPath);
            model = ModelJson.Load(settings.Display(modelPath));
            headerPath = model.Location.File.Length > 0 ? Path.GetFullPath(model.Location.File, settings.WorkingDirectory) : null;
            if (headerPath is not null && !File.Exists(headerPath) && settings.Text(GenerateOpts.OpsInclude) is null)
            {
                // The wrappers #include the model's header: a missing one gives output that compiles nowhere (found by the property test).
                throw PvGenException.Error(DiagnosticIds.BadModelJson,
                    $"the model's header '{model.Location.File}' does not exist, so the generated wrappers could not include it; fix the model or set \"include\" in the \"generate\" section of pvgen.json",
                    ModelLocations(settings, modelPath).Key("/location/file"));
            }
            environment = new CompileEnvironment(model.Target, settings.Path(InputOpts.KernelTree), settings.Path(InputOpts.KernelBuild),
                settings.List(InputOpts.Defines), settings.List(InputOpts.IncludeDirs), settings.List(InputOpts.Includes));
            if (headerPath is not null && File.Exists(headerPath))
            {
                VerifyAgainstHeader(settings, model, modelPath, headerPath, read);
            }

            if (settings.Config.Ops.Problems(model.Ops, model.Struct).ToList() is { Count: > 0 } unknown)
            {
                throw new PvGenException([.. diagnostics, .. unknown]);
            }
        }
        else
        {
            var parseRequest = ParseInputs.Request(settings, target);
            var parsed = ParseInputs.Parse(parseRequest, diagnostics);
            read?.AddRange(parsed.Inclusions);
            model = parsed.Model!;
            headerPath = parseRequest.HeaderPath;
            environment = parseRequest.Environment;
        }

        string? include = settings.Text(GenerateOpts.OpsInclude)
            ?? (headerPath is not null ? Path.GetRelativePath(outputDirectory, headerPath).Replace('\\', '/')
                : throw PvGenException.Error(DiagnosticIds.BadGenerateConfig, "the model names no header; set \"include\" in the \"generate\" section of pvgen.json"));
        string? templates = settings.Path(GenerateOpts.Templates);
        if (templates is not null && !Directory.Exists(templates))
        {
            throw PvGenException.Error(DiagnosticIds.TemplateNotFound, $"template directory '{settings.Display(templates)}' not found", settings.Where(GenerateOpts.Templates));
        }

        if (read is not null)
        {
            if (settings.Config.SourcePath is { } config)
            {
                read.Add(Path.GetFullPath(config, settings.WorkingDirectory));
            }

            if (templates is not null)
            {
                read.AddRange(Directory.EnumerateFiles(templates, "*", SearchOption.AllDirectories));
            }

            foreach (string? treeRoot in new[] { environment.KernelTree, environment.KernelBuild })
            {
                if (treeRoot is not null)
                {
                    read.Add(Path.Combine(treeRoot, ".config"));
                }
            }

            if (environment.KernelTree is { } source)
            {
                read.AddRange(X86.Records.KernelTreeFacts.FilesRead(source));
            }
        }

        return new GenerationRequest
        {
            Model = model,
            Config = settings.Config.Ops,
            // Styles named by the caller (diff: macro and plain) are those styles exactly, so pvgen.json's template set does not apply.
            Settings = styles is null ? GenerateSettings(settings) : GenerateSettings(settings) with { TemplateSet = null },
            Include = include,
            DeclareTable = settings.Flag(GenerateOpts.DeclareTable) ?? true,
            Invocation = Invocation.Render(settings, outputDirectory),
            Styles = styles ?? Styles(settings),
            Environment = environment,
            TreeFacts = environment.KernelTree is { } tree ? X86.Records.KernelTreeFacts.Read(tree, model.Target.PointerSize) : null,
            OutputDirectory = outputDirectory,
            ModelBaseDirectory = settings.WorkingDirectory,
            CSharp = new CSharpSettings(settings.Text(OptionTable.CSharp.Namespace), settings.Text(OptionTable.CSharp.TypeName), settings.Choice(OptionTable.CSharp.OpaquePointers))
            {
                Location = settings.Where(OptionTable.CSharp.Namespace) ?? settings.Where(OptionTable.CSharp.TypeName) ?? settings.Where(OptionTable.CSharp.OpaquePointers),
            },
            TemplateDirectory = templates,
            TemplateDirectoryDisplay = templates is null ? null : settings.Display(templates),
        };
    }

    /// <summary>Where each key of a model file is (read again only for an error's location).</summary>
    private static JsonLocations ModelLocations(Settings settings, string modelPath) =>
        JsonLocations.Of(File.ReadAllBytes(modelPath), settings.Display(modelPath));

    /// <summary>
    /// The generated code is compiled against the model's header, so what the model says of each op must be what the
    /// header declares: the member (path) and its offset, whether it is callee-save, and its return and parameter types.
    /// Model validation catches a model that contradicts itself, but not one that contradicts the header: an op declared
    /// through a typedef (its member type is only the typedef's name) retyped, an op renamed to a member the struct does
    /// not have, callee_save set on a function pointer declared through a typedef. Each gave wrappers that check then
    /// rejected (found by the property test). Such a model is refused at the value, from the header parsed for the
    /// model's struct and target in this run's environment (the one check compiles in). Refusing is what check expects:
    /// the model is the user's input and it is wrong; generating from the header instead would silently ignore it.
    /// </summary>
    private static void VerifyAgainstHeader(Settings settings, OpsModel model, string modelPath, string headerPath, List<string>? read)
    {
        var parsed = Clang.HeaderParser.Parse(ParseInputs.ForModel(settings, headerPath, model));
        read?.AddRange(parsed.Inclusions);
        var where = ModelLocations(settings, modelPath);
        if (!parsed.Succeeded)
        {
            throw new PvGenException([
                new Diagnostic(DiagnosticIds.BadModelJson, Severity.Error,
                    $"the model's header '{model.Location.File}' does not parse with these options, so the model cannot be held to it (give generate the -I, -D and --kernel-tree options it was parsed with)",
                    where.Key("/location/file")),
                .. parsed.Diagnostics.Where(d => d.Severity == Severity.Error)]);
        }

        var declared = parsed.Model!.Ops.ToDictionary(o => o.Path, StringComparer.Ordinal);
        var problems = new List<Diagnostic>();
        void Problem(string pointer, string message) => problems.Add(new Diagnostic(DiagnosticIds.BadModelJson, Severity.Error, message, where.Value(pointer)));
        static string Types(Op o) => $"{o.ReturnType.Spelling} ({(o.Params.Count == 0 ? "void" : string.Join(", ", o.Params.Select(p => p.Type.Spelling)))})";
        for (int index = 0; index < model.Ops.Count; index++)
        {
            var op = model.Ops[index];
            string at = $"/ops/{index}";
            if (!declared.TryGetValue(op.Path, out var truth))
            {
                Problem(at + "/path", $"op '{op.Path}' is not a function-pointer member of struct {model.Struct} in '{model.Location.File}'{Suggestions.Hint(op.Path, declared.Keys)}");
            }
            else if (truth.Offset != op.Offset)
            {
                Problem(at + "/offset", $"op '{op.Path}' is at offset {op.Offset} in the model but at {truth.Offset} in its header");
            }
            else if (truth.CalleeSave != op.CalleeSave)
            {
                Problem(at + "/callee_save", $"op '{op.Path}' is {(op.CalleeSave ? "" : "not ")}callee-save in the model, but its header declares it as '{truth.MemberType}'");
            }
            else if (!op.CalleeSave && (truth.ReturnType != op.ReturnType || !truth.Params.Select(p => p.Type).SequenceEqual(op.Params.Select(p => p.Type))))
            {
                Problem(at + (truth.ReturnType != op.ReturnType ? "/return_type" : "/params"),
                    $"op '{op.Path}': the model types it {Types(op)}, but its header declares it through '{truth.MemberType}' as {Types(truth)}");
            }
        }

        if (problems.Count > 0)
        {
            throw new PvGenException(problems);
        }
    }

    /// <summary>The "generate" section as the stage's settings, each value checked where the table's types cannot.</summary>
    public static GenerateSettings GenerateSettings(Settings settings)
    {
        string? Checked(OptionSpec option, Func<string, string?> problem)
        {
            string? value = settings.Text(option);
            return value is not null && problem(value) is { } message ? throw settings.Invalid(option, message) : value;
        }

        var locations = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var option in GenerateOpts.Settings)
        {
            if (settings.Where(option) is { } where)
            {
                locations[option.JsonKey!] = where;
            }
        }

        return new GenerateSettings
        {
            BaseName = Checked(GenerateOpts.BaseName, Generation.GenerateSettings.ProblemWithBaseName),
            Prefix = Checked(GenerateOpts.Prefix, Generation.GenerateSettings.ProblemWithPrefix),
            Include = settings.Text(GenerateOpts.OpsInclude),
            RecordFormat = settings.Choice(GenerateOpts.RecordFormat),
            ClobberEra = settings.Choice(GenerateOpts.ClobberEra),
            DirectCallSymbol = Checked(GenerateOpts.DirectCallSymbol, Generation.GenerateSettings.ProblemWithDirectCallSymbol),
            NativeCondition = Checked(GenerateOpts.NativeCondition, Generation.GenerateSettings.ProblemWithNativeCondition),
            Section = Checked(GenerateOpts.RecordSection, Generation.GenerateSettings.ProblemWithSection),
            CallForm = settings.Choice(GenerateOpts.CallForm),
            CalleeSaveField = Checked(GenerateOpts.CalleeSaveField, v => CNames.IsIdentifier(v) ? null : $"'{v}' is not a C member name"),
            DeclareTable = settings.Flag(GenerateOpts.DeclareTable),
            TemplateSet = settings.Choice(GenerateOpts.TemplateSet),
            Locations = locations,
        };
    }

    /// <summary>The styles asked for, "both" expanded, in the order given.</summary>
    public static IReadOnlyList<string> Styles(Settings settings)
    {
        var given = settings.List(GenerateOpts.Styles);
        return [.. (given.Count == 0 ? ["both"] : given).SelectMany(s => s == "both" ? BothStyles : [s]).Distinct()];
    }

    private static OpsModel? PreviousModel(string outputDirectory, List<Diagnostic> diagnostics)
    {
        string path = Path.Combine(outputDirectory, Generator.ModelFile);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return ModelJson.Load(path);
        }
        catch (PvGenException e)
        {
            // A damaged record of the last run only costs the change report.
            diagnostics.AddRange(e.Diagnostics.Select(d => d with { Severity = Severity.Warning }));
            return null;
        }
    }
}
