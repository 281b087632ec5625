using PvGen.Model;
using Xunit;

namespace PvGen.Binary.Tests;

/// <summary>
/// Split tables (Linux 2.6.23 to 4.19): sites call through pv_cpu_ops, pv_irq_ops, ... and the scan must re-base
/// each reference to the template's offset so its slot is the record type the kernel used.
/// </summary>
public sealed class SplitTableTests
{
    private const string Source = """
        struct pv_cpu_ops { void (*io_delay)(void); void (*wbinvd)(void); };
        struct pv_irq_ops { unsigned long (*save_fl)(void); void (*irq_disable)(void); };
        extern struct pv_cpu_ops pv_cpu_ops;
        extern struct pv_irq_ops pv_irq_ops;
        void delay_then_disable(void) { pv_cpu_ops.wbinvd(); pv_irq_ops.irq_disable(); }
        unsigned long flags(void) { return pv_irq_ops.save_fl() + 1; }
        """;

    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void GroupReferencesAreRebasedToTemplateSlots(string arch)
    {
        var target = Target.FromName(arch)!;
        string obj = Build.Compile("split.c", Source, Build.KernelFlags(arch));
        var model = Template(target);
        var options = ScanOptions.ForModel(model);

        var scanned = Build.ScanOne(obj, options);

        Assert.Equal(new Dictionary<string, long> { ["pv_cpu_ops"] = 0, ["pv_irq_ops"] = 2L * target.PointerSize }, options.GroupSymbols);
        Assert.Equal(
            [("pv_cpu_ops.wbinvd", 1), ("pv_irq_ops.irq_disable", 3), ("pv_irq_ops.save_fl", 2)],
            scanned.Sites.Select(s => (s.Op!, s.Slot!.Value)));
        Assert.All(scanned.Sites, s => Assert.Equal((long)s.Slot!.Value * target.PointerSize, s.TargetOffset));
    }

    [Fact]
    public void AModelWithATableSymbolScansOnlyThatSymbol()
    {
        var model = Template(Target.X86_64) with { TableSymbol = "pv_ops" };

        var options = ScanOptions.ForModel(model);

        Assert.Null(options.GroupSymbols);
        Assert.Equal(["pv_ops"], options.Symbols.Keys);
    }

    /// <summary>struct paravirt_patch_template { struct pv_cpu_ops pv_cpu_ops; struct pv_irq_ops pv_irq_ops; }: no single symbol.</summary>
    private static OpsModel Template(Target target)
    {
        string[] paths = ["pv_cpu_ops.io_delay", "pv_cpu_ops.wbinvd", "pv_irq_ops.save_fl", "pv_irq_ops.irq_disable"];
        var location = new SourceLocation("split.h", 1, 1);
        var ops = paths.Select((path, slot) => new Op(path, path.Split('.')[^1], (long)slot * target.PointerSize, slot, "void (*)(void)",
            CType.Void, EquatableArray<Param>.Empty, CalleeSave: false, SignatureKnown: true, location, Comment: null));
        return new OpsModel(OpsModel.SchemaId, "paravirt_patch_template", null, target, paths.Length * target.PointerSize,
            ops.ToEquatableArray(), EquatableArray<DataMember>.Empty, location);
    }
}
