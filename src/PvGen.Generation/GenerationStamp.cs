using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using PvGen.Model;
using PvGen.Model.Json;
using PvGen.Model.IO;

namespace PvGen.Generation;

/// <summary>One file a generation read or wrote, as it was: its size and content hash (size -1: it did not exist, and must not).</summary>
public sealed record StampedFile(string Path, long Size, string Hash)
{
    public const long Absent = -1;

    /// <summary>The file as it is now on disk (<paramref name="root"/> resolves a relative path).</summary>
    public static StampedFile Of(string path, string? root = null)
    {
        string full = root is null ? path : System.IO.Path.Combine(root, path);
        try
        {
            return File.Exists(full) ? Of(path, File.ReadAllBytes(full)) : new StampedFile(path, Absent, string.Empty);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable now: a hash no file has, so the stamp holds only if it is unreadable next time too.
            return new StampedFile(path, Absent, "unreadable");
        }
    }

    public static StampedFile Of(string path, ReadOnlySpan<byte> content) => new(path, content.Length, Hex(XxHash128.Hash(content)));

    /// <summary>Whether the file is still exactly this (the size is compared first: most changes show there without a read).</summary>
    public bool IsCurrent(string? root = null)
    {
        string full = root is null ? Path : System.IO.Path.Combine(root, Path);
        var info = new FileInfo(full);
        if (!info.Exists || Size == Absent)
        {
            return !info.Exists && Size == Absent && Hash.Length == 0;
        }

        return info.Length == Size && Of(Path, root) == this;
    }

    private static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);
}

/// <summary>What a generate run printed and produced, so a run that skips the work prints the same.</summary>
/// <param name="Files">Every file the run gives, relative to the output directory, in order.</param>
/// <param name="Diagnostics">The parse's and the generation's diagnostics (not those about the previous run's files).</param>
public sealed record GenerationFacts(
    int Wrappers,
    int AnnotatedSites,
    string RecordFormat,
    string Section,
    string FormatDescription,
    string FormatSource,
    IReadOnlyList<string> Files,
    IReadOnlyList<Diagnostic> Diagnostics)
{
    public static GenerationFacts From(GenerationOutput output, IReadOnlyList<Diagnostic> diagnostics)
    {
        var plan = output.Plan;
        return new GenerationFacts(
            plan.Ops.Count(o => !o.Skipped),
            plan.Ops.Count(o => !o.Skipped && o.Binding.IsAsm),
            plan.Format.Name,
            plan.Section,
            plan.Format.Description,
            plan.FormatSource,
            [.. output.Files.Select(f => f.Path)],
            diagnostics);
    }
}

/// <summary>
/// The record of one generation that lets the next one skip the parse and the rendering: the tool that ran, the command
/// (every option as given, the working and output directories), every file the run read with its size and hash (the
/// header and each file it included, transitively, as clang_getInclusions lists them; pvgen.json; the template
/// override directory's files; the kernel tree's files read for its record format and target, present or not) and every
/// file it wrote. Any difference in any of them is a full run. Kept in the user's cache directory, keyed by the output
/// directory (a file inside the output directory would itself be an output that changes on every regeneration).
/// </summary>
public sealed partial record GenerationStamp(
    string Tool,
    string Command,
    IReadOnlyList<StampedFile> Inputs,
    IReadOnlyList<StampedFile> Outputs,
    GenerationFacts Facts)
{
    /// <summary>2: the file is the serialised record (diagnostics keep their location as an object); a stamp of 1 is a full run.</summary>
    public const string Schema = "pvgen.stamp/2";

    /// <summary>Where the stamp of an output directory lives (null when the user has no cache directory).</summary>
    public static string? PathFor(string outputDirectory)
    {
        string? cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? Path.Combine(home, ".cache")
            : null;
        if (cache is null)
        {
            return null;
        }

        string key = Convert.ToHexStringLower(XxHash64.Hash(Encoding.UTF8.GetBytes(Path.GetFullPath(outputDirectory))));
        return Path.Combine(cache, "pvgen", "stamps", key + ".json");
    }

    /// <summary>The stamp last written for the output directory, or null (none, unreadable, another schema: a full run).</summary>
    public static GenerationStamp? Load(string outputDirectory)
    {
        if (PathFor(outputDirectory) is not { } path || !File.Exists(path))
        {
            return null;
        }

        try
        {
            var stored = JsonSerializer.Deserialize(File.ReadAllBytes(path), Info);
            return stored is null || stored.Schema != Schema || stored.Output != Path.GetFullPath(outputDirectory)
                ? null
                : new GenerationStamp(stored.Tool, stored.Command, stored.Inputs, stored.Outputs, stored.Facts);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Whether a run of <paramref name="tool"/> with <paramref name="command"/> would read and write exactly what this stamp records.</summary>
    public bool Holds(string tool, string command, string outputDirectory) =>
        Tool == tool
        && Command == command
        && Facts.Files.Count == Outputs.Count
        && Inputs.All(f => f.IsCurrent())
        && Outputs.All(f => f.IsCurrent(outputDirectory));

    /// <summary>Writes the stamp (atomically, only when it changed); a stamp that cannot be written only costs the next run its shortcut.</summary>
    public void Write(string outputDirectory)
    {
        if (PathFor(outputDirectory) is not { } path)
        {
            return;
        }

        try
        {
            var stored = new StoredStamp(Schema, Tool, Path.GetFullPath(outputDirectory), Command, Inputs, Outputs, Facts);
            AtomicFile.WriteIfChanged(path, stream => JsonSerializer.Serialize(stream, stored, Info));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PvGenException)
        {
            // Read-only cache: every run is a full run, as before stamps.
        }
    }

    /// <summary>Removes the stamp of an output directory (before a run that may change the outputs).</summary>
    public static void Remove(string outputDirectory)
    {
        try
        {
            if (PathFor(outputDirectory) is { } path)
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stamp that cannot be removed still fails on the outputs' hashes.
        }
    }

    /// <summary>The stamp as its file holds it: the schema and the output directory it belongs to, then the stamp.</summary>
    private sealed record StoredStamp(
        string Schema,
        string Tool,
        string Output,
        string Command,
        IReadOnlyList<StampedFile> Inputs,
        IReadOnlyList<StampedFile> Outputs,
        GenerationFacts Facts);

    private static readonly JsonTypeInfo<StoredStamp> Info = ContractJson.Unescaped(StampJsonContext.Default.Options).InfoFor<StoredStamp>();

    /// <summary>Source-generated (no reflection: the no-op run is start-up plus this read); a missing member is an error, so an older stamp is a full run.</summary>
    [JsonSourceGenerationOptions(
        PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        Converters = [typeof(SeverityConverter)])]
    [JsonSerializable(typeof(StoredStamp))]
    private sealed partial class StampJsonContext : JsonSerializerContext;
}
