using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.Config;

namespace PvGen.Checking.Annotations;

/// <summary>What a record for one slot must say, from the model and its configuration.</summary>
/// <param name="Jump">The op is reached by jmp (iret), so its site is an indirect jump.</param>
/// <param name="NativeLength">Bytes of the op's native replacement, when configured.</param>
/// <param name="ClobberMask">The CLBR_* mask a record must carry, when clobbers are configured.</param>
/// <param name="Annotated">False when the op is a plain call by design (macro style's fallback), so its sites carry no record.</param>
public sealed record ExpectedOp(string Path, int Slot, bool Jump, int? NativeLength, int? ClobberMask, bool Annotated = true);

public static class ExpectedOps
{
    /// <summary>Per slot, what the configuration says (ops without configuration expect a call and nothing else).</summary>
    public static IReadOnlyDictionary<int, ExpectedOp> From(OpsModel model, PvGenConfig? config)
    {
        var abi = CallAbi.For(model.Target);
        var expected = new Dictionary<int, ExpectedOp>();
        foreach (var op in model.Ops)
        {
            var settings = config?.ForOp(op.Path);
            int? mask = settings?.Clobbers is { } clobbers
                ? MacroBinder.ClobberSet(op, abi, clobbers).Aggregate(0, (m, r) => m | (1 << r.Bit))
                : null;
            expected[op.Slot] = new ExpectedOp(op.Path, op.Slot, settings?.Jump ?? false, NativeLength(settings?.Native), mask);
        }

        return expected;
    }

    public static int? NativeLength(string? hex) =>
        hex is null ? null : hex.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries).Length;
}
