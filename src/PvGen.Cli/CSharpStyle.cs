extern alias csgen;

using System.Text.Json;
using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.Json;
using CSharpEmitter = csgen::PvGen.SourceGenerator.CSharpEmitter;
using CSharpOptions = csgen::PvGen.SourceGenerator.CSharpOptions;
using ModelReader = csgen::PvGen.SourceGenerator.ModelReader;

namespace PvGen.Cli;

/// <summary>
/// <c>pvgen generate --style csharp</c>: the C# bindings, rendered by the Roslyn generator's own emitter from the
/// model's pvgen.model/1 JSON, so the CLI and the generator give byte-identical code for the same model and options.
/// Options come from the "csharp" section of pvgen.json: <c>namespace</c> (default PvGen.Generated),
/// <c>type_name</c> (default: the struct name in PascalCase), <c>opaque_pointers</c> (typed or void).
/// </summary>
internal sealed class CSharpStyle : IStyleEmitter
{
    public const string Name = "csharp";

    private static readonly string[] Keys = ["namespace", "type_name", "opaque_pointers"];

    public static void Register() => Generator.Styles[Name] = new CSharpStyle();

    public IEnumerable<GeneratedFile> Emit(StyleContext context)
    {
        var request = context.Request;
        string configPath = request.Config?.SourcePath ?? "pvgen.json";
        var settings = Settings(request.Config?.Extra is { } extra && extra.TryGetValue(Name, out var section) ? section : null, configPath);

        // Through the JSON contract: exactly what the generator reads from a *.pvgen.json AdditionalFile.
        var read = ModelReader.Read(ModelJson.Serialize(request.Model), "model.pvgen.json");
        var model = read.Model ?? throw new GenerationException(
            new Diagnostic(DiagnosticIds.CSharpBadModel, Severity.Error, $"internal: the model does not read back: {read.Diagnostics[0].Message}", null));
        settings.TryGetValue("opaque_pointers", out string? opaque);
        var options = CSharpOptions.For(model, settings.GetValueOrDefault("namespace"), settings.GetValueOrDefault("type_name"), opaque);
        if (options.Problem(opaque) is { } problem)
        {
            throw new GenerationException(new Diagnostic(DiagnosticIds.CSharpBadOption, Severity.Error, $"{problem} (\"{Name}\" section)", new SourceLocation(configPath, 1, 1)));
        }

        DiagnosticPrinter.Print(CSharpEmitter.UnmappableTypes(model, options).Select(p => new Diagnostic(
            DiagnosticIds.CSharpUnmappableType,
            Severity.Warning,
            $"op '{p.Path}': no C# type for {p.Message}; its slot is emitted as void*",
            request.Model.Ops[p.OpIndex].Location)));
        return [new GeneratedFile(CSharpEmitter.HintName(options), CSharpEmitter.Emit(model, options))];
    }

    private static Dictionary<string, string> Settings(JsonElement? section, string configPath)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        if (section is not { } element)
        {
            return settings;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Bad($"\"{Name}\" must be an object", configPath);
        }

        foreach (var property in element.EnumerateObject())
        {
            if (!Keys.Contains(property.Name))
            {
                string best = Keys.OrderBy(k => EditDistance.Between(k, property.Name)).First();
                throw Bad($"unknown key '{property.Name}' in \"{Name}\" (did you mean '{best}'?)", configPath);
            }

            settings[property.Name] = property.Value.ValueKind == JsonValueKind.String
                ? property.Value.GetString()!
                : throw Bad($"\"{Name}\".{property.Name} must be a string", configPath);
        }

        return settings;
    }

    private static GenerationException Bad(string message, string configPath) =>
        new(new Diagnostic(DiagnosticIds.CSharpBadOption, Severity.Error, message, new SourceLocation(configPath, 1, 1)));
}
