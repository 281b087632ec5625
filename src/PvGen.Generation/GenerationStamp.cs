using System.IO.Hashing;
using System.Text;
using System.Text.Json;
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
public sealed record GenerationStamp(
    string Tool,
    string Command,
    IReadOnlyList<StampedFile> Inputs,
    IReadOnlyList<StampedFile> Outputs,
    GenerationFacts Facts)
{
    public const string Schema = "pvgen.stamp/1";

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
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.GetProperty("schema").GetString() != Schema || root.GetProperty("output").GetString() != Path.GetFullPath(outputDirectory))
            {
                return null;
            }

            var facts = root.GetProperty("facts");
            return new GenerationStamp(
                root.GetProperty("tool").GetString()!,
                root.GetProperty("command").GetString()!,
                ReadFiles(root.GetProperty("inputs")),
                ReadFiles(root.GetProperty("outputs")),
                new GenerationFacts(
                    facts.GetProperty("wrappers").GetInt32(),
                    facts.GetProperty("annotated_sites").GetInt32(),
                    facts.GetProperty("record_format").GetString()!,
                    facts.GetProperty("section").GetString()!,
                    facts.GetProperty("format_description").GetString()!,
                    facts.GetProperty("format_source").GetString()!,
                    [.. facts.GetProperty("files").EnumerateArray().Select(f => f.GetString()!)],
                    [.. facts.GetProperty("diagnostics").EnumerateArray().Select(ReadDiagnostic)]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
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
            AtomicFile.WriteIfChanged(path, stream => Serialize(stream, Path.GetFullPath(outputDirectory)));
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

    private void Serialize(Stream stream, string outputDirectory)
    {
        using var writer = new Utf8JsonWriter(stream, JsonWriting.Options);
        writer.WriteStartObject();
        writer.WriteString("schema", Schema);
        writer.WriteString("tool", Tool);
        writer.WriteString("output", outputDirectory);
        writer.WriteString("command", Command);
        WriteFiles(writer, "inputs", Inputs);
        WriteFiles(writer, "outputs", Outputs);
        writer.WriteObject("facts", w =>
        {
            w.WriteNumber("wrappers", Facts.Wrappers);
            w.WriteNumber("annotated_sites", Facts.AnnotatedSites);
            w.WriteString("record_format", Facts.RecordFormat);
            w.WriteString("section", Facts.Section);
            w.WriteString("format_description", Facts.FormatDescription);
            w.WriteString("format_source", Facts.FormatSource);
            w.WriteStrings("files", Facts.Files);
            w.WriteObjects("diagnostics", Facts.Diagnostics, WriteDiagnostic);
        });
        writer.WriteEndObject();
    }

    private static void WriteDiagnostic(Utf8JsonWriter w, Diagnostic diagnostic)
    {
        w.WriteString("id", diagnostic.Id);
        w.WriteString("severity", diagnostic.Severity.ToString());
        w.WriteString("message", diagnostic.Message);
        if (diagnostic.Location is { } location)
        {
            w.WriteString("file", location.File);
            w.WriteNumber("line", location.Line);
            w.WriteNumber("column", location.Column);
        }
    }

    private static void WriteFiles(Utf8JsonWriter writer, string name, IReadOnlyList<StampedFile> files) =>
        writer.WriteObjects(name, files, (w, file) =>
        {
            w.WriteString("path", file.Path);
            w.WriteNumber("size", file.Size);
            w.WriteString("hash", file.Hash);
        });

    private static List<StampedFile> ReadFiles(JsonElement files) =>
        [.. files.EnumerateArray().Select(f => new StampedFile(f.GetProperty("path").GetString()!, f.GetProperty("size").GetInt64(), f.GetProperty("hash").GetString()!))];

    private static Diagnostic ReadDiagnostic(JsonElement d) => new(
        d.GetProperty("id").GetString()!,
        Enum.Parse<Severity>(d.GetProperty("severity").GetString()!),
        d.GetProperty("message").GetString()!,
        d.TryGetProperty("file", out var file) ? new SourceLocation(file.GetString()!, d.GetProperty("line").GetInt32(), d.GetProperty("column").GetInt32()) : null);
}
