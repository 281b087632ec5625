using Xunit;
using PvGen.TestSupport;

namespace PvGen.Binary.Tests;

/// <summary>Each kind of site, compiled by gcc for both targets, found exactly and agreeing with objdump.</summary>
public sealed class GccSiteTests
{
    /// <summary>A miniature pv_ops (slot = offset / pointer size): patch 0, irq 1-3, mmu 4-6.</summary>
    private const string Header = """
        struct pv_irq_ops { void (*save_fl)(void); void (*irq_disable)(void); void (*irq_enable)(void); };
        struct pv_mmu_ops { unsigned long (*read_cr2)(void); void (*write_cr3)(unsigned long); void (*flush)(unsigned long); };
        struct paravirt_patch_template { void (*patch)(void); struct pv_irq_ops irq; struct pv_mmu_ops mmu; };
        extern struct paravirt_patch_template pv_ops;
        void use(void *p);

        """;

    private const string Callers = Header + """
        void plain(void) { pv_ops.irq.irq_disable(); use(0); }
        void tail(unsigned long x) { pv_ops.mmu.write_cr3(x); }
        void hoisted(int n) { void (*f)(unsigned long) = pv_ops.mmu.flush; for (int i = 0; i < n; i++) f(i); }
        void taken(void) { use(&pv_ops.mmu.flush); }
        """;

    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void EveryKindIsFoundExactly(string arch)
    {
        int pointer = arch == "x86_64" ? 8 : 4;
        string obj = Build.Compile($"callers-{arch}.c", Callers, Build.KernelFlags(arch));

        var scanned = Build.ScanOne(obj);

        Assert.Equal(arch, scanned.Machine);
        var byFunction = scanned.Sites.ToDictionary(s => s.FunctionSymbol!);
        Assert.Equal(["hoisted", "plain", "tail", "taken"], byFunction.Keys.Order(StringComparer.Ordinal));

        var call = byFunction["plain"];
        Assert.Equal((SiteKind.Call, 2L * pointer, 2, 6), (call.Kind, call.TargetOffset, call.Slot!.Value, call.Length));
        Assert.True(call.IndirectThroughMemory);
        Assert.Equal(arch == "x86_64" ? MemoryForm.RipRelative : MemoryForm.Absolute, call.MemoryForm);
        Assert.Equal(arch == "x86_64" ? "R_X86_64_PC32" : "R_386_32", call.RelocType);
        Assert.Equal([0xff, 0x15], call.Bytes.Take(2));

        var jmp = byFunction["tail"];
        Assert.Equal((SiteKind.Jmp, 5L * pointer, 6), (jmp.Kind, jmp.TargetOffset, jmp.Length));
        Assert.Equal([0xff, 0x25], jmp.Bytes.Take(2));

        // The pointer is loaded once and called through a callee-saved register in the loop.
        var load = byFunction["hoisted"];
        Assert.Equal((SiteKind.Load, 6L * pointer), (load.Kind, load.TargetOffset));
        var fed = Assert.Single(load.Feeds);
        Assert.Equal((SiteKind.Call, 6L * pointer, MemoryForm.None), (fed.Kind, fed.TargetOffset, fed.MemoryForm));
        Assert.True(fed.Offset > load.Offset);

        var address = byFunction["taken"];
        Assert.Equal((SiteKind.Address, 6L * pointer), (address.Kind, address.TargetOffset));
        Assert.Empty(address.Feeds);

        Build.AssertSameAsObjdump(obj, scanned);
    }

    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void PicCodeLoadsTheTableThroughTheGotAndTheCallsAreFollowed(string arch)
    {
        int pointer = arch == "x86_64" ? 8 : 4;
        string obj = Build.Compile($"pic-{arch}.c", Header + """
            void pic_calls(void) { pv_ops.irq.irq_enable(); pv_ops.mmu.write_cr3(3); }
            """, Build.PicFlags(arch));

        var scanned = Build.ScanOne(obj);

        var load = Assert.Single(scanned.Sites);
        Assert.Equal((SiteKind.Load, 0L, true), (load.Kind, load.TargetOffset, load.ViaGot));
        Assert.Equal(arch == "x86_64" ? "R_X86_64_REX_GOTPCRELX" : "R_386_GOT32X", load.RelocType);

        // The GOT holds the table's address: no slot of its own (slot 0 is the op 'patch'); the calls it feeds name theirs.
        Assert.Equal((null, null), (load.Slot, load.Op));

        // call *off(%reg) through the table's address, then (tail call) the slot's pointer via a register or memory.
        Assert.Equal([3L * pointer, 5L * pointer], load.Feeds.Select(f => f.TargetOffset));
        Assert.Equal(SiteKind.Call, load.Feeds[0].Kind);
        Assert.Equal(MemoryForm.Register, load.Feeds[0].MemoryForm);
        Build.AssertSameAsObjdump(obj, scanned);
    }

