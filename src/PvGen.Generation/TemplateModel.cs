using System.Text;
using System.Text.Json;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.X86;
using PvGen.X86.Records;
using Scriban.Runtime;

namespace PvGen.Generation;

/// <summary>
/// An ordered string-keyed tree (maps, lists, strings, numbers, booleans, null): the exact object the templates see.
/// Kept separate from Scriban so <c>pvgen model</c> can dump it byte-for-byte deterministic JSON.
/// </summary>
public sealed class ModelNode
{
    private readonly List<KeyValuePair<string, object?>> entries = [];

    public ModelNode Add(string key, object? value)
    {
        entries.Add(new(key, value));
        return this;
    }

    public object? this[string key] => entries.First(e => e.Key == key).Value;

    public IReadOnlyList<KeyValuePair<string, object?>> Entries => entries;

    public ScriptObject ToScriptObject()
    {
        var script = new ScriptObject();
        foreach (var (key, value) in entries)
        {
            script.Add(key, Convert(value));
        }

        return script;
    }

    private static object? Convert(object? value) => value switch
    {
        ModelNode node => node.ToScriptObject(),
        System.Collections.IEnumerable list and not string => new ScriptArray(list.Cast<object?>().Select(Convert)),
        _ => value,
    };

    public void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in entries)
        {
            writer.WritePropertyName(key);
            WriteValue(writer, value);
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case ModelNode node:
                node.WriteJson(writer);
                break;
            case System.Collections.IEnumerable list and not string:
                writer.WriteStartArray();
                foreach (object? item in list)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case int or long:
                writer.WriteNumberValue(System.Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                throw new InvalidOperationException($"unexpected template model value {value.GetType()}");
        }
    }

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteJson(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray()).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
    }
}

/// <summary>Everything generation needs beyond the model; resolved by the caller (CLI or test) so output is deterministic.</summary>
public sealed record GenerationRequest
{
    public required OpsModel Model { get; init; }

    /// <summary>Per-op settings (name, clobbers, skip, jump, native); null when there is no pvgen.json.</summary>
    public OpsConfig? Config { get; init; }

    public GenerateSettings Settings { get; init; } = new();

    /// <summary>How the generated headers include the ops header, e.g. "toy_ops.h" or "../include/asm/paravirt_types.h".</summary>
    public required string Include { get; init; }

    /// <summary>Emit "extern struct S sym;" in the generated headers.</summary>
    public bool DeclareTable { get; init; }

    /// <summary>The invocation that reproduces the files, recorded in their header comment (relative paths only).</summary>
    public required string Invocation { get; init; }

    /// <summary>Styles to emit, keys of <see cref="Generator.Styles"/>.</summary>
    public IReadOnlyList<string> Styles { get; init; } = ["macro", "plain"];

    /// <summary>
    /// The environment the header was parsed in (absolute paths). Recorded in the manifest, relative to
    /// <see cref="OutputDirectory"/>, so `pvgen check` compiles the output in the configuration the layout guards were computed for.
    /// </summary>
    public CompileEnvironment Environment { get; init; } = new(Target.X86_64, null, null, [], [], []);

    /// <summary>Where the files will be written: manifest paths are relative to it (null: paths as given).</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>The directory the model's locations are relative to (the parse's working directory; null: as given).</summary>
    public string? ModelBaseDirectory { get; init; }

    /// <summary>
    /// The model as the output describes it: locations relative to the output directory, so what is written does not
    /// depend on the directory pvgen ran in. Diagnostics keep the model's own locations (relative to where the user is).
    /// </summary>
    public OpsModel WrittenModel => OutputDirectory is { } output && ModelBaseDirectory is { } origin
        ? Model.MapLocations(file => Path.GetRelativePath(output, Path.GetFullPath(file, origin)).Replace('\\', '/'))
        : Model;

    /// <summary>The C# style's choices (the "csharp" section).</summary>
    public CSharpSettings CSharp { get; init; } = CSharpSettings.Default;

    /// <summary>Template override directory (searched before the embedded defaults), or null.</summary>
    public string? TemplateDirectory { get; init; }

    /// <summary>The record format asked for on the command line: wins over pvgen.json and the kernel tree.</summary>
    public RecordFormat? RecordFormat { get; init; }

