using System.Text.Json;
using PvGen.Checking.Annotations;
using PvGen.Model;
using PvGen.Model.Json;

namespace PvGen.Checking;

/// <summary>One op as `pvgen generate` describes it in its manifest (pvgen.manifest/1).</summary>
public sealed record ManifestOp(string Path, int Slot, string? Wrapper, bool Jump, bool Skipped, int ClobberMask, string? Native, string MacroStyle);

/// <summary>A `pvgen generate` output directory, read through its manifest and the model kept beside it.</summary>
/// <param name="CompileFlags">The -D and -I flags the header was parsed with (include paths resolved against the directory).</param>
/// <param name="RecordFormat">The record format generate wrote (manifest "record.format"), null for manifests from before it was recorded.</param>
public sealed record GeneratedOutput(string Directory, string BaseName, OpsModel Model, IReadOnlyList<string> Styles, IReadOnlyList<ManifestOp> Ops, IReadOnlyList<string> CompileFlags,
    string? RecordFormat = null)
{
    public string Header(string style) => Path.Combine(Directory, $"{BaseName}_{style}.h");

    public string Exerciser => Path.Combine(Directory, $"{BaseName}_exercise.c");

    /// <summary>Wrapper names of the ops that have one, by op path.</summary>
    public IReadOnlyDictionary<string, string> Wrappers =>
        Ops.Where(o => !o.Skipped && o.Wrapper is not null).ToDictionary(o => o.Path, o => o.Wrapper!);

    /// <summary>What each slot's record must say: the generated clobber mask, jump-ness and native length.</summary>
    public IReadOnlyDictionary<int, ExpectedOp> Expected =>
        Ops.ToDictionary(o => o.Slot, o => new ExpectedOp(o.Path, o.Slot, o.Jump, ExpectedOps.NativeLength(o.Native), o.ClobberMask, Annotated: o.MacroStyle == "asm", Native: o.Native));

    /// <summary>Ops whose macro-style wrapper is an annotated asm site (the rest fall back to plain calls).</summary>
    public int AnnotatedWrappers => Ops.Count(o => !o.Skipped && o.MacroStyle == "asm");

    /// <summary>Reads DIR/*.manifest.json and DIR/.pvgen/model.json; throws <see cref="CheckInputException"/> with a location.</summary>
    public static GeneratedOutput Read(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw Input($"'{directory}' is not a directory; pass the output directory of 'pvgen generate'", directory);
        }

        var manifests = System.IO.Directory.GetFiles(directory, "*.manifest.json");
        if (manifests.Length != 1)
        {
            throw Input(manifests.Length == 0
                ? $"no *.manifest.json in '{directory}': run 'pvgen generate -o {directory}' first"
                : $"several manifests in '{directory}': {string.Join(", ", manifests.Select(Path.GetFileName))}", directory);
        }

        string manifestPath = manifests[0];
        string baseName = Path.GetFileName(manifestPath)[..^".manifest.json".Length];
        string modelPath = Path.Combine(directory, ".pvgen", "model.json");
        if (!File.Exists(modelPath))
        {
            throw Input($"'{modelPath}' is missing: regenerate the directory", modelPath);
        }

        var model = ModelJson.Deserialize(File.ReadAllText(modelPath), modelPath);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(manifestPath));
            var root = document.RootElement;
            if (root.GetProperty("schema").GetString() != "pvgen.manifest/1")
            {
                throw Input($"unsupported manifest schema '{root.GetProperty("schema").GetString()}'", manifestPath);
            }

            var styles = root.GetProperty("styles").EnumerateArray().Select(s => s.GetString()!).Where(s => s is "macro" or "plain").ToList();
            var ops = root.GetProperty("ops").EnumerateArray().Select(o => new ManifestOp(
                o.GetProperty("path").GetString()!,
                o.GetProperty("slot").GetInt32(),
                o.GetProperty("wrapper").GetString(),
                o.GetProperty("jump").GetBoolean(),
                o.GetProperty("skipped").GetBoolean(),
                o.GetProperty("clobber_mask").GetInt32(),
                o.GetProperty("native").GetString(),
                o.GetProperty("macro_style").GetString()!)).ToList();
            // Include paths in the manifest are relative to the output directory, so a moved tree still checks.
            var raw = root.TryGetProperty("cflags", out var cflags) ? cflags.EnumerateArray().Select(f => f.GetString()!).ToList() : [];
            // Path.GetFullPath(path, base) needs an absolute base: the directory may be given relative to the working directory.
            string absolute = Path.GetFullPath(directory);
            var flags = raw.Select((f, i) =>
                f.StartsWith("-I", StringComparison.Ordinal) ? "-I" + Path.GetFullPath(f[2..], absolute)
                : i > 0 && raw[i - 1] is "-include" or "-isystem" ? Path.GetFullPath(f, absolute)
                : f).ToList();
            string? recordFormat = root.TryGetProperty("record", out var record) && record.TryGetProperty("format", out var f) ? f.GetString() : null;
            return new GeneratedOutput(directory, baseName, model, styles, ops, flags, recordFormat);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw Input($"cannot read the manifest: {e.Message}", manifestPath);
        }
    }

    private static CheckInputException Input(string message, string file) =>
        new(new Diagnostic(DiagnosticIds.BadOption, Severity.Error, message, new SourceLocation(file, 1, 1)));
}

/// <summary>The check cannot start: bad directory, manifest or model. Exit code 2.</summary>
public sealed class CheckInputException(Diagnostic diagnostic) : Exception(diagnostic.ToString())
{
    public Diagnostic Diagnostic { get; } = diagnostic;
}
