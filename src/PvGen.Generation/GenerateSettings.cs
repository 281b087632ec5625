using PvGen.Model;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Generation;

/// <summary>
/// Generation-wide choices (the "generate" section of pvgen.json or the matching options), already checked against
/// the option table's choices by the project resolver. Null means the default.
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

    /// <summary>Which CLBR_* generation the clobber masks follow: "2.6.20" (i386 any = 0x7) or "2.6.25" (i386 any = 0xf). Default: the kernel tree's, else 2.6.25.</summary>
    public string? ClobberEra { get; init; }

    /// <summary>alt14: the symbol of the DIRECT_CALL entry's replacement <c>call</c> (default the kernel's BUG_func).</summary>
    public string? DirectCallSymbol { get; init; }

    /// <summary>alt14: the condition of an op's native alternative, a name (ALT_NOT_XEN, the default) or an ft_flags number.</summary>
    public string? NativeCondition { get; init; }

    /// <summary>Section that receives the site records (default ".parainstructions").</summary>
    public string? Section { get; init; }

    /// <summary>x86-64 site instruction: "rip" (ff 15 rel32, 6 bytes, default) or "abs" (ff 14 25 abs32, 7 bytes).</summary>
    public string? CallForm { get; init; }

    /// <summary>Member of the callee-save wrapper struct that holds the function (default "func").</summary>
    public string? CalleeSaveField { get; init; }

    /// <summary>Which template set renders the annotated style: "default" (PVOP-like macro style) or "vmi" (<see cref="TemplateSets"/>).</summary>
    public string? TemplateSet { get; init; }

    /// <summary>Emit "extern struct S sym;" (default: only when the ops header does not declare it).</summary>
    public bool? DeclareTable { get; init; }

    /// <summary>Where each setting was given, for diagnostics that are only found while planning (null: the command line).</summary>
    public IReadOnlyDictionary<string, SourceLocation> Locations { get; init; } = new Dictionary<string, SourceLocation>();

    /// <summary>Why a prefix, base name or section cannot be used, or null: the checks the option table's types cannot make.</summary>
    public static string? ProblemWithPrefix(string prefix) => CNames.IsIdentifierOrEmpty(prefix) ? null : $"'{prefix}' is not a C identifier prefix";

    public static string? ProblemWithBaseName(string name) =>
        name.Length == 0 || name.IndexOfAny(['/', '\\']) >= 0 || name is "." or ".." ? $"'{name}' must be a plain file name" : null;

    /// <summary>A symbol for the DIRECT_CALL replacement's call, and a native condition: the checks the option table's types cannot make.</summary>
    public static string? ProblemWithDirectCallSymbol(string name) => CNames.IsIdentifier(name) ? null : $"'{name}' is not a symbol name";

    public static string? ProblemWithNativeCondition(string text) => Alternatives.ParseCondition(text) is null
        ? $"'{text}' is neither a number nor one of: {string.Join(", ", Alternatives.Conditions.Keys)}"
        : null;

    /// <summary>A section name the assembler takes in <c>.pushsection NAME,"a"</c>: no quotes, commas or blanks.</summary>
    public static string? ProblemWithSection(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '$')
            ? null
            : $"'{name}' is not a section name the assembler accepts (letters, digits, '.', '_', '$')";
}
