using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace PvGen.Model.Config;

/// <summary>
/// Per-op settings in pvgen.json, keyed by an op path or a glob over paths ("irq.*");
/// an exact path beats a pattern, and a longer pattern beats a shorter one.
/// </summary>
public sealed record OpConfig
{
    /// <summary>C signature for callee-save ops, e.g. "unsigned long (void)" or "void (unsigned long flags)".</summary>
    public string? Signature { get; init; }

    /// <summary>Wrapper name override (default: prefix + path with dots as underscores).</summary>
    public string? Name { get; init; }

    /// <summary>Registers the site may clobber, e.g. ["rax"] or "any" (later stages).</summary>
    public IReadOnlyList<string>? Clobbers { get; init; }

    public bool? Skip { get; init; }

    /// <summary>Reached with jmp, not call (iret, sysexit).</summary>
    public bool? Jump { get; init; }

    /// <summary>Native replacement bytes in hex, e.g. "9c 58" (used to check patch room).</summary>
    public string? Native { get; init; }

    // Written by `pvgen import` from a kernel's paravirt.h; informational for the other stages.

    /// <summary>The kernel's inline wrapper that calls the op, e.g. "write_cr3".</summary>
    public string? Wrapper { get; init; }

    /// <summary>The wrapper's C type with parameter names, e.g. "void (unsigned long x)".</summary>
    public string? WrapperSignature { get; init; }

    /// <summary>The op is called through the callee-save convention (the header's paravirt_callee_save member).</summary>
    public bool? CalleeSave { get; init; }

    /// <summary>The native alternative as assembler text, e.g. "pushf; pop %rax;" ("native" holds its bytes).</summary>
    public string? NativeAsm { get; init; }

    /// <summary>When the native alternative replaces the call, as the kernel writes it, e.g. "ALT_NOT(X86_FEATURE_XENPV)".</summary>
    public string? Condition { get; init; }
}

/// <summary>Every input option of pvgen, declared once; the command line overrides each one.</summary>
public sealed record PvGenConfig
{
    public string? Header { get; init; }
    public string? Struct { get; init; }
    public string? Symbol { get; init; }
    public string? Target { get; init; }
    public IReadOnlyList<string>? IncludeDirs { get; init; }
    public IReadOnlyList<string>? Defines { get; init; }
    public IReadOnlyList<string>? Includes { get; init; }
    public string? Std { get; init; }
    public string? KernelTree { get; init; }
    public string? KernelBuild { get; init; }
    public string? ResourceDir { get; init; }

    /// <summary>The wrapper struct whose members are callee-save ops (Linux: paravirt_callee_save).</summary>
    public string? CalleeSaveType { get; init; }

    public IReadOnlyDictionary<string, OpConfig>? Ops { get; init; }

    /// <summary>Settings of later stages (generate, check, diff), kept as raw JSON for them to bind.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>The directory relative paths in the file are resolved against.</summary>
    [JsonIgnore]
    public string BaseDirectory { get; init; } = ".";

    [JsonIgnore]
    public string? SourcePath { get; init; }

    public static PvGenConfig Load(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(new Diagnostic(DiagnosticIds.FileNotFound, Severity.Error, $"cannot read config: {e.Message}", new SourceLocation(path, 1, 1)));
        }

        try
        {
            var config = JsonSerializer.Deserialize(text, (JsonTypeInfo<PvGenConfig>)ConfigJsonContext.Default.Options.GetTypeInfo(typeof(PvGenConfig)))
                ?? new PvGenConfig();
            return config with { BaseDirectory = System.IO.Path.GetDirectoryName(full)!, SourcePath = path };
        }
        catch (JsonException e)
        {
            var where = new SourceLocation(path, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1);
            string message = e.Message;
            int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }

            throw new ConfigException(new Diagnostic(DiagnosticIds.BadConfig, Severity.Error, message, where));
        }
    }

    /// <summary>Resolves a path from the file against its directory.</summary>
    public string Resolve(string path) => System.IO.Path.GetFullPath(path, BaseDirectory);

    /// <summary>The settings for one op: the exact path first, else the most specific matching glob.</summary>
    public OpConfig? ForOp(string opPath)
    {
        if (Ops is null)
        {
            return null;
        }

        if (Ops.TryGetValue(opPath, out var exact))
        {
            return exact;
        }

        OpConfig? best = null;
        int bestLength = -1;
        foreach (var (pattern, config) in Ops)
        {
            if (IsPattern(pattern) && pattern.Length > bestLength && System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern, opPath, ignoreCase: false))
            {
                best = config;
                bestLength = pattern.Length;
            }
        }

        return best;
    }

    public static bool IsPattern(string key) => key.IndexOfAny(['*', '?']) >= 0;
}

/// <summary>The "native" bytes of pvgen.json ("9c 58" or "9c,58"), parsed in one place for every stage.</summary>
public static class NativeBytes
{
    /// <summary>Lower-case bytes separated by single spaces, or null when the text is not hex bytes.</summary>
    public static string? Normalise(string hex)
    {
        var parts = hex.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => p.Length != 2 || !p.All(char.IsAsciiHexDigit)))
        {
            return null;
        }

        return string.Join(' ', parts.Select(p => p.ToLowerInvariant()));
    }
}

public sealed class ConfigException(Diagnostic diagnostic) : Exception(diagnostic.ToString())
{
    public Diagnostic Diagnostic { get; } = diagnostic;
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(PvGenConfig))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;
