using PvGen.Generation;
using PvGen.Model;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Proving;

/// <summary>
/// One record format as the proof uses it: the symbols the linker script brackets its section with (the kernel's
/// vmlinux.lds.S names), and where the patcher finds each field (from the format's own field table, PvGen.X86).
/// </summary>
public sealed record ProveFormat(RecordFormat Format, string StartSymbol, string StopSymbol)
{
    public string Name => Format.Name;

    public bool IsAlt => Format.Family == RecordFamily.AltInstructions;

    /// <summary>Every format the target's kernels used for pv sites, the target's default first: .parainstructions up to 6.7, alt14 from 6.8.</summary>
    public static IReadOnlyList<ProveFormat> For(Target target) =>
        [.. (target.PointerSize == 8
            ? new[] { RecordFormats.Para16, RecordFormats.Para6, RecordFormats.Alt14 }
            : [RecordFormats.Para8, RecordFormats.Para6, RecordFormats.Alt14]).Select(Of)];

    /// <summary>
    /// Every format name some target supports (for option validation): those that can mark a pv site, since the patcher
    /// follows what the kernel did with each (the .parainstructions walk, alt_replace_call() for DIRECT_CALL); alt12 and
    /// alt13 entries have no DIRECT_CALL flag, so no kernel patched a pv call from them and there is nothing to prove.
    /// </summary>
    public static IReadOnlyList<string> Names => RecordFormats.GeneratableNames;

    public static ProveFormat Of(RecordFormat format) => format.Family == RecordFamily.ParaInstructions
        ? new ProveFormat(format, "__parainstructions", "__parainstructions_end")
        : new ProveFormat(format, "__alt_instructions", "__alt_instructions_end");

    private int Offset(string field) => Format.Fields.First(f => f.Name == field).Offset;

    public ModelNode ToNode()
    {
        var node = new ModelNode()
            .Add("name", Name)
            .Add("kind", IsAlt ? "alt" : "para")
            .Add("section", Format.Section)
            .Add("stride", Format.Stride)
            .Add("alignment", 8)
            .Add("start", StartSymbol)
            .Add("stop", StopSymbol)
            .Add("minimum", Format.MinimumLength)
            .Add("relative", Format.Fields[0].Relocation == FieldRelocation.PcRelative32);
        if (IsAlt)
        {
            node.Add("repl_at", Offset("repl_offset"))
                .Add("flags_at", Offset("ft_flags"))
                .Add("instrlen_at", Offset("instrlen"))
                .Add("repllen_at", Offset("replacementlen"))
                .Add("flags_shift", Alternatives.FlagsShift)
                .Add("direct_call_flag", (int)AltFlags.DirectCall)
                .Add("not_flag", (int)AltFlags.Not)
                .Add("feature_xenpv", Alternatives.FeatureXenPv)
                .Add("direct_call_symbol", Alternatives.DefaultDirectCallSymbol);
        }
        else
        {
            node.Add("type_at", Offset("type")).Add("length_at", Offset("len"));
        }

        return node;
    }
}
