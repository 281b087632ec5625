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
/// The annotation verifier on real gcc-assembled objects: a correct one passes on both targets, and
/// each deliberately broken artefact fails with exactly the finding for what was broken.
/// </summary>
public sealed class AnnotationVerifierTests
{
    // Two sites (irq.save_fl = slot 0, irq.irq_disable = slot 2), each followed by a nop.
    private static readonly Insn[] TwoSites = [new("s0", Slot: 0), new("e0"), new("s1", Slot: 2), new("e1")];

    private static readonly Record[] TwoRecords = [new("s0", 0, "e0-s0"), new("s1", 2, "e1-s1")];

    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void CorrectRecordsPass(string arch)
    {
        var (scanned, findings) = Verify(arch, TwoSites, TwoRecords);

        Assert.Empty(findings);
        Assert.Equal(2, scanned.Annotations.Count);
        Assert.Equal(arch == "x86_64" ? RecordFormats.Para16 : RecordFormats.Para8, scanned.AnnotationFormat);
    }

    [Fact]
    public void RegisterSavesInsideTheRecordAreAccepted()
    {
        Insn[] body = [new("p", Text: "push %rcx"), new("s0", Slot: 0), new("q", Text: "pop %rcx"), new("e0")];

        var (_, findings) = Verify("x86_64", body, [new("p", 0, "e0-p")]);

        Assert.Empty(findings);
    }

    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void WrongTypeByteIsCaught(string arch) =>
        AssertOnly(Verify(arch, TwoSites, [new("s0", 1, "e0-s0"), TwoRecords[1]]).Findings, DiagnosticIds.WrongSlot);

