using PvGen.Model;

namespace PvGen.Generation;

/// <summary>
/// A named set of templates for the annotated style: which template renders it, under which style name (and so which
/// file, BASE_STYLE.h) it is written, and the limits of its record. The plain and C# styles are the same in every set.
/// </summary>
/// <param name="AnnotatedStyle">The style name the set's annotated header is written and checked under.</param>
/// <param name="MaxSlot">The largest slot its record can carry, or null for the record format's own limit.</param>
public sealed record TemplateSet(string Name, string AnnotatedStyle, string Template, int? MaxSlot, string Description);

/// <summary>Every template set by name (the option table's --template-set choices name these).</summary>
public static class TemplateSets
{
    public const string DefaultName = "default";

    public static readonly TemplateSet Default = new(DefaultName, "macro", "macro/header.sbn-c", null,
        "PVOP-like macro style: the indirect call in inline asm, recorded in the chosen record format");

    public static readonly TemplateSet Vmi = new("vmi", "vmi", "vmi/header.sbn-c", ushort.MaxValue,
        "VMI style (2.6.21 vmi_wrap_call): the native bytes in place as the default where configured, else the call; every site recorded in vmi24 with its input and output registers and clobbers");

    public static readonly IReadOnlyList<TemplateSet> All = [Default, Vmi];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(s => s.Name)];

    /// <summary>A set by name (null: the default); the option table has already checked the name.</summary>
    public static TemplateSet Find(string? name) => All.FirstOrDefault(s => s.Name == (name ?? DefaultName))
        ?? throw PvGenException.Error(DiagnosticIds.BadOption, $"unknown template set '{name}'; use one of: {string.Join(", ", Names)}");

    /// <summary>The styles a request asks for with the set applied: "macro" becomes the set's annotated style.</summary>
    public static IReadOnlyList<string> Apply(TemplateSet set, IReadOnlyList<string> styles) =>
        [.. styles.Select(s => s == "macro" ? set.AnnotatedStyle : s).Distinct()];
}
