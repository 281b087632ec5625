using System.Text;
using System.Text.Json;
using PvGen.Model;
using PvGen.Model.Json;
using PvGen.X86;

namespace PvGen.Generation;

/// <summary>One output file, path relative to the output directory ('/'-separated).</summary>
public sealed record GeneratedFile(string Path, string Content);

public sealed record GenerationOutput(IReadOnlyList<GeneratedFile> Files, IReadOnlyList<Diagnostic> Diagnostics, TemplateModelBuilder.Plan Plan);

/// <summary>An output style: the files it adds for one model. Styles are looked up by name (--style).</summary>
public interface IStyleEmitter
{
    IEnumerable<GeneratedFile> Emit(StyleContext context);
}

/// <summary>What a style emitter gets: the plan, the template model and a renderer bound to the layered loader.</summary>
public sealed record StyleContext(GenerationRequest Request, TemplateModelBuilder.Plan Plan, TemplateRenderer Renderer)
{
    /// <summary>Renders a template with the model plus a "file" object describing the file being written.</summary>
    public GeneratedFile RenderFile(string template, string fileName, string style)
    {
        var model = Plan.Root.ToScriptObject();
        model.SetValue("file", new ModelNode()
            .Add("name", fileName)
            .Add("style", style)
            .Add("guard", $"PVGEN_{CNames.Upper(fileName)}")
            .ToScriptObject(), true);
        return new GeneratedFile(fileName, Renderer.Render(template, model));
    }
}

/// <summary>A C header style rendered from one template: macro/header.sbn-c -> BASE_macro.h.</summary>
public sealed class CHeaderStyle(string style, string template) : IStyleEmitter
{
    public IEnumerable<GeneratedFile> Emit(StyleContext context) =>
        [context.RenderFile(template, $"{context.Plan.BaseName}_{style}.h", style)];
}

/// <summary>Stage 2: model + settings -> the generated files, in memory. Writing is the caller's job (all or nothing).</summary>
public static class Generator
{
    /// <summary>Styles by name; other stages add theirs (e.g. "csharp") here.</summary>
    public static readonly Dictionary<string, IStyleEmitter> Styles = new(StringComparer.Ordinal)
    {
        ["macro"] = new CHeaderStyle("macro", "macro/header.sbn-c"),
        ["plain"] = new CHeaderStyle("plain", "plain/header.sbn-c"),
    };

    public const string ModelFile = ".pvgen/model.json";

    public static GenerationOutput Generate(GenerationRequest request)
    {
        var diagnostics = new List<Diagnostic>();
        foreach (string style in request.Styles)
        {
            if (!Styles.ContainsKey(style))
            {
                throw new GenerationException(new Diagnostic(DiagnosticIds.BadOption, Severity.Error,
                    $"unknown style '{style}'; use one of: {string.Join(", ", Styles.Keys)}, both", null));
            }
        }

        var plan = TemplateModelBuilder.Build(request, diagnostics);
        var loader = new LayeredTemplateLoader(request.TemplateDirectory, request.TemplateDirectoryDisplay ?? request.TemplateDirectory);
        diagnostics.AddRange(loader.OutdatedOverrides());
        var renderer = new TemplateRenderer(loader);
        var context = new StyleContext(request, plan, renderer);
        var files = new List<GeneratedFile>();
        foreach (string style in request.Styles)
        {
            files.AddRange(Styles[style].Emit(context));
        }

        files.Add(context.RenderFile("exercise.sbn-c", $"{plan.BaseName}_exercise.c", "exercise"));
        files.Add(new GeneratedFile($"{plan.BaseName}.manifest.json", Manifest(request, plan)));
        files.Add(new GeneratedFile(ModelFile, ModelJson.Serialize(request.Model)));
        return new GenerationOutput(files, diagnostics, plan);
    }

    /// <summary>The JSON manifest of ops for tools (schema pvgen.manifest/1).</summary>
    public static string Manifest(GenerationRequest request, TemplateModelBuilder.Plan plan)
    {
        var model = request.Model;
        var abi = CallAbi.For(model.Target);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("schema", "pvgen.manifest/1");
            w.WriteString("generator_version", TemplateModelBuilder.Version);
            w.WriteString("struct", model.Struct);
            if (model.TableSymbol is null)
            {
                w.WriteNull("symbol");
            }
            else
            {
                w.WriteString("symbol", model.TableSymbol);
            }

            w.WriteString("arch", model.Target.Arch);
            w.WriteNumber("pointer_size", model.Target.PointerSize);
            w.WriteNumber("struct_size", model.StructSize);
            w.WriteStartArray("styles");
            foreach (string style in request.Styles)
            {
                w.WriteStringValue(style);
            }

            w.WriteEndArray();
            w.WriteStartArray("cflags");
            foreach (string flag in request.CompileFlags)
            {
                w.WriteStringValue(flag);
            }

            w.WriteEndArray();
            w.WriteStartObject("record");
            w.WriteString("section", plan.Section);
            w.WriteString("format", plan.Format.Name);
            w.WriteNumber("size", plan.Format.Stride);
            w.WriteString("clobber_era", ClobberMasks.Name(plan.ClobberEra));
            w.WriteString("call_form", plan.CallForm);
            w.WriteNumber("site_length", SiteEncodings.IndirectCall(model.Target.PointerSize, plan.CallForm == "rip").Length);
            w.WriteEndObject();
            w.WriteStartObject("clobber_bits");
            foreach (var register in abi.Registers)
            {
                w.WriteNumber(register.Name, register.Bit);
            }

            w.WriteEndObject();
            w.WriteStartArray("ops");
            foreach (var op in plan.Ops)
            {
                w.WriteStartObject();
                w.WriteString("name", op.Skipped ? null : op.Wrapper);
                w.WriteString("path", op.Op.Path);
                w.WriteNumber("offset", op.Op.Offset);
                w.WriteNumber("slot", op.Op.Slot);
                w.WriteNumber("arg_count", op.Op.Params.Count);
                w.WriteNumber("arg_words", op.Binding.ArgumentWords);
                w.WriteNumber("return_size", op.Op.ReturnType.Size);
                w.WriteBoolean("callee_save", op.Op.CalleeSave);
                w.WriteBoolean("jump", op.Jump);
                w.WriteBoolean("skipped", op.Skipped);
                w.WriteStartArray("clobbers");
                foreach (var register in op.Clobbers)
                {
                    w.WriteStringValue(register.Name);
                }

                w.WriteEndArray();
                w.WriteNumber("clobber_mask", op.ClobberMask);
                w.WriteString("native", op.Native);
                w.WriteString("wrapper", op.Skipped ? null : op.Wrapper);
                w.WriteString("macro_style", op.Skipped ? "none" : op.Binding.IsAsm ? "asm" : "plain");
                w.WriteString("reason", op.Skipped ? op.SkipReason : op.Binding.Reason);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("macro_plain_calls");
            foreach (var op in plan.Ops.Where(o => !o.Skipped && !o.Binding.IsAsm))
            {
                w.WriteStringValue(op.Op.Path);
            }

            w.WriteEndArray();
            w.WriteStartArray("skipped");
            foreach (var op in plan.Ops.Where(o => o.Skipped))
            {
                w.WriteStringValue(op.Op.Path);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
