using PvGen.Model;
using PvGen.X86.Records;

namespace PvGen.Binary;

/// <summary>What to look for and how to name it.</summary>
public sealed record ScanOptions
{
    public const string DefaultSymbol = "pv_ops";

    /// <summary>The ops table's symbol: relocations against it are the sites.</summary>
    public string Symbol { get; init; } = DefaultSymbol;

    /// <summary>
    /// Split tables (Linux 2.6.23 to 4.19: pv_cpu_ops, pv_irq_ops, ... instead of one pv_ops): every group variable
    /// and the template offset its address stands for, so a reference to pv_irq_ops+8 is template offset
    /// base(pv_irq_ops)+8 and its slot is the record's type. Null for a single table.
    /// </summary>
    public IReadOnlyDictionary<string, long>? GroupSymbols { get; init; }

    /// <summary>Every symbol whose relocations are sites, with the table offset of its address.</summary>
    public IReadOnlyDictionary<string, long> Symbols => GroupSymbols ?? new Dictionary<string, long>(StringComparer.Ordinal) { [Symbol] = 0 };

    /// <summary>When set, sites are named by op (slot offset to op path) and the object's pointer size must match.</summary>
    public OpsModel? Model { get; init; }

    /// <summary>The record layout of the pv record section (a para* or alt* format); null detects it per object and section.</summary>
    public RecordFormat? AnnotationFormat { get; init; }

    /// <summary>
    /// The section the records of <see cref="AnnotationFormat"/>'s family (.parainstructions or .altinstructions) are read
    /// from when they were generated into another one (pvgen.json generate.section, as the manifest says); null: the
    /// format's own section.
    /// </summary>
    public string? RecordSection { get; init; }

    /// <summary>The section to read records of <paramref name="family"/> from instead of their own; null for their own.</summary>
    public string? MovedSection(RecordFamily family) => AnnotationFormat?.Family == family ? RecordSection : null;

    /// <summary>
    /// Skip the full ELF read for objects whose bytes never contain the symbol's name or ".parainstructions"
    /// (fewer than 3% of a distribution kernel's modules mention pv_ops). Off only to prove it changes nothing.
    /// </summary>
    public bool SkipObjectsWithoutSymbol { get; init; } = true;

    /// <summary>Where sites come from: relocations, or (linked objects only) decoded operands; Auto uses operands only where the code has no relocations.</summary>
    public SiteDiscovery SiteDiscovery { get; init; } = SiteDiscovery.Auto;

    /// <summary>Upper bound on instructions walked when following a loaded register (keeps pathological functions linear).</summary>
    public int MaxFollowInstructions { get; init; } = 4096;

    /// <summary>
    /// The options a model implies: its table symbol (else pv_ops) and its op names. A model without a table
    /// symbol whose ops all sit in groups is a split table: each group is its own variable, named as the group.
    /// </summary>
    public static ScanOptions ForModel(OpsModel? model, string? symbol = null)
    {
        if (symbol is null && model is { TableSymbol: null, Ops.Count: > 0 } && model.Ops.All(o => o.Path.Contains('.')))
        {
            // A group's base is its first op's offset: pv_*_ops groups hold only function pointers.
            var groups = model.Ops
                .GroupBy(o => o.Path[..o.Path.IndexOf('.')], StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Min(o => o.Offset), StringComparer.Ordinal);
            return new ScanOptions { Model = model, Symbol = string.Join(",", groups.Keys), GroupSymbols = groups };
        }

        return new ScanOptions { Model = model, Symbol = symbol ?? model?.TableSymbol ?? DefaultSymbol };
    }
}

/// <summary>How the scanner finds sites (see <see cref="SiteSource"/>).</summary>
public enum SiteDiscovery
{
    /// <summary>Relocations where the code has them; decoded operands in a linked object whose code has none (a 6.5+ vmlinux).</summary>
    Auto,

    /// <summary>Relocations only: a linked object without them has no sites (what survives a link is the question).</summary>
    Relocations,

    /// <summary>Decoded operands in linked objects even when relocations are there (to compare both on a 6.1 vmlinux).</summary>
    Operands,
}

/// <summary>Slot offset to op path, from the model.</summary>
internal sealed class OpNames
{
    private readonly Dictionary<long, string> byOffset = [];

    public OpNames(OpsModel? model)
    {
        PointerSize = model?.Target.PointerSize;
        foreach (var op in model?.Ops ?? EquatableArray<Op>.Empty)
        {
            byOffset.TryAdd(op.Offset, op.Path);
        }
    }

    public int? PointerSize { get; }

    public string? Find(long targetOffset) => byOffset.GetValueOrDefault(targetOffset);
}
