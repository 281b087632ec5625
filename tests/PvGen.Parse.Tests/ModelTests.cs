using PvGen.Model;
using PvGen.Model.Json;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Parse.Tests;

/// <summary>What the parser must understand in each era's header, asserted on the model.</summary>
public sealed class ModelTests
{
    [Theory]
    [MemberData(nameof(Examples.AllWithTargets), MemberType = typeof(Examples))]
    public void ModelJsonMatchesTheGoldenFile(string example, string target)
    {
        var model = Parsing.Example(example, target);
        Golden.Match($"parse/{example}.{target}.json", ModelJson.Serialize(model));
    }

    [Theory]
    [MemberData(nameof(Examples.AllWithTargets), MemberType = typeof(Examples))]
    public void ModelJsonRoundTrips(string example, string target)
    {
        var model = Parsing.Example(example, target);
        Assert.Equal(model, ModelJson.Deserialize(ModelJson.Serialize(model), "model.json"));
    }

    [Fact]
    public void ToyOpsAreLeavesOfNestedGroupsInDeclarationOrder()
    {
        var model = Parsing.Example("toy", "x86_64");

        Assert.Equal(
            ["irq.save_fl", "irq.restore_fl", "irq.irq_disable", "irq.irq_enable", "mmu.write_cr3", "mmu.set_pte", "mmu.flush_tlb_one", "read_tsc"],
            model.Ops.Select(o => o.Path));
        Assert.Equal(Enumerable.Range(0, 8), model.Ops.Select(o => o.Slot));
        Assert.Equal("toy_ops", model.TableSymbol);
        Assert.Equal(64, model.StructSize);
    }

    [Fact]
    public void TypedefdFunctionPointerKeepsItsSpellingAndParameterNames()
    {
        var flush = Parsing.Example("toy", "x86_64").Ops.Single(o => o.Path == "mmu.flush_tlb_one");

        Assert.Equal("toy_flush_fn", flush.MemberType);
        Assert.Equal("addr", Assert.Single(flush.Params).Name);
        Assert.Equal(TypeKind.UnsignedInteger, flush.Params[0].Type.Kind);
    }

    [Fact]
    public void StructByValueAndSixtyFourBitTypesAreSizedForTheTarget()
    {
        var toy32 = Parsing.Example("toy", "i386");
        var setPte = toy32.Ops.Single(o => o.Path == "mmu.set_pte");
        var readTsc = toy32.Ops.Single(o => o.Path == "read_tsc");

        Assert.Equal(new CType("pte_t *", "pte_t *", TypeKind.Pointer, 4), setPte.Params[0].Type);
        Assert.Equal(TypeKind.Struct, setPte.Params[1].Type.Kind);
        Assert.Equal(4, setPte.Params[1].Type.Size);
        Assert.Equal(new CType("u64", "unsigned long long", TypeKind.UnsignedInteger, 8), readTsc.ReturnType);
        Assert.Equal("Read the CPU time-stamp counter.", readTsc.Comment?.Trim('/', '*', ' '));
    }

    [Fact]
    public void OldSingleTableHasDataMembersInTheFirstSlots()
    {
        var model = Parsing.Example("linux-2.6.22-i386", "i386");

        Assert.Equal(["kernel_rpl", "shared_kernel_pmd", "paravirt_enabled", "name"], model.Data.Select(d => d.Path));
        Assert.Equal(4, model.Ops[0].Slot);
        Assert.Equal("patch", model.Ops[0].Path);
        Assert.Equal("paravirt_ops", model.TableSymbol);
        var pte = model.Ops.Single(o => o.Path == "set_pte").Params[1].Type;
        Assert.Equal(8, pte.Size); // CONFIG_X86_PAE: a two-word pte_t on a 32-bit target
        var readMsr = model.Ops.Single(o => o.Path == "read_msr");
        Assert.Equal(8, readMsr.ReturnType.Size);
    }

