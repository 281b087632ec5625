using System.Globalization;
using PvGen.Binary;
using PvGen.Checking.Annotations;
using PvGen.Clang;
using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.IO;
using PvGen.X86;

namespace PvGen.Proving;

/// <summary>What the analysis needs to know about one op of the harness.</summary>
/// <param name="Native">The bytes the patcher inlines for this op, or null.</param>
public sealed record HarnessOp(string Path, string Wrapper, int Slot, bool Jump, bool Exercised, byte[]? Native, string? NativeReason);

/// <summary>
/// One target made ready to build: both styles' headers generated (the macro header once per record format), the
/// corpus parsed into workload calls, and the harness (runtime, implementations, patcher, driver, linker script)
/// rendered from the prove templates once per record format.
/// </summary>
public sealed class PreparedTarget
{
    public const string HarnessHeader = "harness.h";
    public static readonly string[] HarnessSources = ["runtime.c", "impls.c", "patcher.c", "driver.c"];
    public const string LinkerScript = "link.ld";

    private PreparedTarget(ProveTarget input, string directory, string baseName, IReadOnlyList<ProveFormat> formats, IReadOnlyList<WorkloadCall> workload,
        IReadOnlyList<SkippedFunction> skipped, IReadOnlyDictionary<int, HarnessOp> ops, IReadOnlyDictionary<int, ExpectedOp> expected)
    {
        Input = input;
        Directory = directory;
        BaseName = baseName;
        Formats = formats;
        Workload = workload;
        Skipped = skipped;
        Ops = ops;
        Expected = expected;
    }

    public ProveTarget Input { get; }

    public Target Target => Input.Model.Target;

    public string Directory { get; }

    public string BaseName { get; }

    public IReadOnlyList<ProveFormat> Formats { get; }

    public IReadOnlyList<WorkloadCall> Workload { get; }

    public IReadOnlyList<SkippedFunction> Skipped { get; }

    /// <summary>Per slot, the ops the harness implements.</summary>
    public IReadOnlyDictionary<int, HarnessOp> Ops { get; }

    public IReadOnlyDictionary<int, ExpectedOp> Expected { get; }

    /// <summary>The exerciser is part of the program (its object linked, its calls in the workload).</summary>
    public bool WithExerciser { get; private init; } = true;

    /// <summary>Per record format, why its macro header could not be generated (its macro builds fail with this).</summary>
    public IReadOnlyDictionary<string, string> MacroErrors { get; private init; } = new Dictionary<string, string>();

    public string PlainDirectory => Path.Combine(Directory, "plain");

    public string MarkerDirectory => Path.Combine(Directory, "marker");

    public string MacroDirectory(ProveFormat format) => Path.Combine(Directory, "macro-" + format.Name);

    public string HarnessDirectory(ProveFormat format) => Path.Combine(Directory, "harness-" + format.Name);

    /// <summary>Where a style's generated header and exerciser are (the macro style's per record format).</summary>
    private string StyleDirectory(string style, ProveFormat format) => style switch
    {
        ProveStyles.Macro => MacroDirectory(format),
        ProveStyles.Marker => MarkerDirectory,
        _ => PlainDirectory,
    };

    public string Exerciser(string style, ProveFormat format) => Path.Combine(StyleDirectory(style, format), $"{BaseName}_exercise.c");

    public string Header(string style, ProveFormat format) => Path.Combine(StyleDirectory(style, format), $"{BaseName}_{style}.h");

    public static PreparedTarget Prepare(ProveTarget input, IReadOnlyList<string> corpus, IReadOnlyList<string>? formatNames, IReadOnlyList<string> styles, string? templates, string directory, List<Diagnostic> diagnostics, bool exerciser = true)
    {
        var model = input.Model;
        // Of the formats asked for, those this target's kernels used (para16 holds a 64-bit address, para8 a 32-bit one).
        IReadOnlyList<ProveFormat> formats = formatNames is null
            ? ProveFormat.For(model.Target)
            : [.. ProveFormat.For(model.Target).Where(f => formatNames.Contains(f.Name))];
        if (formats.Count == 0)
        {
            throw new PvGenException(new Diagnostic(DiagnosticIds.BadOption, Severity.Error,
                $"none of the record formats {string.Join(", ", formatNames!)} is one {model.Target.Arch} kernels used for pv sites: use {string.Join(", ", ProveFormat.For(model.Target).Select(f => f.Name))}", null));
        }
        System.IO.Directory.CreateDirectory(directory);
        var plain = Generate(input, [ProveStyles.Plain], null, templates, Path.Combine(directory, "plain"), diagnostics);
        if (styles.Contains(ProveStyles.Marker))
        {
            Generate(input, [ProveStyles.Marker], null, templates, Path.Combine(directory, "marker"), diagnostics);
        }

        // A format whose macro header cannot be generated fails its macro builds, not the whole proof.
        var macroErrors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var format in styles.Contains(ProveStyles.Macro) ? formats : [])
        {
            try
            {
                Generate(input, [ProveStyles.Macro], format, templates, Path.Combine(directory, "macro-" + format.Name), diagnostics);
            }
            catch (PvGenException e)
            {
                macroErrors[format.Name] = $"the macro style cannot be generated in {format.Name}: {e.Diagnostic.Message}";
            }
        }

