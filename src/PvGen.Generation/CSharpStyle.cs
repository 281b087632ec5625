using PvGen.Model;
using PvGen.CSharpBindings;

namespace PvGen.Generation;

/// <summary>The "csharp" section: the C# bindings' namespace, type name and opaque-pointer mode (null: the default).</summary>
public sealed record CSharpSettings(string? Namespace, string? TypeName, string? OpaquePointers)
{
    public static readonly CSharpSettings Default = new(null, null, null);

    /// <summary>Where the section is written, for its diagnostics.</summary>
    public SourceLocation? Location { get; init; }
}

/// <summary>
/// <c>pvgen generate --style csharp</c>: the C# bindings, rendered by the Roslyn generator's own emitter from the
/// in-memory model, so the CLI and the generator give the same code for the same model and options.
/// </summary>
internal sealed class CSharpStyle : IStyleEmitter
{
    public IEnumerable<GeneratedFile> Emit(StyleContext context)
    {
        var request = context.Request;
        var settings = request.CSharp;
        var options = CSharpOptions.For(request.Model, settings.Namespace, settings.TypeName, settings.OpaquePointers);
        if (options.Problem(settings.OpaquePointers) is { } problem)
        {
            throw PvGenException.Error(DiagnosticIds.CSharpBadOption, $"{problem} (\"csharp\" section)", settings.Location);
        }

        context.Diagnostics.AddRange(CSharpEmitter.UnmappableTypes(request.Model, options).Select(p => new Diagnostic(
            DiagnosticIds.CSharpUnmappableType,
            Severity.Warning,
            $"op '{p.Path}': no C# type for {p.Message}; its slot is emitted as void*",
            request.Model.Ops[p.OpIndex].Location)));
        return [new GeneratedFile(CSharpEmitter.HintName(options), CSharpEmitter.Emit(request.Model, options))];
    }
}
