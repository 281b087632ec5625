using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.X86;

namespace PvGen.Checking.Annotations;

/// <summary>What a record for one slot must say, from the model and its configuration.</summary>
/// <param name="Jump">The op is reached by jmp (iret), so its site is an indirect jump.</param>
/// <param name="NativeLength">Bytes of the op's native replacement, when configured.</param>
/// <param name="ClobberMask">The CLBR_* mask a record must carry, or null when it is not checked.</param>
/// <param name="Annotated">False when the op is a plain call by design (macro style's fallback), so its sites carry no record.</param>
/// <param name="Native">The configured native bytes ("9c 58"), which a native alternative at the op's sites must equal.</param>
/// <param name="ClobberSource">Where <paramref name="ClobberMask"/> comes from, for a finding ("the op is configured to clobber 0x1").</param>
public sealed record ExpectedOp(string Path, int Slot, bool Jump, int? NativeLength, int? ClobberMask, bool Annotated = true, string? Native = null, string? ClobberSource = null);

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
            expected[op.Slot] = new ExpectedOp(op.Path, op.Slot, op.Jump, op.NativeLength, clobbers ? op.ClobberMask : null, everyOpAnnotated || op.Annotated, op.Native,
                clobbers ? $"the op is configured to clobber 0x{op.ClobberMask:x}" : null);
        }

        return expected;
    }

    /// <summary>
    /// For objects built by anyone (`check --object`, `diff`): the generator's plan of the model with its configuration and
    /// generate settings (the clobber era). Bad "native" bytes or clobber names are configuration errors (exit 2), located at their op.
    /// Every op's clobber mask is checked: the configured one where pvgen.json names clobbers, else the one the kernel's own
    /// macros record (<see cref="ClobberMasks.KernelDefault"/>), so a record claiming 0 or 0xffff never passes unnoticed.
    /// </summary>
    public static IReadOnlyDictionary<int, ExpectedOp> From(OpsModel model, OpsConfig? config, GenerateSettings? settings = null)
    {
        var plan = TemplateModelBuilder.Build(new GenerationRequest { Model = model, Config = config, Settings = settings ?? new GenerateSettings(), Include = "-", Invocation = "-" }, []);
        var configured = new HashSet<string>(model.Ops.Where(o => config?.ForOp(o.Path)?.Clobbers is not null).Select(o => o.Path), StringComparer.Ordinal);
        var expected = new Dictionary<int, ExpectedOp>();
        foreach (var (op, manifest) in plan.Ops.Select(p => (p.Op, GenerationManifest.Op(p))))
        {
            var entry = From([manifest], checkClobbers: false, configured, everyOpAnnotated: true)[manifest.Slot];
            expected[manifest.Slot] = entry.ClobberMask is not null ? entry : entry with
            {
                ClobberMask = ClobberMasks.KernelDefault(op.CalleeSave, model.Target.PointerSize, plan.ClobberEra),
                // pvgen annotate records a callee-save op's plain calls with CLBR_RET_REG too, so one mask holds for every site.
                ClobberSource = ClobberMasks.DescribeKernelDefault(op.CalleeSave, model.Target.PointerSize, plan.ClobberEra)
                    + "; set \"clobbers\" for it in pvgen.json where these objects follow other conventions",
            };
        }

        return expected;
    }
}
