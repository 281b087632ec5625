using PvGen.Binary;
using PvGen.Checking.Annotations;
using PvGen.Clang;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.TestSupport;
using PvGen.X86.Records;
using Xunit;

namespace PvGen.Checking.Tests;

/// <summary>
/// The 6.8+ family: .altinstructions DIRECT_CALL entries on gcc-assembled objects. A correct object passes on both
/// targets, with the checks alt records cannot carry reported as n/a; each broken one fails with exactly the
/// findings for what was broken.
/// </summary>
public sealed class DirectCallVerifierTests
{
    // irq.save_fl = slot 0, irq.irq_disable = slot 2; each site followed by a nop.
    private static readonly Insn[] TwoSites = [new("s0", Slot: 0), new("e0"), new("s1", Slot: 2), new("e1")];

    private static AltEntryAsm Direct(string site, string end) => new(site, AltAnnotatedObject.CallAlways, $"{end}-{site}", "call BUG_func");

    private static AltEntryAsm Native(string site, string end, string bytes) => new(site, AltAnnotatedObject.NotXen, $"{end}-{site}", ".byte " + bytes);

    private static readonly AltEntryAsm[] Correct = [Direct("s0", "e0"), Native("s0", "e0", "0x9c, 0x58"), Direct("s1", "e1")];

    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void CorrectEntriesPassAndInapplicableChecksAreNotApplicable(string arch)
    {
        var (scanned, verification) = Verify(arch, TwoSites, Correct);

        Assert.Empty(verification.Findings);
        Assert.Equal(RecordFormats.Alt14, scanned.AnnotationFormat);
        Assert.Equal([0, 2], scanned.Annotations.Select(a => a.Type));
        Assert.Equal("9c58", Convert.ToHexStringLower([.. Assert.Single(scanned.Annotations[0].Natives).Replacement]));
        Assert.Equal("BUG_func", scanned.Annotations[0].Alt!.ReplacementCall);
        Assert.Equal(new AltSummary(RecordFormats.Alt14, 3, 2, 1, 0), scanned.Alternatives);
        Assert.All(scanned.Sites, s => Assert.Equal(RecordFamily.AltInstructions, s.AnnotatedBy));

        var coverage = verification.Coverage.ToDictionary(c => c.Id);
        Assert.NotNull(coverage[DiagnosticIds.ClobberMismatch].NotApplicable);
        Assert.NotNull(coverage[DiagnosticIds.WrongSlot].NotApplicable);
        Assert.Equal((2, 0), (coverage[DiagnosticIds.DirectCallNotFf15].Checked, coverage[DiagnosticIds.DirectCallNotFf15].Failed));
        Assert.Equal(1, coverage[DiagnosticIds.NativeDoesNotFit].Checked);
    }

    [Fact]
    public void ParaRecordsReportTheDirectCallChecksAsNotApplicable()
    {
        var model = ToyModel("x86_64");
        string obj = AnnotatedObject.Build("x86_64", model.TableSymbol!, TwoSites, [new("s0", 0, "e0-s0"), new("s1", 2, "e1-s1")]);
        var (scanned, verification) = Assert.Single(ObjectScanner.Inspect(obj, ScanOptions.ForModel(model),
            (scanned, elf) => (scanned, AnnotationVerifier.Run(scanned, model, ExpectedOps.From(model, null), elf?.Code))));

        Assert.Empty(verification.Findings);
        Assert.All(verification.Coverage.Where(c => c.Id is DiagnosticIds.DirectCallNotFf15 or DiagnosticIds.DirectCallInstrLength or DiagnosticIds.DirectCallReplacement or DiagnosticIds.DirectCallNotFirst),
            c => Assert.Contains("apply_paravirt", c.NotApplicable, StringComparison.Ordinal));
        // Clobbers are checked without configuration too: each record against the kernel's CLBR_ANY.
        var clobbers = verification.Coverage.Single(c => c.Id == DiagnosticIds.ClobberMismatch);
        Assert.Equal((2, 0, null), (clobbers.Checked, clobbers.Failed, clobbers.NotApplicable));
    }

