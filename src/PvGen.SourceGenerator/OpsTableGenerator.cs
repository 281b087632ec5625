using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using PvGen.CSharpBindings;
using PvGen.Model;
using Diagnostic = PvGen.Model.Diagnostic;
using RoslynDiagnostic = Microsoft.CodeAnalysis.Diagnostic;

namespace PvGen.SourceGenerator;

/// <summary>
/// Turns every <c>*.pvgen.json</c> AdditionalFile (pvgen.model/1) into C# bindings of its ops table.
/// Item metadata: <c>Namespace</c> (default: the project's RootNamespace), <c>TypeName</c> (default: the C struct
/// name in PascalCase), <c>OpaquePointers</c> (<c>typed</c> or <c>void</c>). Only equatable records travel the
/// pipeline, so an edit elsewhere in the project leaves every step cached.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class OpsTableGenerator : IIncrementalGenerator
{
    public const string ModelSuffix = ".pvgen.json";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var files = context.AdditionalTextsProvider
            .Where(static file => file.Path.EndsWith(ModelSuffix, StringComparison.OrdinalIgnoreCase))
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (pair, cancellationToken) => ReadFile(pair.Left, pair.Right, cancellationToken))
            .WithTrackingName(TrackingNames.ModelFiles);

        var units = files
            .Select(static (file, cancellationToken) => Parse(file))
            .WithTrackingName(TrackingNames.Models);

        var all = units.Collect().WithTrackingName(TrackingNames.AllModels);
        context.RegisterSourceOutput(all, static (output, units) => Produce(output, units));
    }

    private static ModelFile ReadFile(AdditionalText file, AnalyzerConfigOptionsProvider provider, CancellationToken cancellationToken)
    {
        var options = provider.GetOptions(file);
        string? Metadata(string name) =>
            options.TryGetValue("build_metadata.AdditionalFiles." + name, out string? value) && value.Length > 0 ? value : null;
        string? rootNamespace = provider.GlobalOptions.TryGetValue("build_property.RootNamespace", out string? root) && root.Length > 0 ? root : null;
        return new ModelFile(
            file.Path,
            file.GetText(cancellationToken)?.ToString(),
            Metadata("Namespace"),
            Metadata("TypeName"),
            Metadata("OpaquePointers"),
            rootNamespace);
    }

    private static ModelUnit Parse(ModelFile file)
    {
        var start = new SourceLocation(file.Path, 1, 1);
        try
        {
            if (file.Text is null)
            {
                return Failed(file, DiagnosticIds.CSharpBadModel, "the model file cannot be read", start);
            }

            var read = ModelReader.Read(file.Text, file.Path);
            if (read.Model is null)
            {
                return new ModelUnit(file.Path, null, null, read.Diagnostics);
            }

            var options = CSharpOptions.For(read.Model, file.Namespace, file.TypeName, file.OpaquePointers, file.RootNamespace);
            if (options.Problem(file.OpaquePointers) is { } problem)
            {
                return Failed(file, DiagnosticIds.CSharpBadOption, $"{problem} (AdditionalFiles metadata of {file.Path})", start);
            }

            var diagnostics = CSharpEmitter.UnmappableTypes(read.Model, options).Select(p => new Diagnostic(
                DiagnosticIds.CSharpUnmappableType,
                Severity.Warning,
                $"op '{p.Path}': no C# type for {p.Message}; its slot is emitted as void* (declared at {read.Model.Ops[p.OpIndex].Location})",
                p.OpIndex < read.OpLocations.Count ? read.OpLocations[p.OpIndex] : start));
            return new ModelUnit(file.Path, read.Model, options, diagnostics.ToEquatableArray());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Failed(file, DiagnosticIds.CSharpGeneratorFailure, $"internal error while reading the model: {e.GetType().Name}: {e.Message}", start);
        }
    }

    private static ModelUnit Failed(ModelFile file, string id, string message, SourceLocation where) =>
        new(file.Path, null, null, new[] { new Diagnostic(id, Severity.Error, message, where) }.ToEquatableArray());

    private static void Produce(SourceProductionContext output, ImmutableArray<ModelUnit> units)
    {
        var hintNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var unit in units.OrderBy(u => u.Path, StringComparer.Ordinal))
        {
            foreach (var diagnostic in unit.Diagnostics)
            {
                output.ReportDiagnostic(ToRoslyn(diagnostic));
            }

            if (unit.Model is null || unit.Options is null)
            {
                continue;
            }

            try
            {
                string hint = CSharpEmitter.HintName(unit.Options);
                if (hintNames.TryGetValue(hint, out string? first))
                {
                    output.ReportDiagnostic(ToRoslyn(new Diagnostic(
                        DiagnosticIds.CSharpDuplicateType,
                        Severity.Error,
                        $"this model would generate {hint.Substring(0, hint.Length - ".g.cs".Length)}, which {first} already generates; give one of them another TypeName or Namespace",
                        new SourceLocation(unit.Path, 1, 1))));
                    continue;
                }

                hintNames[hint] = unit.Path;
                output.AddSource(hint, SourceText.From(CSharpEmitter.Emit(unit.Model, unit.Options), System.Text.Encoding.UTF8));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                output.ReportDiagnostic(ToRoslyn(new Diagnostic(
                    DiagnosticIds.CSharpGeneratorFailure,
                    Severity.Error,
                    $"internal error while generating C#: {e.GetType().Name}: {e.Message}",
                    new SourceLocation(unit.Path, 1, 1))));
            }
        }
    }

    private static RoslynDiagnostic ToRoslyn(Diagnostic diagnostic)
    {
        var location = Location.None;
        if (diagnostic.Location is { } where)
        {
            var position = new LinePosition(Math.Max(where.Line - 1, 0), Math.Max(where.Column - 1, 0));
            location = Location.Create(where.File, default, new LinePositionSpan(position, position));
        }

        return RoslynDiagnostic.Create(Descriptors.For(diagnostic.Id), location, diagnostic.Message);
    }
}

