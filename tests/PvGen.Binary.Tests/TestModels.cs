using PvGen.Model;

namespace PvGen.Binary.Tests;

/// <summary>Models matching the C structs compiled in the tests.</summary>
public static class TestModels
{
    /// <summary>The miniature pv_ops of <see cref="GccSiteTests"/>: patch, irq.{save_fl, irq_disable, irq_enable}, mmu.{read_cr2, write_cr3, flush}.</summary>
    public static OpsModel MiniPvOps(Target target)
    {
        string[] paths = ["patch", "irq.save_fl", "irq.irq_disable", "irq.irq_enable", "mmu.read_cr2", "mmu.write_cr3", "mmu.flush"];
        var location = new SourceLocation("mini.h", 1, 1);
        var ops = paths.Select((path, slot) => new Op(
            path, path.Split('.')[^1], (long)slot * target.PointerSize, slot, "void (*)(void)", CType.Void, EquatableArray<Param>.Empty,
            CalleeSave: false, SignatureKnown: true, location, Comment: null));
        return new OpsModel(OpsModel.SchemaId, "paravirt_patch_template", "pv_ops", target, paths.Length * target.PointerSize,
            ops.ToEquatableArray(), EquatableArray<DataMember>.Empty, location);
    }
}
