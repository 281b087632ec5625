using PvGen.Checking.Toolchain;
using PvGen.Checking.TypeSafety;
using PvGen.Clang;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Checking.Tests;

/// <summary>
/// The type-safety prover on hand-written wrapper headers for the toy table: a correct one
/// passes with every compiler, and each kind of broken wrapper is caught as exactly that.
/// </summary>
public sealed class TypeSafetyTests
{
    private const string GoodWrappers = """
        #include "TOY"
        static inline unsigned long pv_irq_save_fl(void) { return toy_ops.irq.save_fl(); }
        static inline void pv_irq_restore_fl(unsigned long flags) { toy_ops.irq.restore_fl(flags); }
        static inline void pv_irq_irq_disable(void) { toy_ops.irq.irq_disable(); }
        static inline void pv_irq_irq_enable(void) { toy_ops.irq.irq_enable(); }
        static inline void pv_mmu_write_cr3(unsigned long val) { toy_ops.mmu.write_cr3(val); }
        static inline void pv_mmu_set_pte(pte_t *ptep, pte_t pte) { toy_ops.mmu.set_pte(ptep, pte); }
        static inline void pv_mmu_flush_tlb_one(unsigned long addr) { toy_ops.mmu.flush_tlb_one(addr); }
        static inline u64 pv_read_tsc(void) { return toy_ops.read_tsc(); }
        """;

    public static IEnumerable<object[]> CompilersAndTargets() =>
        from cc in CompilerDriver.Discover() from target in Examples.Targets select new object[] { cc.Path, target };

    [Theory]
    [MemberData(nameof(CompilersAndTargets))]
    public void CorrectWrappersAreTypeSafe(string compilerPath, string target)
    {
        var report = Check(GoodWrappers, compilerPath, target);

        Assert.Empty(report.Unexpected);
        Assert.All(report.Ops, op => Assert.True(op.TypeSafe, $"{op.OpPath}: {string.Join("; ", op.Problems)}"));
        Assert.Equal(8, report.TypeSafeCount);
        // Per op: one struct-by-value probe per parameter, a pointer-for-integer probe per integer
        // parameter, a wrong-pointer probe per typed pointer, a missing-argument probe when it has
        // parameters, and an extra-argument probe. Toy: 5 parameters (3 integers, a pte_t, a pte_t *), 4 ops with parameters.
        Assert.Equal(5 + 3 + 1 + 4 + 8, report.Ops.Sum(o => o.Probes));
    }

    [Theory]
    [MemberData(nameof(CompilersAndTargets))]
    public void WrapperWithAWrongParameterTypeIsCaught(string compilerPath, string target)
    {
        string broken = GoodWrappers
            .Replace("pv_mmu_write_cr3(unsigned long val)", "pv_mmu_write_cr3(long val)", StringComparison.Ordinal)
            .Replace("pv_mmu_set_pte(pte_t *ptep, pte_t pte)", "pv_mmu_set_pte(void *ptep, pte_t pte)", StringComparison.Ordinal);

        var report = Check(broken, compilerPath, target);

        var unsafeOps = report.Ops.Where(o => !o.TypeSafe).ToDictionary(o => o.OpPath);
        Assert.Equal(["mmu.set_pte", "mmu.write_cr3"], unsafeOps.Keys.Order());
        Assert.False(unsafeOps["mmu.write_cr3"].Compatible);
        Assert.Contains(unsafeOps["mmu.set_pte"].Problems, p => p.StartsWith("accepted pv_mmu_set_pte((struct pvgen_probe_wrong *)0", StringComparison.Ordinal));
        Assert.Equal(6, report.TypeSafeCount);
    }

    [Fact]
    public void WrapperThatTakesAnIntegerForAPointerIsCaughtByTheIntegerProbe()
    {
        string broken = GoodWrappers.Replace(
            "pv_irq_restore_fl(unsigned long flags) { toy_ops.irq.restore_fl(flags); }",
            "pv_irq_restore_fl(void *flags) { toy_ops.irq.restore_fl((unsigned long)flags); }",
            StringComparison.Ordinal);

        var report = Check(broken, "gcc", "x86_64");

        var restore = Assert.Single(report.Ops, o => !o.TypeSafe);
        Assert.Equal("irq.restore_fl", restore.OpPath);
        Assert.Contains(restore.Problems, p => p.Contains("a pointer as integer", StringComparison.Ordinal));
    }

    private static TypeSafetyReport Check(string wrappers, string compilerPath, string target)
    {
        var parsed = HeaderParser.Parse(Examples.ParseRequest("toy", target) with { Config = null });
        Assert.True(parsed.Succeeded);
        string dir = Repo.TempDir("typesafety");
        string header = Path.Combine(dir, "toy_wrappers.h");
        File.WriteAllText(header, wrappers.Replace("TOY", Examples.Header("toy"), StringComparison.Ordinal));
        var names = parsed.Model!.Ops.ToDictionary(o => o.Path, o => "pv_" + o.Path.Replace('.', '_'));
        var compiler = CompilerDriver.Discover([compilerPath]).Single();
        return TypeSafetyChecker.Check(parsed.Model, names, header, compiler, new BuildFlavour(parsed.Model.Target, "O0"), dir);
    }
}