    [Fact]
    public void SplitTablesNestLazyOpsAndHaveNoSingleSymbol()
    {
        var model = Parsing.Example("linux-2.6.24", "i386");

        Assert.Contains(model.Ops, o => o.Path == "pv_mmu_ops.lazy_mode.enter");
        Assert.Contains(model.Ops, o => o.Path == "pv_cpu_ops.lazy_mode.leave");
        Assert.Null(model.TableSymbol);
    }

    [Fact]
    public void CalleeSaveMembersTakeTheirSignatureFromTheConfiguration()
    {
        var model = Parsing.Example("linux-5.10-x86_64", "x86_64");
        var saveFl = model.Ops.Single(o => o.Path == "irq.save_fl");
        var restoreFl = model.Ops.Single(o => o.Path == "irq.restore_fl");

        Assert.True(saveFl.CalleeSave);
        Assert.True(saveFl.SignatureKnown);
        Assert.Equal("unsigned long", saveFl.ReturnType.Spelling);
        Assert.Equal("paravirt_callee_save", saveFl.MemberType.Replace("struct ", string.Empty, StringComparison.Ordinal));
        Assert.Equal(new Param("flags", new CType("unsigned long", "unsigned long", TypeKind.UnsignedInteger, 8)), Assert.Single(restoreFl.Params));
        Assert.Contains(model.Ops, o => o.Path == "mmu.lazy_mode.enter" && !o.CalleeSave);
        Assert.Equal("pv_ops", model.TableSymbol);
        Assert.All(model.Ops.Where(o => o.CalleeSave), o => Assert.True(o.SignatureKnown, o.Path));
    }

    [Fact]
    public void CalleeSaveMemberWithoutConfiguredSignatureIsMarkedUnknown()
    {
        var result = Parsing.Source("""
            struct paravirt_callee_save { void *func; };
            struct ops { struct paravirt_callee_save save_fl; void (*halt)(void); };
            """, "ops");

        var saveFl = result.Model!.Ops[0];
        Assert.True(saveFl.CalleeSave);
        Assert.False(saveFl.SignatureKnown);
        Assert.Empty(saveFl.Params);
    }

    [Fact]
    public void MarkersAndUnknownAttributesAreAccepted()
    {
        var result = Parsing.Source("""
            struct ops {
                void fastcall (*a)(int x);
                asmlinkage void (*b)(void);
                void (*c)(int x) __attribute__((regparm(3)));
            } __no_randomize_layout;
            """, "ops", Target.I386);

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Equal(["a", "b", "c"], result.Model!.Ops.Select(o => o.Path));
        Assert.DoesNotContain(result.Diagnostics, d => d.Severity == Severity.Error);
    }

    [Fact]
    public void ConstVolatileAndFreestandingHeadersWork()
    {
        var result = Parsing.Source("""
            #include <stdint.h>
            #include <stddef.h>
            #include <stdbool.h>
            struct desc;
            typedef struct ops { bool (*probe)(const volatile struct desc *d, uint64_t v, size_t n); } ops_t;
            """, "ops_t");

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        var probe = Assert.Single(result.Model!.Ops);
        Assert.Equal("const volatile struct desc *", probe.Params[0].Type.Spelling);
        Assert.Equal(8, probe.Params[1].Type.Size);
        Assert.Equal(TypeKind.Bool, probe.ReturnType.Kind);
    }

    [Fact]
    public void SeveralTablesOfTheStructLeaveTheSymbolToTheUser()
    {
        var result = Parsing.Source("""
            struct ops { void (*a)(void); };
            extern struct ops native_ops;
            extern struct ops xen_ops;
            """, "ops");

        Assert.Null(result.Model!.TableSymbol);
        Assert.Contains(result.Diagnostics, d => d.Id == DiagnosticIds.AmbiguousSymbol && d.Message.Contains("xen_ops", StringComparison.Ordinal));
    }
}
