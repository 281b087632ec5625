using PvGen.Binary.Annotating;
using PvGen.Generation;
using PvGen.Model;

namespace PvGen.Proving;

/// <summary>
/// One record format as the proof uses it: the macro style's record template that emits it, the symbols the linker
/// script brackets the section with (the kernel's vmlinux.lds.S names), and where the patcher finds each field.
/// </summary>
/// <param name="MacroLayout">The generate setting (record_layout) whose template emits this format in macro style.</param>
/// <param name="Minimum">Bytes of a record the patcher reads (a last record may be shorter than the stride).</param>
public sealed record ProveFormat(RecordFormat Format, string MacroLayout, string StartSymbol, string StopSymbol, bool Relative, int TypeAt, int LengthAt, int Minimum)
{
    public string Name => Format.Name;

    public static readonly ProveFormat Para8 = new(RecordFormat.Para8, "i386", "__parainstructions", "__parainstructions_end", false, 4, 5, 6);
    public static readonly ProveFormat Para16 = new(RecordFormat.Para16, "x86_64", "__parainstructions", "__parainstructions_end", false, 8, 9, 10);
    public static readonly ProveFormat Para6 = new(RecordFormat.Para6, "packed", "__parainstructions", "__parainstructions_end", true, 4, 5, 6);

    /// <summary>Every format the target's kernels used for pv sites, the target's default first.</summary>
    public static IReadOnlyList<ProveFormat> For(Target target) => target.PointerSize == 8 ? [Para16, Para6] : [Para8, Para6];

    public static ProveFormat? Find(string name, Target target) => For(target).FirstOrDefault(f => f.Name == name);

    /// <summary>Every format name any target supports (for option validation).</summary>
    public static IReadOnlyList<string> Names => [.. new[] { Para16, Para8, Para6 }.Select(f => f.Name)];

    public ModelNode ToNode() => new ModelNode()
        .Add("name", Name)
        .Add("kind", Format.IsParaInstructions ? "para" : "alt")
        .Add("section", Format.Section)
        .Add("stride", Format.Stride)
        .Add("alignment", Format.Alignment)
        .Add("start", StartSymbol)
        .Add("stop", StopSymbol)
        .Add("relative", Relative)
        .Add("type_at", TypeAt)
        .Add("length_at", LengthAt)
        .Add("minimum", Minimum);
}
