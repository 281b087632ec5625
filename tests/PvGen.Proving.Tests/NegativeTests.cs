using PvGen.Binary.Annotating;
using PvGen.TestSupport;

namespace PvGen.Proving.Tests;

/// <summary>
/// The proof can fail: each broken record is caught, at run time or when the patcher meets it, with the culprit named.
/// The objects are the real corpus (irq_critical.c) built by gcc; only the records are wrong.
/// </summary>
public sealed class NegativeTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Corpus = "irq_critical.o";

    /// <summary>The record of the first in-place call of <paramref name="op"/> in irq_critical.c, rewritten.</summary>
    private static Func<string, AnnotationPlan, AnnotationPlan> Change(string op, Func<PlannedRecord, PlannedRecord> change) => (file, plan) =>
    {
        if (file != Corpus)
        {
            return plan;
        }

        var target = plan.Records.First(r => r.Op == op && r.Kind == PatchKind.Call);
        return plan with { Records = [.. plan.Records.Select(r => ReferenceEquals(r, target) ? change(r) : r)] };
    };

    private ProveBuild Single(ProveReport report)
    {
        var build = Assert.Single(report.Builds);
        foreach (string finding in build.Findings)
        {
            output.WriteLine(finding);
        }

        Assert.True(report.ExitCode == 1, $"expected exit 1, got {report.ExitCode}: {build.Verdict} {build.Error} {string.Join(" | ", build.Findings)}");
        Assert.Equal(ProveVerdicts.Differs, build.Verdict);
        return build;
    }

    [Theory]
    [InlineData("x86_64", "para16")]
    [InlineData("i386", "para8")]
    [InlineData("x86_64", "para6")]
    public void A_record_one_byte_off_its_site_is_caught(string arch, string format)
    {
        var build = Single(Proof.Run("linux-5.10-x86_64", arch, "plain", format, fault: Change("irq.irq_disable", r => r with { Offset = r.Offset + 1 })));
        string finding = string.Join("\n", build.Findings);
        Assert.Contains("irq.irq_disable", finding, StringComparison.Ordinal);
        Assert.Contains("counter_add", finding, StringComparison.Ordinal); // the first function of irq_critical.c that calls it
        Assert.NotNull(build.Difference);
    }

    [Theory]
    [InlineData("x86_64", "para16")]
    [InlineData("i386", "para8")]
    public void A_record_too_short_for_a_direct_call_is_refused(string arch, string format)
    {
        var build = Single(Proof.Run("linux-5.10-x86_64", arch, "plain", format, fault: Change("irq.irq_disable", r => r with { Length = 4 })));
        Assert.Equal(1, build.Refused);
        var finding = Assert.Single(build.Findings, f => f.Contains("refused", StringComparison.Ordinal));
        Assert.Contains("irq.irq_disable", finding, StringComparison.Ordinal);
        Assert.Contains("too short", finding, StringComparison.Ordinal);
        Assert.Contains("counter_add+0x", finding, StringComparison.Ordinal);
    }

    /// <summary>The reloc approach's first hazard: a tail jump recorded like a call is patched into a call, which returns into what follows.</summary>
    [Theory]
    [InlineData("x86_64", "para16")]
    [InlineData("i386", "para8")]
    public void A_tail_jump_annotated_as_a_call_is_caught(string arch, string format)
    {
        string? jumpFunction = null;
        var build = Single(Proof.Run("linux-5.10-x86_64", arch, "plain", format, fault: (file, plan) =>
        {
            if (file != Corpus)
            {
                return plan;
            }

            var jump = plan.Unpatchable.First(u => u.Reason == UnpatchableReason.TailJump);
            jumpFunction = jump.Function[..jump.Function.IndexOf('+')];
            var slot = (int)(jump.TargetOffset / (arch == "x86_64" ? 8 : 4));
            return plan with { Records = [.. plan.Records, new PlannedRecord(jump.Section, jump.Offset, jump.Length, slot, PatchKind.Call, jump.Op, jump.Function)] };
        }));
        Assert.NotNull(jumpFunction);
        Assert.NotNull(build.Difference);
        Assert.True(build.Difference!.Message.Contains(jumpFunction!, StringComparison.Ordinal), build.Difference.Message);
    }

    /// <summary>A maintainer's override of the macro style's record template that writes the next slot into every record.</summary>
    [Fact]
    public void A_template_override_that_records_the_wrong_slot_is_caught()
    {
        string templates = Repo.TempDir("wrong-slot");
        string original = File.ReadAllText(Path.Combine(Repo.Root, "templates", "records", "para16.sbn-c"));
        string broken = original.Replace("\".byte \" #type \"\\n\\t\"", "\".byte \" #type \"+1\\n\\t\"", StringComparison.Ordinal);
        Assert.NotEqual(original, broken);
        Directory.CreateDirectory(Path.Combine(templates, "records"));
        File.WriteAllText(Path.Combine(templates, "records", "para16.sbn-c"), broken);

        var build = Single(Proof.Run("linux-5.10-x86_64", "x86_64", "macro", "para16", templates: templates));
        var difference = build.Difference;
        Assert.NotNull(difference);
        Assert.Equal("exercise pv_init_patch", difference!.Call);
        Assert.Equal("init.patch", difference.Op);
        Assert.Contains("pvgen_exercise_pv_init_patch+0x", difference.Site, StringComparison.Ordinal);
        Assert.Contains("time.sched_clock", difference.Message, StringComparison.Ordinal); // slot 1, which the record names
    }
}
