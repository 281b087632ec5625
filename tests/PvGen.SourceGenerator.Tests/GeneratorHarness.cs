extern alias csgen;

using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;
using OpsTableGenerator = csgen::PvGen.SourceGenerator.OpsTableGenerator;

namespace PvGen.SourceGenerator.Tests;

/// <summary>A model file as the compiler sees an AdditionalFiles item, with its item metadata.</summary>
internal sealed record ModelFileItem(string Path, string Text, string? Namespace = "PvGen.Tests", string? TypeName = null, string? OpaquePointers = null);

/// <summary>Runs the real generator through CSharpGeneratorDriver and compiles its output with the same Roslyn.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray());

    public static CSharpCompilation Compilation(params string[] sources) => CSharpCompilation.Create(
        "PvGenGenerated" + Guid.NewGuid().ToString("N"),
        sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
        References.Value,
        new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            allowUnsafe: true,
            nullableContextOptions: NullableContextOptions.Enable,
            warningLevel: 9999,
            deterministic: true));

    public static GeneratorDriver Driver(IEnumerable<ModelFileItem> files, bool track = true) => Driver(files, files.Select(Text).ToList(), track);

    public static GeneratorDriver Driver(IEnumerable<ModelFileItem> files, IReadOnlyList<AdditionalText> texts, bool track = true) =>
        CSharpGeneratorDriver.Create(
            [new OpsTableGenerator().AsSourceGenerator()],
            texts,
            ParseOptions,
            new OptionsProvider(files),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: track));

    public static AdditionalText Text(ModelFileItem file) => new InMemoryText(file.Path, file.Text);

    /// <summary>One generator run over a small user program: the generated sources and the generator's diagnostics.</summary>
    public static GeneratorRunResult Run(params ModelFileItem[] files)
    {
        var driver = Driver(files).RunGenerators(Compilation("namespace User { public static class Program { } }"));
        return driver.GetRunResult().Results.Single();
    }

    /// <summary>Compiler diagnostics of warning severity or worse.</summary>
    public static List<Diagnostic> Problems(Compilation compilation) =>
        compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();

    /// <summary>Compiles sources into a collectible assembly and loads it.</summary>
    public static Assembly Load(AssemblyLoadContext context, params string[] sources)
    {
        var compilation = Compilation(sources);
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        var problems = Problems(compilation);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        stream.Position = 0;
        return context.LoadFromStream(stream);
    }

    private sealed class InMemoryText(string path, string text) : AdditionalText
    {
        public override string Path => path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }

    private sealed class OptionsProvider(IEnumerable<ModelFileItem> files) : AnalyzerConfigOptionsProvider
    {
        private readonly Dictionary<string, ModelFileItem> byPath = files.ToDictionary(f => f.Path);

        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(new() { ["build_property.RootNamespace"] = "User" });

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options([]);

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile)
        {
            var values = new Dictionary<string, string>();
            if (byPath.TryGetValue(textFile.Path, out var file))
            {
                void Add(string key, string? value)
                {
                    if (value is not null)
                    {
                        values["build_metadata.AdditionalFiles." + key] = value;
                    }
                }

                Add("Namespace", file.Namespace);
                Add("TypeName", file.TypeName);
                Add("OpaquePointers", file.OpaquePointers);
            }

            return new Options(values);
        }
    }

    private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) =>
            values.TryGetValue(key, out value);
    }
}