    /// <summary>What a kernel tree's headers say (format and CLBR_* era); used when neither the command line nor pvgen.json names them.</summary>
    public KernelTreeFacts? TreeFacts { get; init; }

    /// <summary>How the override directory is named in messages (relative, deterministic).</summary>
    public string? TemplateDirectoryDisplay { get; init; }
}

/// <summary>One op after configuration: its wrapper, flags, clobbers and macro-style binding.</summary>
public sealed record OpPlan(
    Op Op,
    string Wrapper,
    string EnumName,
    bool Skipped,
    string? SkipReason,
    bool Jump,
    string? Native,
    string Member,
    string CallTarget,
    MacroBinding Binding,
    IReadOnlyList<Register> Clobbers,
    int ClobberMask);

/// <summary>Builds the template model: stable snake_case names documented in the README (pvgen model dumps it).</summary>
public static class TemplateModelBuilder
{
    public static readonly string Version = typeof(TemplateModelBuilder).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0";

    /// <param name="FormatSource">Where the record format came from ("the kernel tree: ...", "pvgen.json"), for the run's summary.</param>
    public sealed record Plan(ModelNode Root, IReadOnlyList<OpPlan> Ops, string BaseName, RecordFormat Format, string Section, string CallForm, ClobberEra ClobberEra, string FormatSource);