        var expected = ExpectedOps.From(model, input.Config);
        var abi = CallAbi.For(model.Target);
        string baseName = plain.Plan.BaseName;
        string plainHeader = Path.Combine(directory, "plain", $"{baseName}_plain.h");

        var workload = new List<WorkloadCall>();
        var ops = new Dictionary<int, HarnessOp>();
        var opNodes = new List<ModelNode>();
        var rootOps = ((IEnumerable<ModelNode>)plain.Plan.Root["ops"]!).ToDictionary(n => (string)n["path"]!);
        foreach (var plan in plain.Plan.Ops.Where(p => !p.Skipped))
        {
            var op = plan.Op;
            bool exercised = exerciser && !plan.Jump;
            if (exercised)
            {
                workload.Add(new WorkloadCall($"exercise {plan.Wrapper}", $"void pvgen_exercise_{plan.Wrapper}(void);", $"pvgen_exercise_{plan.Wrapper}()"));
            }

            var clobbers = MacroBinder.ClobberSet(op, abi, input.Config?.ForOp(op.Path)?.Clobbers);
            NativeCode? native = null;
            string? nativeReason = null;
            if (plan.Native is { } hex)
            {
                native = NativeSafety.Analyse(op, hex, abi, clobbers, out nativeReason);
            }

            var saves = op.CalleeSave ? abi.CallerSaved.Where(r => !clobbers.Contains(r)).Select(r => r.Name).ToList() : [];
            if (op.CalleeSave && plan.Binding.ArgumentWords > abi.ArgumentRegisters.Count)
            {
                throw new PvGenException(new Diagnostic(DiagnosticIds.BadOption, Severity.Error,
                    $"callee-save op '{op.Path}' takes a stack argument: the harness thunk cannot forward it", op.Location));
            }

            ops[op.Slot] = new HarnessOp(op.Path, plan.Wrapper, op.Slot, plan.Jump, exercised, native?.Bytes, nativeReason);
            opNodes.Add(new ModelNode()
                .Add("op", rootOps[op.Path])
                .Add("thunk", op.CalleeSave)
                .Add("saves", saves)
                .Add("save_bytes", saves.Count * abi.WordSize)
                .Add("native", native is null ? null : NativeNode(native, hex: plan.Native!))
                .Add("native_reason", nativeReason)
                .Add("sets", native is null ? new List<string> { "D", "H", "T" } : ["D", "H", "N", "T"]));
        }

        var skipped = new List<SkippedFunction>();
        IReadOnlyList<string> corpusFlags = [.. input.CompileFlags, "-include", plainHeader];
        foreach (string file in corpus)
        {
            var listed = SourceFunctions.List(file, model.Target, corpusFlags);
            if (!listed.Succeeded)
            {
                diagnostics.AddRange(listed.Diagnostics);
                throw new PvGenException(new Diagnostic(DiagnosticIds.ClangError, Severity.Error,
                    $"corpus file '{Path.GetFileName(file)}' does not compile against the generated header", new SourceLocation(file, 1, 1)));
            }

            var (calls, skippedHere) = Proving.Workload.ForCorpus(file, listed.Functions);
            workload.AddRange(calls);
            skipped.AddRange(skippedHere);
        }

        var tables = ScanOptions.ForModel(model).Symbols.OrderBy(s => s.Value).Select(s => new ModelNode().Add("symbol", s.Key).Add("base", s.Value)).ToList();
        var setChoices = new List<ModelNode>
        {
            new ModelNode().Add("name", "PVGEN_SET_DEFAULT").Add("entries", opNodes.Select(_ => "D").ToList()),
            new ModelNode().Add("name", "PVGEN_SET_HYPERVISOR").Add("entries", opNodes.Select(n => n["native"] is null ? "H" : "N").ToList()),
            new ModelNode().Add("name", "PVGEN_SET_THROUGH_TABLE").Add("entries", opNodes.Select(_ => "T").ToList()),
        };