    /// <summary>
    /// Under -fpic the table's address comes from the GOT whatever the code does with it: handed on (&amp;pv_ops.x passed to a
    /// function) it is an address taken, as <c>lea</c> is without -fpic; read through (a slot's pointer compared) a load; and
    /// none of them is attributed to slot 0. The oracle: objdump shows each as a GOT load in its function.
    /// </summary>
    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void PicAddressesTakenThroughTheGotAreAddressesAndNameNoSlot(string arch)
    {
        string obj = Build.Compile($"pic-address-{arch}.c", Header + """
            void pic_taken(void) { use(&pv_ops.mmu.flush); }
            int pic_compared(void) { return pv_ops.mmu.read_cr2 == 0; }
            """, Build.PicFlags(arch));
        var model = TestModels.MiniPvOps(arch == "x86_64" ? PvGen.Model.Target.X86_64 : PvGen.Model.Target.I386);

        var scanned = Build.ScanOne(obj, ScanOptions.ForModel(model));

        var byFunction = scanned.Sites.ToDictionary(s => s.FunctionSymbol!);
        Assert.Equal(["pic_compared", "pic_taken"], byFunction.Keys.Order(StringComparer.Ordinal));
        Assert.All(scanned.Sites, s => Assert.Equal((true, 0L, (int?)null, (string?)null), (s.ViaGot, s.TargetOffset, s.Slot, s.Op)));
        Assert.Equal(SiteKind.Address, byFunction["pic_taken"].Kind);
        Assert.Equal(SiteKind.Load, byFunction["pic_compared"].Kind);
        Assert.All(scanned.Sites, s => Assert.Empty(s.Feeds));

        // objdump sees the same two instructions, both GOT loads into a register (what follows is the C's business).
        var objdump = ObjdumpOracle.Sites(obj, "pv_ops");
        Assert.Equal(objdump.Select(o => (o.Section, o.Offset, o.Length)).Order(), scanned.Sites.Select(s => (s.Section, s.Offset, s.Length)).Order());
        Assert.All(objdump, o => Assert.Equal("load", o.Kind));
    }

