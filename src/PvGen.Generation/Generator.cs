using PvGen.Model;
using PvGen.Model.Json;

namespace PvGen.Generation;

/// <summary>One output file, path relative to the output directory ('/'-separated).</summary>
public sealed record GeneratedFile(string Path, string Content);

public sealed record GenerationOutput(IReadOnlyList<GeneratedFile> Files, IReadOnlyList<Diagnostic> Diagnostics, TemplateModelBuilder.Plan Plan);

/// <summary>An output style: the files it adds for one model. Styles are looked up by name (--style).</summary>
public interface IStyleEmitter
{
    IEnumerable<GeneratedFile> Emit(StyleContext context);
}

/// <summary>What a style emitter gets: the plan, the template model, a renderer bound to the layered loader, and the run's diagnostics.</summary>
public sealed record StyleContext(GenerationRequest Request, TemplateModelBuilder.Plan Plan, TemplateRenderer Renderer, List<Diagnostic> Diagnostics)
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
    /// <summary>Every style by name (the option table's --style choices name these).</summary>
    public static readonly IReadOnlyDictionary<string, IStyleEmitter> Styles = new Dictionary<string, IStyleEmitter>(StringComparer.Ordinal)
    {
        ["macro"] = new CHeaderStyle("macro", "macro/header.sbn-c"),
        ["plain"] = new CHeaderStyle("plain", "plain/header.sbn-c"),
        ["marker"] = new CHeaderStyle("marker", "marker/header.sbn-c"),
        ["csharp"] = new CSharpStyle(),

        // Written only through --template-set vmi, which turns the macro style into this one.
        [TemplateSets.Vmi.AnnotatedStyle] = new CHeaderStyle(TemplateSets.Vmi.AnnotatedStyle, TemplateSets.Vmi.Template),
    };

    public const string ModelFile = ".pvgen/model.json";

    public static GenerationOutput Generate(GenerationRequest request)
    {
        var diagnostics = new List<Diagnostic>();
        var set = TemplateSets.Find(request.Settings.TemplateSet);
        request = request with { Styles = TemplateSets.Apply(set, request.Styles) };
        foreach (string style in request.Styles)
        {
            if (!Styles.ContainsKey(style))
            {
                throw new PvGenException(new Diagnostic(DiagnosticIds.BadOption, Severity.Error,
                    $"unknown style '{style}'; use one of: {string.Join(", ", Styles.Keys)}, both", null));
            }
        }

        var plan = TemplateModelBuilder.Build(request, diagnostics);
        var loader = new LayeredTemplateLoader(request.TemplateDirectory, request.TemplateDirectoryDisplay ?? request.TemplateDirectory);
        diagnostics.AddRange(loader.OutdatedOverrides());
        var renderer = new TemplateRenderer(loader);
        var context = new StyleContext(request, plan, renderer, diagnostics);
        var files = new List<GeneratedFile>();
        foreach (string style in request.Styles)
        {
            files.AddRange(Styles[style].Emit(context));
        }

        files.Add(context.RenderFile("exercise.sbn-c", $"{plan.BaseName}_exercise.c", "exercise"));
        files.Add(new GeneratedFile($"{plan.BaseName}.manifest.json", Manifest(request, plan)));
        files.Add(new GeneratedFile(ModelFile, ModelJson.Serialize(request.WrittenModel)));
        diagnostics.AddRange(loader.UnusedOverrides());
        return new GenerationOutput(files, diagnostics, plan);
    }

    /// <summary>The JSON manifest of ops for tools (schema pvgen.manifest/1).</summary>
    public static string Manifest(GenerationRequest request, TemplateModelBuilder.Plan plan) =>
        GenerationManifest.Serialize(GenerationManifest.From(request, plan));
}