        var loader = new LayeredTemplateLoader(templates, templates);
        var renderer = new TemplateRenderer(loader);
        foreach (var format in formats)
        {
            string harness = Path.Combine(directory, "harness-" + format.Name);
            var prove = new ModelNode()
                .Add("format", format.ToNode())
                .Add("style_header", Path.GetRelativePath(harness, plainHeader).Replace('\\', '/'))
                .Add("tables", tables)
                .Add("ops", opNodes)
                .Add("set_choices", setChoices)
                .Add("unwrapped_slots", plain.Plan.Ops.Where(p => p.Skipped).Select(p => p.Op.Slot).Distinct().ToList())
                .Add("workload", workload.Select(w => new ModelNode().Add("name", w.Name).Add("prototype", w.Prototype).Add("call", w.Call)).ToList())
                .Add("event_limit", 256)
                .Add("arena_chunks", Proving.Workload.ArenaChunks)
                .Add("arena_chunk_size", Proving.Workload.ArenaChunkSize);
            var root = new ModelNode();
            foreach (var (key, value) in plain.Plan.Root.Entries)
            {
                root.Add(key, value);
            }

            root.Add("prove", prove);
            var context = new StyleContext(input.Generation with { Invocation = "pvgen prove" }, plain.Plan with { Root = root }, renderer, []);
            var files = new List<GeneratedFile>
            {
                Render(context, "prove/harness.sbn-h", HarnessHeader),
                Render(context, "prove/runtime.sbn-c", "runtime.c"),
                Render(context, "prove/impls.sbn-c", "impls.c"),
                Render(context, "prove/patcher.sbn-c", "patcher.c"),
                Render(context, "prove/driver.sbn-c", "driver.c"),
                Render(context, "prove/link.sbn-ld", LinkerScript),
            };
            foreach (var file in files)
            {
                AtomicFile.WriteIfChanged(Path.Combine(harness, file.Path), file.Content);
            }
        }

        return new PreparedTarget(input, directory, baseName, formats, workload, skipped, ops, expected) { MacroErrors = macroErrors, WithExerciser = exerciser };
    }

    /// <summary>A harness file; a template problem (an override that does not render) is a PvGenException located in it.</summary>
    private static GeneratedFile Render(StyleContext context, string template, string fileName) => context.RenderFile(template, fileName, "prove");

    private static ModelNode NativeNode(NativeCode native, string hex)
    {
        var words = native.Words.Select((w, i) => (Variable: $"pvgen_w{i.ToString(CultureInfo.InvariantCulture)}", w.Param, w.Register)).ToList();
        var resultWord = words.FirstOrDefault(w => w.Register == native.ResultRegister);
        string resultVariable = resultWord.Variable is null ? "pvgen_native_result" : resultWord.Variable + "_reg";
        var outputs = new List<string>();
        if (resultWord.Variable is null)
        {
            outputs.Add("\"+r\"(pvgen_native_result)");
        }

        outputs.AddRange(words.Select(w => $"\"+r\"({w.Variable}_reg)"));
        return new ModelNode()
            .Add("text", hex)
            .Add("c_bytes", string.Join(", ", native.Bytes.Select(b => $"0x{b:x2}")))
            .Add("words", words.Select(w => new ModelNode().Add("variable", w.Variable).Add("param", w.Param).Add("register", w.Register)).ToList())
            .Add("declare_result", resultWord.Variable is null)
            .Add("result_register", native.ResultRegister)
            .Add("result_variable", resultVariable)
            .Add("outputs", string.Join(", ", outputs))
            .Add("clobbers", native.Clobbers.ToList());
    }

    private static GenerationOutput Generate(ProveTarget input, IReadOnlyList<string> styles, ProveFormat? format, string? templates, string directory, List<Diagnostic> diagnostics)
    {
        var request = input.Generation;
        var generated = Generator.Generate(request with
        {
            Include = request.Settings.Include ?? (input.HeaderPath is { } header ? Path.GetRelativePath(directory, header).Replace('\\', '/') : request.Include),
            Invocation = "pvgen prove",
            Styles = styles,
            RecordFormat = format?.Format ?? request.RecordFormat,
            OutputDirectory = directory,
            TemplateDirectory = templates ?? request.TemplateDirectory,
            TemplateDirectoryDisplay = templates ?? request.TemplateDirectoryDisplay,
        });

        foreach (var d in generated.Diagnostics.Where(d => d.Severity != Severity.Note))
        {
            if (!diagnostics.Contains(d))
            {
                diagnostics.Add(d);
            }
        }

        foreach (var file in generated.Files)
        {
            AtomicFile.WriteIfChanged(Path.Combine(directory, file.Path), file.Content);
        }

        return generated;
    }
}