    [Fact]
    public void UnderRetpolinesTheLoadFeedsTheThunkCallOfItsRegister()
    {
        // A retpoline kernel (-mindirect-branch=thunk-extern -mindirect-branch-register) compiles every indirect call
        // as a load of the pointer and a direct call to the thunk of its register: the reloc approach's sites.
        string obj = Build.Compile("retpoline.c", Header + """
            void plain(void) { pv_ops.irq.irq_disable(); use(0); }
            void tail(unsigned long x) { pv_ops.mmu.write_cr3(x); }
            """, [.. Build.KernelFlags("x86_64"), "-mindirect-branch=thunk-extern", "-mindirect-branch-register"]);

        var scanned = Build.ScanOne(obj);

        var byFunction = scanned.Sites.ToDictionary(s => s.FunctionSymbol!);
        var call = byFunction["plain"];
        Assert.Equal((SiteKind.Load, 16L), (call.Kind, call.TargetOffset));
        var fed = Assert.Single(call.Feeds);
        Assert.True(fed.Thunk);
        Assert.Equal((SiteKind.Call, 16L), (fed.Kind, fed.TargetOffset));
        var tail = Assert.Single(byFunction["tail"].Feeds);
        Assert.True(tail.Thunk);
        Assert.Equal(SiteKind.Jmp, tail.Kind);

        // objdump agrees on the thunk call: at the fed offset, a call (jmp) relocated against __x86_indirect_thunk_<register>.
        var dump = Tool.Run("objdump", ["-dr", "-w", obj]).Stdout.Split('\n');
        foreach (var (site, mnemonic) in new[] { (fed, "call"), (tail, "jmp") })
        {
            string line = dump.Single(l => l.TrimStart().StartsWith($"{site.Offset:x}:", StringComparison.Ordinal));
            Assert.Contains(mnemonic, line, StringComparison.Ordinal);
            Assert.Contains($"__x86_indirect_thunk_{site.Register}", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AThunkTailJumpEndsTheFollowedPath()
    {
        // The shape gcc gives 6.12's ___pud_free_tlb under retpolines: a slot loaded and tail-jumped through the thunk, int3
        // padding, then another branch of the function calling the thunk of the same register with a value loaded before it.
        // The second call is reached from the jne, not from the load: the load feeds one site, not two.
        string obj = Build.Compile("tailjmp.s", """
                .text
                .globl two_branches
                .type two_branches, @function
            two_branches:
                movq pv_ops+40(%rip), %rax
                testl %edi, %edi
                jne 1f
                movq pv_ops+32(%rip), %rax
                jmp __x86_indirect_thunk_rax
                int3
            1:  call __x86_indirect_thunk_rax
                ret
                .size two_branches, .-two_branches
            """, ["-c"]);

        var scanned = Build.ScanOne(obj);

        // objdump: the second load, and the first thunk jmp after it (the jmp is the last pv-fed instruction before int3).
        var dump = Tool.Run("objdump", ["-dr", "-w", obj]).Stdout.Split('\n');
        long Offset(string needle) => Convert.ToInt64(dump.Single(l => l.Contains(needle, StringComparison.Ordinal)).Trim().Split(':')[0], 16);
        long secondLoad = Offset("pv_ops+0x1c");
        long tailJmp = Offset("\tjmp ");

        var second = scanned.Sites.Single(s => s.Offset == secondLoad);
        Assert.Equal((SiteKind.Load, 32L), (second.Kind, second.TargetOffset));
        var fed = Assert.Single(second.Feeds);
        Assert.True(fed.Thunk);
        Assert.Equal((SiteKind.Jmp, tailJmp, "rax"), (fed.Kind, fed.Offset, fed.Register));
    }

    [Fact]
    public void ModelNamesEachSiteByItsOp()
    {
        var model = TestModels.MiniPvOps(PvGen.Model.Target.X86_64);
        string obj = Build.Compile("named.c", Callers, Build.KernelFlags("x86_64"));

        var scanned = Build.ScanOne(obj, ScanOptions.ForModel(model));

        Assert.Equal(
            [("hoisted", "mmu.flush"), ("plain", "irq.irq_disable"), ("tail", "mmu.write_cr3"), ("taken", "mmu.flush")],
            scanned.Sites.Select(s => (s.FunctionSymbol!, s.Op!)).OrderBy(p => p.Item1, StringComparer.Ordinal));
        Assert.Equal("mmu.flush", scanned.Sites.Single(s => s.Kind == SiteKind.Load).Feeds[0].Op);
    }

    [Fact]
    public void AModelForTheOtherTargetIsAnErrorNotWrongNames()
    {
        var model = TestModels.MiniPvOps(PvGen.Model.Target.I386);
        string obj = Build.Compile("mismatch.c", Callers, Build.KernelFlags("x86_64"));

        var result = Assert.Single(ObjectScanner.ScanFile(obj, ScanOptions.ForModel(model)));

        Assert.Contains("laid out for i386", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReferencesInEveryExecutableSectionAreFound()
    {
        string obj = Build.Compile("sections.c", Header + """
            __attribute__((section(".noinstr.text"))) void in_noinstr(void) { pv_ops.irq.irq_disable(); use(0); }
            __attribute__((cold)) void in_cold(void) { pv_ops.irq.irq_enable(); use(0); }
            __attribute__((section(".init.text"))) void in_init(void) { pv_ops.mmu.write_cr3(1); use(0); }
            """, Build.KernelFlags("x86_64"));

        var scanned = Build.ScanOne(obj);

        Assert.Equal([".init.text", ".noinstr.text", ".text.unlikely"], scanned.Sites.Select(s => s.Section).Order(StringComparer.Ordinal));
        Assert.All(scanned.Sites, s => Assert.Equal(SiteKind.Call, s.Kind));
        Build.AssertSameAsObjdump(obj, scanned);
    }

    [Fact]
    public void AnotherSymbolCanBeChosen()
    {
        string obj = Build.Compile("toy.c", """
            struct toy_ops { void (*a)(void); void (*b)(void); };
            extern struct toy_ops toy_ops;
            extern struct toy_ops pv_ops;
            void f(void) { toy_ops.b(); pv_ops.a(); }
            """, Build.KernelFlags("x86_64"));

        var toy = Build.ScanOne(obj, new ScanOptions { Symbol = "toy_ops" });

        var site = Assert.Single(toy.Sites);
        Assert.Equal((SiteKind.Call, 8L), (site.Kind, site.TargetOffset));
        Build.AssertSameAsObjdump(obj, toy, "toy_ops");
    }
}