    public static Plan Build(GenerationRequest request, List<Diagnostic> diagnostics)
    {
        var model = request.Model;
        var settings = request.Settings;
        var abi = CallAbi.For(model.Target);
        string baseName = settings.BaseName ?? model.Struct;
        string prefix = settings.Prefix ?? "pv_";
        string upperBase = CNames.Upper(baseName);
        var configuration = request.Config ?? OpsConfig.Empty;
        SourceLocation? Where(string key) => settings.Locations.GetValueOrDefault(key);
        var (format, formatSource) = request.RecordFormat is { } given ? (given, "the request")
            : settings.RecordFormat is { } named && RecordFormats.Find(named) is { } chosen ? (chosen, Where("record_format") is null ? "the command line" : "pvgen.json")
            : request.TreeFacts?.RecordFormat is { } tree ? (tree, $"the kernel tree: {request.TreeFacts.Evidence}")
            : (RecordFormats.DefaultFor(model.Target.PointerSize), $"the default for {model.Target.Arch}");
        if (!format.FitsPointerSize(model.Target.PointerSize))
        {
            throw PvGenException.Error(DiagnosticIds.BadGenerateConfig,
                $"record format {format.Name} ({format.Description}) is for {format.PointerSize * 8}-bit objects, not {model.Target.Arch}; use one of: "
                + string.Join(", ", RecordFormats.All.Where(f => f.FitsPointerSize(model.Target.PointerSize)).Select(f => f.Name)), Where("record_format"));
        }

        var era = (settings.ClobberEra is { } eraName ? ClobberMasks.Parse(eraName) : null) ?? request.TreeFacts?.ClobberEra ?? ClobberMasks.DefaultEra;
        string section = settings.Section ?? format.Section;
        string callForm = model.Target.PointerSize == 8 ? settings.CallForm ?? "rip" : "abs";
        bool alternatives = format.Family == RecordFamily.AltInstructions;
        if (alternatives && callForm != "rip" && model.Target.PointerSize == 8)
        {
            throw PvGenException.Error(DiagnosticIds.BadGenerateConfig,
                $"record format {format.Name} annotates 6-byte 'ff 15' sites; call form abs (ff 14 25, 7 bytes) cannot be patched by a 6.8+ kernel", Where("call_form"));
        }

        if (!format.CanRecordPvSites)
        {
            throw PvGenException.Error(DiagnosticIds.BadGenerateConfig,
                $"record format {format.Name} ({format.Kernels}) cannot mark a pv call site: those kernels recorded pv sites in .parainstructions; use alt14 (6.8+) or a para* format", Where("record_format"));
        }

        string directCallSymbol = settings.DirectCallSymbol ?? Alternatives.DefaultDirectCallSymbol;
        int nativeCondition = settings.NativeCondition is { } condition ? Alternatives.ParseCondition(condition)!.Value : Alternatives.NotXen;
        string calleeSaveField = settings.CalleeSaveField ?? "func";
        var templateSet = TemplateSets.Find(settings.TemplateSet);
        int callLength = SiteEncodings.IndirectCall(model.Target.PointerSize, callForm == "rip").Length;
        if (configuration.Problems(model.Ops, model.Struct).ToList() is { Count: > 0 } unknownOps)
        {
            throw new PvGenException(unknownOps);
        }

        var plans = new List<OpPlan>();
        var wrappers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var op in model.Ops)
        {
            var config = configuration.ForOp(op.Path);
            var configWhere = config?.Location ?? configuration.Location;
            string wrapper = config?.Name ?? prefix + op.Path.Replace('.', '_');
            if (!CNames.IsIdentifier(wrapper))
            {
                throw new PvGenException(new Diagnostic(DiagnosticIds.BadWrapperName, Severity.Error,
                    $"wrapper name '{wrapper}' of op '{op.Path}' is not a C identifier", configWhere));
            }

            if (wrappers.TryGetValue(wrapper, out string? other))
            {
                throw new PvGenException(new Diagnostic(DiagnosticIds.BadWrapperName, Severity.Error,
                    $"ops '{other}' and '{op.Path}' would both get the wrapper name '{wrapper}'; set \"name\" for one of them under \"ops\" in pvgen.json", configWhere));
            }

            wrappers[wrapper] = op.Path;

            IReadOnlyList<string>? clobberNames = null;
            if (config?.Clobbers is { } names)
            {
                var unknown = names.Where(n => n != "any" && abi.Find(n) is null).ToList();
                if (unknown.Count > 0)
                {
                    throw new PvGenException(new Diagnostic(DiagnosticIds.BadClobber, Severity.Error,
                        $"op '{op.Path}': unknown clobber register(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))} for {abi.Arch}; use \"any\" or some of: {string.Join(", ", abi.Registers.Select(r => r.Name))}",
                        configWhere));
                }

                clobberNames = names;
            }

            string? native = null;
            IReadOnlyList<string>? nativeTargets = null;
            string? configuredNative = config?.NativeFor(model.Target.Arch, out nativeTargets);
            if (configuredNative is null && nativeTargets is not null)
            {
                // Machine code of other targets only (a 64-bit-only instruction, or bytes not yet written for this one): the call stays.
                diagnostics.Add(new Diagnostic(DiagnosticIds.NativeNotForTarget, Severity.Note,
                    $"op '{op.Path}': pvgen.json gives native bytes for {string.Join(" and ", nativeTargets)} only, so on {model.Target.Arch} its sites keep the call", configWhere));
            }

            if (configuredNative is { } hex)
            {
                native = NativeBytes.Normalise(hex) ?? throw new PvGenException(new Diagnostic(DiagnosticIds.BadNativeBytes, Severity.Error,
                    $"op '{op.Path}': native bytes \"{hex}\" are not hex bytes such as \"9c 58\"", configWhere));

                // A 6.8+ site is exactly the 6-byte call: a longer native alternative would pad it and alt_replace_call() would BUG().
                int room = SiteEncodings.DirectCallOriginal(model.Target.PointerSize).Length;
                if (alternatives && native.Split(' ').Length > room)
                {
                    throw new PvGenException(new Diagnostic(DiagnosticIds.BadNativeBytes, Severity.Error,
                        $"op '{op.Path}': native bytes \"{native}\" are {native.Split(' ').Length} bytes; a {format.Name} site is the {room}-byte call, so its native alternative must fit in {room}", configWhere));
                }
            }

            bool skipped = false;
            string? skipReason = null;
            if (config?.Skip == true)
            {
                skipped = true;
                skipReason = "skip: true in pvgen.json";
                diagnostics.Add(new Diagnostic(DiagnosticIds.OpSkipped, Severity.Note, $"op '{op.Path}' skipped (\"skip\": true)", op.Location));
            }
            else if (!op.SignatureKnown)
            {
                skipped = true;
                if (op.CalleeSave)
                {
                    skipReason = "callee-save op without a configured signature";
                    diagnostics.Add(new Diagnostic(DiagnosticIds.CalleeSaveWithoutSignature, Severity.Warning,
                        $"callee-save op '{op.Path}' has no configured signature, so it has no type and gets no wrapper; add \"ops\": {{ \"{op.Path}\": {{ \"signature\": \"RET (PARAMS)\" }} }} to pvgen.json",
                        op.Location));
                }
                else
                {
                    skipReason = "op declared without a prototype";
                    diagnostics.Add(new Diagnostic(DiagnosticIds.OpSkipped, Severity.Warning,
                        $"op '{op.Path}' has no prototype, so it gets no wrapper; declare its parameters (or (void)) in the header", op.Location));
                }
            }

            string member = MemberExpression(model, op, configuration.Location);
            string callTarget = op.CalleeSave ? $"{member}.{calleeSaveField}" : member;
            var binding = skipped
                ? new MacroBinding { Reason = skipReason }
                : alternatives && config?.Jump == true
                ? new MacroBinding { Reason = $"a jump op: {format.Name} DIRECT_CALL entries turn calls into direct calls, never jumps" }
                : MacroBinder.Bind(op, abi, clobberNames, maxSlot: alternatives ? int.MaxValue : templateSet.MaxSlot ?? 255);
            if (!skipped && !binding.IsAsm)
            {
                diagnostics.Add(new Diagnostic(DiagnosticIds.MacroPlainFallback, Severity.Warning,
                    $"op '{op.Path}' is a plain call in macro style (no annotated site): {binding.Reason}", op.Location));
            }

            var clobbers = binding.IsAsm ? binding.Clobbers : MacroBinder.ClobberSet(op, abi, clobberNames);
            plans.Add(new OpPlan(op, wrapper, $"{upperBase}_SLOT_{CNames.Upper(op.Path)}", skipped, skipReason, config?.Jump == true, native,
                member, callTarget, binding, clobbers, ClobberMasks.MaskOf(clobbers, abi, era)));
        }

