using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using PvGen.Model;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Generation;

/// <summary>
/// The "generate" section of pvgen.json: generation-wide choices. Every key is optional; an unknown key is an error
/// (a typo must not silently fall back to a default).
/// </summary>
public sealed record GenerateSettings
{
    /// <summary>Base name of the output files (default: the struct name).</summary>
    public string? BaseName { get; init; }

    /// <summary>Wrapper name prefix (default "pv_"): wrapper = prefix + op path with dots as underscores.</summary>
    public string? Prefix { get; init; }

    /// <summary>How the generated headers include the ops header (default: its path relative to the output directory).</summary>
    public string? Include { get; init; }

    /// <summary>Record format of the site table, by its <see cref="RecordFormats"/> name ("para16", "alt14", ...). Default: by target, or by the kernel tree.</summary>
    public string? RecordFormat { get; init; }

    /// <summary>The old key for <see cref="RecordFormat"/>, with the old values ("i386", "x86_64", "packed"); still accepted.</summary>
    public string? RecordLayout { get; init; }

    /// <summary>Which CLBR_* generation the clobber masks follow: "2.6.20" (i386 any = 0x7) or "2.6.25" (i386 any = 0xf; the default).</summary>
    public string? ClobberEra { get; init; }

    /// <summary>alt14: the symbol of the DIRECT_CALL entry's replacement <c>call</c> (default the kernel's BUG_func).</summary>
    public string? DirectCallSymbol { get; init; }

    /// <summary>alt14: the condition of an op's native alternative, a name (ALT_NOT_XEN, the default) or an ft_flags number.</summary>
    public string? NativeCondition { get; init; }

    /// <summary>The format named by record_format, else by the legacy record_layout, else null.</summary>
    public string? RecordFormatName => RecordFormat ?? RecordLayout;

    /// <summary>Section that receives the site records (default ".parainstructions").</summary>
    public string? Section { get; init; }

    /// <summary>x86-64 site instruction: "rip" (ff 15 rel32, 6 bytes, default) or "abs" (ff 14 25 abs32, 7 bytes).</summary>
    public string? CallForm { get; init; }

    /// <summary>Member of the callee-save wrapper struct that holds the function (default "func").</summary>
    public string? CalleeSaveField { get; init; }

    /// <summary>Emit "extern struct S sym;" (default: only when the ops header does not declare it).</summary>
    public bool? DeclareTable { get; init; }

    /// <summary>Template override directory (the --templates option wins).</summary>
    public string? Templates { get; init; }

    public static readonly string[] Keys =
        ["base_name", "prefix", "include", "record_format", "record_layout", "clobber_era", "direct_call_symbol", "native_condition", "section", "call_form",
         "callee_save_field", "declare_table", "templates"];

    public static readonly string[] CallForms = ["rip", "abs"];

    /// <summary>Binds the raw section; <paramref name="configPath"/> is only used in messages.</summary>
    public static GenerateSettings Bind(JsonElement? section, string configPath)
    {
        if (section is not { } element)
        {
            return new GenerateSettings();
        }

        var where = new SourceLocation(configPath, 1, 1);
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new GenerationException(new Diagnostic(DiagnosticIds.BadGenerateConfig, Severity.Error, "'generate' must be an object", where));
        }

        foreach (var property in element.EnumerateObject())
        {
            if (!Keys.Contains(property.Name))
            {
                string best = Keys.OrderBy(k => EditDistance.Between(k, property.Name)).First();
                string hint = EditDistance.Between(best, property.Name) <= 3 ? $" (did you mean '{best}'?)" : $" (known keys: {string.Join(", ", Keys)})";
                throw new GenerationException(new Diagnostic(DiagnosticIds.BadGenerateConfig, Severity.Error,
                    $"unknown key 'generate.{property.Name}'{hint}", where));
            }
        }

        GenerateSettings settings;
        try
        {
            settings = element.Deserialize((JsonTypeInfo<GenerateSettings>)GenerateSettingsJsonContext.Default.Options.GetTypeInfo(typeof(GenerateSettings)))
                ?? new GenerateSettings();
        }
        catch (JsonException e)
        {
            string message = e.Message;
            int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
            throw new GenerationException(new Diagnostic(DiagnosticIds.BadGenerateConfig, Severity.Error,
                $"invalid 'generate' section: {(cut > 0 ? message[..cut] : message)}", where));
        }

        settings.Validate(where);
        return settings;
    }

    public void Validate(SourceLocation? where)
    {
        void Check(string? value, string key, string[] allowed)
        {
            if (value is not null && !allowed.Contains(value))
            {
                throw new GenerationException(new Diagnostic(DiagnosticIds.BadGenerateConfig, Severity.Error,
                    $"'generate.{key}' is '{value}'; use one of: {string.Join(", ", allowed)}", where));
            }
        }

        Check(RecordFormat, "record_format", [.. RecordFormats.AcceptedNames]);
        Check(RecordLayout, "record_layout", [.. RecordFormats.AcceptedNames]);
        Check(ClobberEra, "clobber_era", ClobberMasks.Names);
        Check(CallForm, "call_form", CallForms);
        if (RecordFormat is not null && RecordLayout is not null && RecordFormats.Find(RecordFormat) != RecordFormats.Find(RecordLayout))
        {
            throw new GenerationException(new Diagnostic(DiagnosticIds.BadGenerateConfig, Severity.Error,
                $"'generate.record_format' ({RecordFormat}) and the old 'generate.record_layout' ({RecordLayout}) disagree; keep record_format", where));
        }

        if (DirectCallSymbol is not null && !CNames.IsIdentifier(DirectCallSymbol))
        {
            throw new GenerationException(new Diagnostic(DiagnosticIds.BadGenerateConfig, Severity.Error, $"'generate.direct_call_symbol' ('{DirectCallSymbol}') is not a symbol name", where));
        }

        if (NativeCondition is not null && Alternatives.ParseCondition(NativeCondition) is null)
        {
            throw new GenerationException(new Diagnostic(DiagnosticIds.BadGenerateConfig, Severity.Error,
                $"'generate.native_condition' ('{NativeCondition}') is neither a number nor one of: {string.Join(", ", Alternatives.Conditions.Keys)}", where));
        }
        if (Prefix is not null && !CNames.IsIdentifierOrEmpty(Prefix))
        {
            throw new GenerationException(new Diagnostic(DiagnosticIds.BadGenerateConfig, Severity.Error, $"'generate.prefix' ('{Prefix}') is not a C identifier prefix", where));
        }

        if (BaseName is not null && (BaseName.Length == 0 || BaseName.IndexOfAny(['/', '\\']) >= 0))
        {
            throw new GenerationException(new Diagnostic(DiagnosticIds.BadGenerateConfig, Severity.Error, $"'generate.base_name' ('{BaseName}') must be a plain file name", where));
        }
    }
}

/// <summary>A generation problem that stops the run: one diagnostic, exit code 2, nothing written.</summary>
public sealed class GenerationException(Diagnostic diagnostic) : Exception(diagnostic.ToString())
{
    public Diagnostic Diagnostic { get; } = diagnostic;
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(GenerateSettings))]
internal sealed partial class GenerateSettingsJsonContext : JsonSerializerContext;