/// <summary>Step names for incremental-generator tests (step tracking must report Cached after unrelated edits).</summary>
public static class TrackingNames
{
    public const string ModelFiles = "PvGen.ModelFiles";
    public const string Models = "PvGen.Models";
    public const string AllModels = "PvGen.AllModels";
}

/// <summary>A model file and its MSBuild metadata: what the first pipeline step produces.</summary>
internal sealed record ModelFile(string Path, string? Text, string? Namespace, string? TypeName, string? OpaquePointers, string? RootNamespace);

/// <summary>A parsed model with its options, or the diagnostics that stopped it.</summary>
internal sealed record ModelUnit(string Path, OpsModel? Model, CSharpOptions? Options, EquatableArray<Diagnostic> Diagnostics);

internal static class Descriptors
{
    private static readonly Dictionary<string, DiagnosticDescriptor> Cache = new[]
    {
        Create(DiagnosticIds.CSharpBadModel, DiagnosticSeverity.Error),
        Create(DiagnosticIds.CSharpUnsupportedSchema, DiagnosticSeverity.Error),
        Create(DiagnosticIds.CSharpUnmappableType, DiagnosticSeverity.Warning),
        Create(DiagnosticIds.CSharpDuplicateType, DiagnosticSeverity.Error),
        Create(DiagnosticIds.CSharpBadOption, DiagnosticSeverity.Error),
        Create(DiagnosticIds.CSharpGeneratorFailure, DiagnosticSeverity.Error),
    }.ToDictionary(d => d.Id);

    public static DiagnosticDescriptor For(string id) =>
        Cache.TryGetValue(id, out var descriptor) ? descriptor : Cache[DiagnosticIds.CSharpGeneratorFailure];

    private static DiagnosticDescriptor Create(string id, DiagnosticSeverity severity) => new(
        id,
        DiagnosticIds.Titles.TryGetValue(id, out string? title) ? title : id,
        "{0}",
        "PvGen",
        severity,
        isEnabledByDefault: true);
}