        var written = request.WrittenModel;
        var root = new ModelNode()
            .Add("generator", new ModelNode().Add("name", "pvgen").Add("version", Version))
            .Add("invocation", request.Invocation)
            .Add("base_name", baseName)
            .Add("upper_base", upperBase)
            .Add("struct", model.Struct)
            .Add("symbol", model.TableSymbol)
            .Add("split_tables", model.TableSymbol is null)
            .Add("declare_table", request.DeclareTable && model.TableSymbol is not null)
            .Add("ops_header", request.Include)
            .Add("source", written.Location.File)
            .Add("target", new ModelNode()
                .Add("arch", model.Target.Arch)
                .Add("triple", model.Target.Triple)
                .Add("pointer_size", model.Target.PointerSize)
                .Add("word_type", "unsigned long"))
            .Add("struct_size", model.StructSize)
            .Add("slot_count", model.StructSize / model.Target.PointerSize)
            .Add("styles", TemplateSets.Apply(templateSet, request.Styles).ToList())
            .Add("settings", new ModelNode()
                .Add("prefix", prefix)
                .Add("record_format", format.Name)
                .Add("record_family", format.Family == RecordFamily.ParaInstructions ? "parainstructions" : "altinstructions")
                .Add("record_size", format.Stride)
                .Add("clobber_era", ClobberMasks.Name(era))
                .Add("section", section)
                .Add("replacement_section", Alternatives.ReplacementSection)
                .Add("direct_call_symbol", directCallSymbol)
                .Add("direct_call_flags", CNames.Hex(Alternatives.CallAlways))
                .Add("native_condition", CNames.Hex(nativeCondition))
                .Add("call_form", callForm)
                .Add("callee_save_field", calleeSaveField)
                .Add("marker_section", MarkerRecord.Section)
                .Add("marker_reloc_type", RelocationInfo.NoneName(model.Target.PointerSize == 8))
                .Add("marker_record_size", MarkerRecord.Stride)
                .Add("template_set", templateSet.Name))
            .Add("clobber_bits", abi.Registers.Select(r => new ModelNode().Add("register", r.Name).Add("bit", r.Bit).Add("mask", CNames.Hex(1L << r.Bit))).ToList())
            .Add("vmi", VmiLayout(callLength))
            .Add("ops", plans.Select((p, i) => OpNode(p, written.Ops[i].Location, model, abi.WordSize, callLength)).ToList())
            .Add("wrapped_count", plans.Count(p => !p.Skipped))
            .Add("site_count", plans.Count(p => !p.Skipped && p.Binding.IsAsm))
            .Add("skipped", plans.Where(p => p.Skipped).Select(p => new ModelNode().Add("path", p.Op.Path).Add("reason", p.SkipReason)).ToList())
            .Add("plain_fallbacks", plans.Where(p => !p.Skipped && !p.Binding.IsAsm).Select(p => new ModelNode().Add("path", p.Op.Path).Add("wrapper", p.Wrapper).Add("reason", p.Binding.Reason)).ToList());
        return new Plan(root, plans, baseName, format, section, callForm, era, formatSource);
    }

    /// <summary>The C lvalue of the op's pointer: sym.path, or for split tables (2.6.23-4.19 pv_*_ops variables) the path itself.</summary>
    private static string MemberExpression(OpsModel model, Op op, SourceLocation where)
    {
        if (model.TableSymbol is { } symbol)
        {
            return $"{symbol}.{op.Path}";
        }

        if (!op.Path.Contains('.'))
        {
            throw new PvGenException(new Diagnostic(DiagnosticIds.NoTableSymbol, Severity.Error,
                $"struct {model.Struct} has no table symbol and op '{op.Path}' is not inside a group variable; pass --symbol or set \"symbol\" in pvgen.json", where));
        }

        return op.Path;
    }

    /// <summary>The VMI record layout as data (offsets, sizes, directives), so the record template is written from it, not beside it.</summary>
    private static ModelNode VmiLayout(int callLength) => new ModelNode()
        .Add("record_format", VmiRecordFormat.Name)
        .Add("section", VmiRecordFormat.Section)
        .Add("bind_section", VmiRecordFormat.BindSection)
        .Add("record_size", VmiRecordFormat.Stride)
        .Add("record_align", VmiRecordFormat.Alignment)
        .Add("call_length", callLength)
        .Add("nop", "0x90")
        .Add("witness_end", VmiRecordFormat.WitnessEnd)
        .Add("no_register", RegisterNumbers.None)
        .Add("fields", VmiRecordFormat.Fields.Select(f => new ModelNode()
            .Add("name", f.Name)
            .Add("offset", f.Offset)
            .Add("size", f.Size)
            .Add("directive", VmiRecordFormat.Directive(f).Directive)
            .Add("count", VmiRecordFormat.Directive(f).Count)
            .Add("relocated", f.Relocation != FieldRelocation.None)).ToList());

    /// <summary>The asm binding as data: every register operand with its register, number, constraint and access.</summary>
    private static ModelNode RegistersNode(MacroBinding binding, int wordSize) => new ModelNode()
        .Add("kind", binding.IsAsm ? "asm" : "plain")
        .Add("operands", binding.Operands.Select(o => new ModelNode()
            .Add("variable", o.Variable)
            .Add("register", o.Register.Name)
            .Add("number", RegisterNumbers.Of(o.Register.Name, wordSize))
            .Add("constraint", o.Register.Constraint)
            .Add("access", o.Access)
            .Add("argument_word", o.ArgumentWord)).ToList())
        .Add("stack_inputs", binding.StackInputs.ToList())
        .Add("results", binding.ResultRegisters.Select(r => r.Name).ToList());

    /// <summary>
    /// What a VMI-style site of the op holds and records: its default (the native bytes in place, padded with NOPs to the
    /// call's length, or the call), its registers by number, and the value of every record field.
    /// </summary>
    private static ModelNode VmiNode(OpPlan plan, int wordSize, int callLength)
    {
        var binding = plan.Binding;
        if (!binding.IsAsm)
        {
            return new ModelNode().Add("default", null).Add("site_length", 0).Add("padding", 0).Add("inputs", Array.Empty<object>())
                .Add("outputs", Array.Empty<object>()).Add("clobbers", null).Add("witnesses", Array.Empty<object>()).Add("record", null);
        }

        int nativeLength = plan.Native is null ? 0 : plan.Native.Split(' ').Length;
        int siteLength = plan.Native is null ? callLength : Math.Max(nativeLength, callLength);
        ModelNode Operand(string variable, Register register) => new ModelNode()
            .Add("register", register.Name).Add("number", RegisterNumbers.Of(register.Name, wordSize)).Add("variable", variable);
        var inputs = binding.Operands.Where(o => o.ArgumentWord is not null).Select(o => (o.Variable, o.Register)).ToList();
        var outputs = binding.ResultRegisters.Select(r => (binding.Operands.First(o => o.Register == r).Variable, Register: r)).ToList();
        int clobberMask = RegisterNumbers.MaskOf(plan.Clobbers, wordSize);
        var record = new ModelNode();
        foreach (var (field, value) in VmiRecordFormat.AssemblerValues(plan.Op.Slot, nativeLength,
            [.. inputs.Select(i => RegisterNumbers.Of(i.Register.Name, wordSize)!.Value)], [.. outputs.Select(o => RegisterNumbers.Of(o.Register.Name, wordSize)!.Value)], clobberMask))
        {
            record.Add(field.Name, value);
        }

        return new ModelNode()
            .Add("default", plan.Native is null ? "call" : "native")
            .Add("site_length", siteLength)
            .Add("padding", siteLength - (plan.Native is null ? callLength : nativeLength))
            .Add("inputs", inputs.Select(i => Operand(i.Variable, i.Register)).ToList())
            .Add("outputs", outputs.Select(o => Operand(o.Variable, o.Register)).ToList())
            .Add("clobbers", new ModelNode()
                .Add("names", plan.Clobbers.Select(r => r.Name).ToList())
                .Add("mask", clobberMask)
                .Add("mask_hex", $"0x{clobberMask:x4}"))
            .Add("witnesses", inputs.Select(i => i.Variable).Concat(outputs.Select(o => o.Variable)).ToList())
            .Add("record", record);
    }

    private static ModelNode OpNode(OpPlan plan, SourceLocation location, OpsModel model, int wordSize, int callLength)
    {
        var op = plan.Op;
        var binding = plan.Binding;
        var asm = binding.Asm ?? AsmStatement.None;
        string returnType = CNames.TypeForDeclaration(op.ReturnType.Spelling);
        string paramList = op.Params.Count == 0 ? "void" : string.Join(", ", op.Params.Select(p => CNames.Declaration(p.Type.Spelling, p.Name)));
        string paramTypes = op.Params.Count == 0 ? "void" : string.Join(", ", op.Params.Select(p => CNames.TypeForDeclaration(p.Type.Spelling)));

        // Distinct argument values for the exerciser, one per parameter.
        var exerciseSetup = new List<string>();
        var exerciseArgs = new List<string>();
        for (int i = 0; i < op.Params.Count; i++)
        {
            var type = op.Params[i].Type;
            int k = i + 1;
            switch (type.Kind)
            {
                case TypeKind.Struct or TypeKind.Union:
                    exerciseSetup.Add($"{CNames.Declaration(type.Spelling, $"v{k}")};");
                    exerciseSetup.Add($"__builtin_memset(&v{k}, {k}, sizeof(v{k}));");
                    exerciseArgs.Add($"v{k}");
                    break;
                case TypeKind.Pointer or TypeKind.FunctionPointer:
                    exerciseArgs.Add($"({CNames.TypeForDeclaration(type.Spelling)})(unsigned long){CNames.Hex(0x1000 + 0x10 * k)}");
                    break;
                default:
                    exerciseArgs.Add($"({CNames.TypeForDeclaration(type.Spelling)}){k}");
                    break;
            }
        }

        return new ModelNode()
            .Add("path", op.Path)
            .Add("name", op.Name)
            .Add("wrapper", plan.Wrapper)
            .Add("enum_name", plan.EnumName)
            .Add("member", plan.Member)
            .Add("call_target", plan.CallTarget)
            .Add("offset", op.Offset)
            .Add("offset_hex", CNames.Hex(op.Offset))
            .Add("slot", op.Slot)
            .Add("callee_save", op.CalleeSave)
            .Add("jump", plan.Jump)
            .Add("skipped", plan.Skipped)
            .Add("skip_reason", plan.SkipReason)
            .Add("signature_known", op.SignatureKnown)
            .Add("result", new ModelNode()
                .Add("type", returnType)
                .Add("size", op.ReturnType.Size)
                .Add("kind", KindName(op.ReturnType.Kind))
                .Add("is_void", op.ReturnType.Kind == TypeKind.Void))
            .Add("params", op.Params.Select(p => new ModelNode()
                .Add("name", p.Name)
                .Add("type", CNames.TypeForDeclaration(p.Type.Spelling))
                .Add("decl", CNames.Declaration(p.Type.Spelling, p.Name))
                .Add("size", p.Type.Size)
                .Add("kind", KindName(p.Type.Kind))).ToList())
            .Add("param_list", paramList)
            .Add("arg_names", string.Join(", ", op.Params.Select(p => p.Name)))
            .Add("arg_count", op.Params.Count)
            .Add("arg_words", binding.ArgumentWords)
            .Add("function_type", $"{returnType} (*)({paramTypes})")
            .Add("native", plan.Native)
            .Add("native_length", plan.Native is null ? 0 : plan.Native.Split(' ').Length)
            .Add("native_directive", plan.Native is null ? null : ".byte " + string.Join(", ", plan.Native.Split(' ').Select(b => "0x" + b)))
            .Add("clobbers", new ModelNode()
                .Add("names", plan.Clobbers.Select(r => r.Name).ToList())
                .Add("mask", plan.ClobberMask)
                .Add("mask_hex", CNames.Hex(plan.ClobberMask)))
            .Add("location", new ModelNode().Add("file", location.File).Add("line", location.Line).Add("column", location.Column))
            .Add("comment", op.Comment is null ? null : CNames.CommentText(CleanDocComment(op.Comment)))
            .Add("macro", new ModelNode()
                .Add("kind", binding.IsAsm ? "asm" : "plain")
                .Add("reason", binding.Reason)
                .Add("mnemonic", plan.Jump ? "jmp" : "call")
                .Add("setup", asm.Setup.ToList())
                .Add("outputs", asm.Outputs.ToList())
                .Add("inputs", asm.Inputs.ToList())
                .Add("clobber_list", asm.ClobberList.ToList())
                .Add("before", asm.Before.ToList())
                .Add("save", asm.Save.ToList())
                .Add("restore", asm.Restore.ToList())
                .Add("after", asm.After.ToList())
                .Add("epilogue", asm.Result.ToList()))
            .Add("registers", RegistersNode(binding, wordSize))
            .Add("vmi", VmiNode(plan, wordSize, callLength))
            .Add("exercise", new ModelNode()
                .Add("setup", exerciseSetup)
                .Add("args", string.Join(", ", exerciseArgs)))
            .Add("marker", MarkerNode(plan, model));
    }

    /// <summary>The marker style's asm for one op: the NONE relocation naming the slot and its side record (layout: PvGen.X86 MarkerRecord).</summary>
    private static ModelNode MarkerNode(OpPlan plan, OpsModel model)
    {
        var op = plan.Op;
        var abi = CallAbi.For(model.Target);
        int words = op.Params.Sum(p => Math.Max(1, (int)((p.Type.Size + abi.WordSize - 1) / abi.WordSize)));
        var flags = (op.CalleeSave ? MarkerFlags.CalleeSave : MarkerFlags.None) | (plan.Jump ? MarkerFlags.Jump : MarkerFlags.None);
        var record = MarkerRecord.Environment(abi, default, op.Slot, words, op.ReturnType.Kind == TypeKind.Void ? 0 : (int)op.ReturnType.Size, flags);
        // One table: the symbol and offset as text (fine under -fpic too). Split tables (2.6.23-4.19): the slot's address as an
        // "i" operand, printed by the compiler as group_variable+offset.
        string target = model.TableSymbol is { } symbol ? $"{symbol}+{CNames.Hex(op.Offset)}" : "%c0";
        var lines = MarkerRecord.Directives(model.Target.PointerSize == 8, target, record);
        return new ModelNode()
            .Add("asm", lines.Select(CNames.StringLiteral).ToList())
            .Add("operand", model.TableSymbol is null ? $"&{plan.Member}" : null)
            .Add("in_regs", MarkerRecord.RegisterNames(abi, record.InputRegisters).ToList())
            .Add("out_regs", MarkerRecord.RegisterNames(abi, record.OutputRegisters).ToList())
            .Add("stack_words", record.StackWords);
    }

    private static string CleanDocComment(string comment) =>
        string.Join(' ', comment.Split('\n').Select(line => line.Trim().TrimStart('/').TrimStart('*').TrimEnd('/').TrimEnd('*').Trim()).Where(l => l.Length > 0));

    private static string KindName(TypeKind kind) => JsonNamingPolicy.SnakeCaseLower.ConvertName(kind.ToString());
}
