using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.Config;

namespace PvGen.Checking.Annotations;

/// <summary>What a record for one slot must say, from the model and its configuration.</summary>
/// <param name="Jump">The op is reached by jmp (iret), so its site is an indirect jump.</param>
/// <param name="NativeLength">Bytes of the op's native replacement, when configured.</param>
/// <param name="ClobberMask">The CLBR_* mask a record must carry, or null when it is not checked.</param>
/// <param name="Annotated">False when the op is a plain call by design (macro style's fallback), so its sites carry no record.</param>
/// <param name="Native">The configured native bytes ("9c 58"), which a native alternative at the op's sites must equal.</param>
public sealed record ExpectedOp(string Path, int Slot, bool Jump, int? NativeLength, int? ClobberMask, bool Annotated = true, string? Native = null);

public static class ExpectedOps
{
    /// <summary>Per slot, what the generator's plan says each op's records must carry: one derivation for generated output and for anyone's objects.</summary>
    /// <param name="checkClobbers">Whether clobber masks are checked (for objects built by others: only where pvgen.json names them).</param>
    /// <param name="everyOpAnnotated">Objects built by others annotate every op they call (their macros are not ours, so no op is a plain call by design).</param>
    public static IReadOnlyDictionary<int, ExpectedOp> From(IEnumerable<ManifestOp> ops, bool checkClobbers, ISet<string>? configuredClobbers = null, bool everyOpAnnotated = false)
    {
        var expected = new Dictionary<int, ExpectedOp>();
        foreach (var op in ops)
        {
            bool clobbers = checkClobbers || configuredClobbers?.Contains(op.Path) == true;
            expected[op.Slot] = new ExpectedOp(op.Path, op.Slot, op.Jump, op.NativeLength, clobbers ? op.ClobberMask : null, everyOpAnnotated || op.Annotated, op.Native);
        }

        return expected;
    }

    /// <summary>
    /// For objects built by anyone (`check --object`, `diff`): the generator's plan of the model with its configuration and
    /// generate settings (the clobber era). Bad "native" bytes or clobber names are configuration errors (exit 2), located at their op.
    /// </summary>
    public static IReadOnlyDictionary<int, ExpectedOp> From(OpsModel model, OpsConfig? config, GenerateSettings? settings = null)
    {
        var plan = TemplateModelBuilder.Build(new GenerationRequest { Model = model, Config = config, Settings = settings ?? new GenerateSettings(), Include = "-", Invocation = "-" }, []);
        var configured = new HashSet<string>(model.Ops.Where(o => config?.ForOp(o.Path)?.Clobbers is not null).Select(o => o.Path), StringComparer.Ordinal);
        return From(plan.Ops.Select(GenerationManifest.Op), checkClobbers: false, configured, everyOpAnnotated: true);
    }
}