    [Fact]
    public void CallThroughTheWrongSlotIsCaught()
    {
        Insn[] body = [new("s0", Slot: 3), new("e0"), new("s1", Slot: 2), new("e1")];

        var findings = Verify("x86_64", body, TwoRecords).Findings;

        AssertOnly(findings, DiagnosticIds.WrongSlot);
        Assert.Contains("calls irq.irq_enable", findings[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void TooLongARecordIsCaught(string arch) =>
        AssertOnly(Verify(arch, TwoSites, [new("s0", 0, "e0-s0+1"), TwoRecords[1]]).Findings, DiagnosticIds.LengthMismatch);

    [Fact]
    public void TooShortARecordIsCaughtAndHasNoRoomForADirectCall() =>
        AssertOnly(Verify("x86_64", TwoSites, [new("s0", 0, "4"), TwoRecords[1]]).Findings, DiagnosticIds.LengthMismatch, DiagnosticIds.SiteTooShort);

    /// <summary>A record one byte into the call: misplaced, and so the real site is left without one.</summary>
    [Fact]
    public void RecordOffTheInstructionBoundaryIsCaught() =>
        AssertOnly(Verify("x86_64", TwoSites, [new("s0+1", 0, "5"), TwoRecords[1]]).Findings, DiagnosticIds.RecordNotOnInstruction, DiagnosticIds.UnannotatedReference);

    [Fact]
    public void OverlappingRecordsAreCaught() =>
        AssertOnly(Verify("x86_64", TwoSites, [.. TwoRecords, new("s0", 0, "e0-s0")]).Findings, DiagnosticIds.OverlappingRecords);

    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void RecordWithoutASiteIsCaught(string arch) =>
        AssertOnly(Verify(arch, TwoSites, [.. TwoRecords, new("e1", 5, "1")]).Findings, DiagnosticIds.RecordWithoutSite);

    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void UnannotatedCallIsCaught(string arch)
    {
        Insn[] body = [.. TwoSites, new("s2", Slot: 4)];

        var findings = Verify(arch, body, TwoRecords).Findings;

        AssertOnly(findings, DiagnosticIds.UnannotatedReference);
        Assert.Contains("mmu.write_cr3", findings[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClobberMismatchIsCaught()
    {
        var config = new OpsConfig(null, new Dictionary<string, OpConfig> { ["irq.save_fl"] = new() { Clobbers = ["rax"] } });

        var findings = Verify("x86_64", TwoSites, TwoRecords, config).Findings;

        AssertOnly(findings, DiagnosticIds.ClobberMismatch);
        Assert.Contains("clobbers 0x1ff but the op is configured to clobber 0x1", findings[0].Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Without any configuration the mask is still checked: an op that is not callee-save must carry the era's CLBR_ANY
    /// (0x1ff on x86-64, 0xf on i386 in 2.6.25+), so a record claiming it clobbers nothing, or every bit, is caught.
    /// </summary>
    [Theory]
    [InlineData("x86_64", 0x0)]
    [InlineData("x86_64", 0xffff)]
    [InlineData("i386", 0x0)]
    [InlineData("i386", 0xffff)]
    [InlineData("i386", 0x1ff)]
    public void AnUnconfiguredRecordWithTheWrongMaskIsCaught(string arch, int clobbers)
    {
        var findings = Verify(arch, TwoSites, [new("s0", 0, "e0-s0", clobbers), TwoRecords[1]]).Findings;

        AssertOnly(findings, DiagnosticIds.ClobberMismatch);
        Assert.Contains($"clobbers 0x{clobbers:x} but the op's record carries CLBR_ANY 0x{(arch == "x86_64" ? 0x1ff : 0xf):x} of the 2.6.25 era", findings[0].Message, StringComparison.Ordinal);
    }

    /// <summary>The 2.6.20 era's i386 CLBR_ANY is 0x7: the era setting decides what "any" is.</summary>
    [Fact]
    public void TheClobberEraDecidesWhatAnyIs()
    {
        var model = ToyModel("i386");
        string obj = AnnotatedObject.Build("i386", model.TableSymbol!, TwoSites, [new("s0", 0, "e0-s0", 0x7), new("s1", 2, "e1-s1", 0xf)]);
        var expected = ExpectedOps.From(model, null, new Generation.GenerateSettings { ClobberEra = "2.6.20" });
        var findings = Assert.Single(ObjectScanner.Inspect(obj, ScanOptions.ForModel(model), (scanned, elf) => AnnotationVerifier.Verify(scanned, model, expected, elf?.Code)));

        AssertOnly(findings, DiagnosticIds.ClobberMismatch);
        Assert.Contains("irq.irq_disable clobbers 0xf but the op's record carries CLBR_ANY 0x7 of the 2.6.20 era", findings[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CallAnnotatedForAJumpOpIsCaught()
    {
        var config = new OpsConfig(null, new Dictionary<string, OpConfig> { ["irq.irq_disable"] = new() { Jump = true } });

        AssertOnly(Verify("x86_64", TwoSites, TwoRecords, config).Findings, DiagnosticIds.SiteNotIndirectCall);
    }

    [Fact]
    public void SiteTooShortForTheNativeReplacementIsCaught()
    {
        var config = new OpsConfig(null, new Dictionary<string, OpConfig> { ["irq.save_fl"] = new() { Native = PvGen.Model.Config.PerTarget<string>.Every("0f 1f 80 00 00 00 00") } });

        AssertOnly(Verify("x86_64", TwoSites, TwoRecords, config).Findings, DiagnosticIds.TooShortForNative);
    }

    [Fact]
    public void FindingsPrintWithObjectSectionAndFunction()
    {
        var finding = Verify("x86_64", TwoSites, [new("s0", 1, "e0-s0"), TwoRecords[1]]).Findings.Single();

        Assert.Matches(@"^.+sites\.o: \.text\+0x0 \(probe_function\+0x0\): error: record type 1 \(irq\.restore_fl\) but the site calls irq\.save_fl .+ \[PVG0203\]$", finding.ToString());
    }

    private static void AssertOnly(IReadOnlyList<Finding> findings, params string[] ids) =>
        Assert.True(findings.Select(f => f.Id).Order().SequenceEqual(ids.Order()), "expected exactly " + string.Join(", ", ids) + ", got:\n" + string.Join("\n", findings));

    private static (ScannedObject Scanned, IReadOnlyList<Finding> Findings) Verify(string arch, IReadOnlyList<Insn> body, IReadOnlyList<Record> records, OpsConfig? config = null)
    {
        var model = ToyModel(arch);
        string obj = AnnotatedObject.Build(arch, model.TableSymbol!, body, records);
        var (scanned, findings) = Assert.Single(ObjectScanner.Inspect(obj, ScanOptions.ForModel(model),
            (scanned, elf) => (scanned, AnnotationVerifier.Verify(scanned, model, ExpectedOps.From(model, config), elf?.Code))));
        Assert.Null(scanned.Error);
        return (scanned, findings);
    }

    private static OpsModel ToyModel(string arch)
    {
        var parsed = HeaderParser.Parse(Examples.ParseRequest("toy", arch) with { Config = null });
        Assert.True(parsed.Succeeded);
        return parsed.Model!;
    }
}
