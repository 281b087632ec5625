using PvGen.Model;

namespace PvGen.Binary;

/// <summary>What to look for and how to name it.</summary>
public sealed record ScanOptions
{
    public const string DefaultSymbol = "pv_ops";

    /// <summary>The ops table's symbol: relocations against it are the sites.</summary>
    public string Symbol { get; init; } = DefaultSymbol;

    /// <summary>When set, sites are named by op (slot offset to op path) and the object's pointer size must match.</summary>
    public OpsModel? Model { get; init; }

    /// <summary>The .parainstructions record layout; Auto detects it per object.</summary>
    public ParaInstructionsFormat AnnotationFormat { get; init; } = ParaInstructionsFormat.Auto;

    /// <summary>
    /// Skip the full ELF read for objects whose bytes never contain the symbol's name or ".parainstructions"
    /// (fewer than 3% of a distribution kernel's modules mention pv_ops). Off only to prove it changes nothing.
    /// </summary>
    public bool SkipObjectsWithoutSymbol { get; init; } = true;

    /// <summary>Upper bound on instructions walked when following a loaded register (keeps pathological functions linear).</summary>
    public int MaxFollowInstructions { get; init; } = 4096;

    /// <summary>The options a model implies: its table symbol (else pv_ops) and its op names.</summary>
    public static ScanOptions ForModel(OpsModel? model, string? symbol = null) => new()
    {
        Model = model,
        Symbol = symbol ?? model?.TableSymbol ?? DefaultSymbol,
    };
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