    /// <summary>A DIRECT_CALL over the 7-byte <c>ff 14 25</c> form (kernels before 5.18): alt_replace_call() would BUG().</summary>
    [Fact]
    public void AnAbsoluteCallIsNotTheFf15ThePatcherNeeds()
    {
        Insn[] body = [new("s0", Text: "call *pv_ops+0"), new("e0"), new("s1", Slot: 2), new("e1")];

        var findings = Verify("x86_64", body, [Direct("s0", "e0"), Direct("s1", "e1")], symbol: "pv_ops").Verification.Findings;

        AssertOnly(findings, DiagnosticIds.DirectCallNotFf15, DiagnosticIds.DirectCallInstrLength);
        Assert.Contains("ff1425", findings.Single(f => f.Id == DiagnosticIds.DirectCallNotFf15).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AJumpIsNotACall()
    {
        Insn[] body = [new("s0", Slot: 0, Jump: true), new("e0"), new("s1", Slot: 2), new("e1")];

        AssertOnly(Verify("x86_64", body, [Direct("s0", "e0"), Direct("s1", "e1")]).Verification.Findings,
            DiagnosticIds.SiteNotIndirectCall, DiagnosticIds.DirectCallNotFf15);
    }

    [Fact]
    public void AnInstrlenOtherThanSixIsCaught() =>
        AssertOnly(Verify("x86_64", TwoSites, [new("s0", AltAnnotatedObject.CallAlways, "e0-s0+1", "call BUG_func"), Direct("s1", "e1")]).Verification.Findings,
            DiagnosticIds.DirectCallInstrLength, DiagnosticIds.LengthMismatch);

    [Theory]
    [InlineData("jmp BUG_func")]
    [InlineData("call *%rax")]
    [InlineData("nop")]
    public void AReplacementOtherThanAFiveByteCallIsCaught(string replacement) =>
        AssertOnly(Verify("x86_64", TwoSites, [new("s0", AltAnnotatedObject.CallAlways, "e0-s0", replacement), Direct("s1", "e1")]).Verification.Findings,
            DiagnosticIds.DirectCallReplacement);

    [Fact]
    public void ADirectCallEntryAfterTheNativeOneIsCaught() =>
        AssertOnly(Verify("x86_64", TwoSites, [Native("s0", "e0", "0x9c, 0x58"), Direct("s0", "e0"), Direct("s1", "e1")]).Verification.Findings,
            DiagnosticIds.DirectCallNotFirst);

    [Fact]
    public void ANativeAlternativeLongerThanTheSiteIsCaught() =>
        AssertOnly(Verify("x86_64", TwoSites, [Direct("s0", "e0"), Native("s0", "e0", "0x0f, 0x1f, 0x80, 0, 0, 0, 0"), Direct("s1", "e1")]).Verification.Findings,
            DiagnosticIds.NativeDoesNotFit);

    [Fact]
    public void ANativeAlternativeOtherThanTheConfiguredBytesIsCaught()
    {
        var config = new OpsConfig(null, new Dictionary<string, OpConfig> { ["irq.save_fl"] = new() { Native = PvGen.Model.Config.PerTarget<string>.Every("9c 58") } });

        var findings = Verify("x86_64", TwoSites, [Direct("s0", "e0"), Native("s0", "e0", "0xfa"), Direct("s1", "e1")], config: config).Verification.Findings;

        AssertOnly(findings, DiagnosticIds.NativeMismatch);
        Assert.Contains("'fa' but the op's configured native bytes are '9c 58'", findings[0].Message, StringComparison.Ordinal);
    }

    /// <summary>The entry names the byte after the call's first: off its instruction, and the real call is left without one.</summary>
    [Fact]
    public void AnEntryMovedByOneByteIsCaught() =>
        AssertOnly(Verify("x86_64", TwoSites, [new("s0+1", AltAnnotatedObject.CallAlways, "6", "call BUG_func"), Direct("s1", "e1")]).Verification.Findings,
            DiagnosticIds.RecordNotOnInstruction, DiagnosticIds.DirectCallNotFf15, DiagnosticIds.UnannotatedReference);

    [Fact]
    public void AnEntryWithoutASiteIsCaught() =>
        AssertOnly(Verify("x86_64", TwoSites, [.. Correct, new("e1", AltAnnotatedObject.CallAlways, "1", "call BUG_func")]).Verification.Findings,
            DiagnosticIds.RecordWithoutSite);

    [Fact]
    public void ACallWithoutAnEntryIsCaught() =>
        AssertOnly(Verify("x86_64", [.. TwoSites, new("s2", Slot: 4)], Correct).Verification.Findings, DiagnosticIds.UnannotatedReference);

    [Fact]
    public void OrdinaryAlternativesAreCountedNotReportedAsPvSites()
    {
        Insn[] body = [.. TwoSites, new("c0", Text: "clac"), new("c1")];

        var (scanned, verification) = Verify("x86_64", body, [.. Correct, new("c0", 0x134, "c1-c0", "nop; nop; nop")]);

        Assert.Empty(verification.Findings);
        Assert.Equal(2, scanned.Annotations.Count);
        Assert.Equal(new AltSummary(RecordFormats.Alt14, 4, 2, 1, 1), scanned.Alternatives);
    }

    /// <summary>In an exerciser, a wrapper's DIRECT_CALL site must call its own op's slot: entries name none, so the function does.</summary>
    [Theory]
    [InlineData(0, 0, "pvgen_exercise_pv_irq_save_fl")]
    [InlineData(2, 1, "pvgen_exercise_pv_irq_save_fl")]
    [InlineData(2, 1, "pv_irq_save_fl")]
    public void AWrapperWhoseSiteCallsAnotherSlotIsCaught(int slot, int failures, string function)
    {
        var model = ToyModel("x86_64");
        string obj = AltAnnotatedObject.Build("x86_64", model.TableSymbol!, [new("s0", Slot: slot), new("e0")], [Direct("s0", "e0")], function: function);
        var scanned = Assert.Single(ObjectScanner.ScanFile(obj, ScanOptions.ForModel(model)));
        PvGen.Generation.ManifestOp[] ops = [new("pv_irq_save_fl", "irq.save_fl", 0, 0, 0, 0, 8, false, false, false, ["rax"], 0x1ff, null, "pv_irq_save_fl", "asm", null)];

        var (findings, coverage) = CheckRunner.VerifyWrapperSlots(scanned, ops);

        Assert.Equal((1, failures), (coverage.Checked, coverage.Failed));
        Assert.Equal(failures, findings.Count(f => f.Id == DiagnosticIds.WrongSlot));
    }

    private static void AssertOnly(IReadOnlyList<Finding> findings, params string[] ids) =>
        Assert.True(findings.Select(f => f.Id).Order().SequenceEqual(ids.Order()), "expected exactly " + string.Join(", ", ids) + ", got:\n" + string.Join("\n", findings));

    private static (ScannedObject Scanned, Verification Verification) Verify(string arch, IReadOnlyList<Insn> body, IReadOnlyList<AltEntryAsm> entries, OpsConfig? config = null, string? symbol = null)
    {
        var model = ToyModel(arch);
        string obj = AltAnnotatedObject.Build(arch, symbol ?? model.TableSymbol!, body, entries);
        var (scanned, verification) = Assert.Single(ObjectScanner.Inspect(obj, ScanOptions.ForModel(model) with { Symbol = symbol ?? model.TableSymbol! },
            (scanned, elf) => (scanned, AnnotationVerifier.Run(scanned, model, ExpectedOps.From(model, config), elf?.Code))));
        Assert.Null(scanned.Error);
        return (scanned, verification);
    }

    private static OpsModel ToyModel(string arch)
    {
        var parsed = HeaderParser.Parse(Examples.ParseRequest("toy", arch) with { Config = null });
        Assert.True(parsed.Succeeded);
        return parsed.Model!;
    }
}
