using PvGen.Checking.Annotations;
using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.Json;

namespace PvGen.Checking;

/// <summary>A `pvgen generate` output directory, read through its manifest and the model kept beside it.</summary>
/// <param name="Directory">The directory, absolute.</param>
/// <param name="Environment">The compile environment the header was parsed in, paths absolute.</param>
public sealed record GeneratedOutput(string Directory, string BaseName, OpsModel Model, GenerationManifest Manifest, CompileEnvironment Environment)
{
    public IReadOnlyList<string> Styles => [.. Manifest.Styles.Where(s => s is "macro" or "plain" || s == TemplateSets.Vmi.AnnotatedStyle)];

    public IReadOnlyList<ManifestOp> Ops => Manifest.Ops;

    /// <summary>The record format generate wrote.</summary>
    public string RecordFormat => Manifest.Record.Format;

    public string Header(string style) => Path.Combine(Directory, $"{BaseName}_{style}.h");

    public string Exerciser => Path.Combine(Directory, $"{BaseName}_exercise.c");

    /// <summary>Wrapper names of the ops that have one, by op path.</summary>
    public IReadOnlyDictionary<string, string> Wrappers =>
        Ops.Where(o => !o.Skipped && o.Wrapper is not null).ToDictionary(o => o.Path, o => o.Wrapper!);

    /// <summary>What each slot's record must say: what the manifest says the generator planned.</summary>
    public IReadOnlyDictionary<int, ExpectedOp> Expected => ExpectedOps.From(Ops, checkClobbers: true);

    /// <summary>Ops whose macro-style wrapper is an annotated asm site (the rest fall back to plain calls).</summary>
    public int AnnotatedWrappers => Ops.Count(o => !o.Skipped && o.Annotated);

    /// <summary>Reads DIR/*.manifest.json and DIR/.pvgen/model.json; throws <see cref="PvGenException"/> with a location.</summary>
    public static GeneratedOutput Read(string directory)
    {
        string full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
        {
            throw Input($"'{directory}' is not a directory; pass the output directory of 'pvgen generate'", directory);
        }

        var manifests = System.IO.Directory.GetFiles(full, "*.manifest.json");
        if (manifests.Length != 1)
        {
            throw Input(manifests.Length == 0
                ? $"no *.manifest.json in '{directory}': run 'pvgen generate -o {directory}' first"
                : $"several manifests in '{directory}': {string.Join(", ", manifests.Select(Path.GetFileName))}", directory);
        }

        string manifestPath = manifests[0];
        string baseName = Path.GetFileName(manifestPath)[..^".manifest.json".Length];
        string modelPath = Path.Combine(full, ".pvgen", "model.json");
        if (!File.Exists(modelPath))
        {
            throw Input($"'{Path.Combine(directory, ".pvgen", "model.json")}' is missing: regenerate the directory", modelPath);
        }

        var model = ModelJson.Load(modelPath);
        var manifest = GenerationManifest.Load(manifestPath);

        // Paths in the manifest are relative to the output directory, so a moved tree still checks.
        return new GeneratedOutput(full, baseName, model, manifest, manifest.Environment.Resolve(model.Target, full));
    }

    private static PvGenException Input(string message, string file) =>
        PvGenException.Error(DiagnosticIds.BadOption, message, new SourceLocation(file, 1, 1));
}
