using PvGen.Comparison.Reports;
using PvGen.TestSupport;

namespace PvGen.Comparison.Tests;

/// <summary>
/// The report renderers on a fixed report (no compiler involved, so the goldens are machine-independent):
/// Markdown, JSON and HTML under tests/golden/diff/.
/// </summary>
public sealed class ReportGoldenTests
{
    private static DiffReport Sample()
    {
        var macroSite = new SiteRecord("macro", "tail.c", ".text", 0x0, "tail_disable", 0, 6, "call", "irq.irq_disable", null, null);
        var jump = new SiteRecord("reloc", "tail.c", ".text", 0x0, "tail_disable", 0, 6, "jmp", "irq.irq_disable", "R_X86_64_PC32", "tail-jump");
        var call = new SiteRecord("reloc", "reuse.c", ".text", 0x24, "plain_calls", 0x14, 6, "call", "cpu.io_delay", "R_X86_64_PC32", null);
        var load = new SiteRecord("reloc", "reuse.c", ".text", 0x2, "kick_many", 0x2, 7, "load", "lock.kick", "R_X86_64_PC32", "load", 1);
        var ops = new[] { new OpVerdict("cpu.io_delay", 1, 1, 0, 0, "both agree"), new OpVerdict("irq.irq_disable", 1, 1, 0, 0, "both agree") };
        var build = new BuildResult("gcc-x86_64-O2-nopic", "gcc", "12.2.0", "x86_64", "O2", false, null, null, null,
            new ApproachCounts(2, 2, 0, 2, 0, 0, 0, 0, 0, new Dictionary<int, int> { [6] = 2 }, 0, 0),
            new ApproachCounts(2, 1, 1, 3, 3, 1, 0, 0, 0, new Dictionary<int, int> { [6] = 2 }, 0, 0),
            new RegisterEnvironment(120, 140, 4, 7, 6, 10),
            [new FunctionCost("tail.c", "tail_disable", 16, 6, 2, 0, 2, 0, 1, 1), new FunctionCost("reuse.c", "kick_many", 104, 134, 2, 7, 4, 10, 1, 1)],
            [macroSite, jump, call, load],
            [jump, load],
            [new RelocTypeCount("R_X86_64_PC32", 3)],
            new LinkResult("kernel", null, null, 3, 3, 0, [new RelocTypeCount("R_X86_64_PC32", 3)]),
            ops,
            new Behaviour("para16",
                new StyleBehaviour("proved", 2, 2, 0, 2, 0, new Dictionary<string, int>(), null),
                new StyleBehaviour("proved", 1, 1, 0, 1, 0, new Dictionary<string, int> { ["load"] = 1, ["tail-jump"] = 1 }, null)));
        var failed = new BuildResult("gcc-x86_64-O2-pic", "gcc", "12.2.0", "x86_64", "O2", true, null,
            "gcc failed on tail.c (x_macro.h): gen-x86_64/x_macro.h:661:9: impossible constraint in 'asm'", null,
            ApproachCounts.Empty, new ApproachCounts(0, 0, 0, 1, 1, 1, 0, 0, 1, new Dictionary<int, int>(), 0, 0), RegisterEnvironment.Empty, [], [],
            [new SiteRecord("reloc", "tail.c", ".text", 0x0, "tail_disable", 0, 7, "load", null, "R_X86_64_REX_GOTPCRELX", "got", 1)],
            [new RelocTypeCount("R_X86_64_REX_GOTPCRELX", 1)], new LinkResult(null, null, null, 1, 1, 0, []), [],
            new Behaviour("para16",
                new StyleBehaviour("build-failed", 0, 0, 0, 0, 0, new Dictionary<string, int>(), "gcc -O2 failed on tail.c: impossible constraint in 'asm'"),
                new StyleBehaviour("proved", 0, 0, 0, 0, 0, new Dictionary<string, int> { ["got"] = 1 }, null)));
        var totals = new DiffTotals(2, 0, 1, 0, 1, 2, 2, 1, 1, 3, 3, 1, 1, 1, 0, 0, 0, 0, 0, 0, 120, 140, 4, 7, 2, 0, 0, 2, 0, 2, 2, 1, 2, 2, 1, 3);
        return new DiffReport(DiffReport.SchemaId, "paravirt_patch_template", "pv_ops", ["tail.c", "reuse.c"], [build, failed], ops, totals);
    }

    /// <summary>The sample with the marker style built in its first build: one marker on its call, one 5 bytes before a tail jmp, one unpaired.</summary>
    private static DiffReport ThreeStyles()
    {
        var sample = Sample();
        var markers = new MarkerMeasures(null,
            new ApproachCounts(2, 1, 1, 3, 0, 0, 0, 0, 0, new Dictionary<int, int> { [6] = 2 }, 0, 0),
            3, 2, 1, new Dictionary<long, int> { [0] = 1, [5] = 1 }, 5, 132, 6, 9,
            [
                new MarkerSite("tail.c", ".text", 0x0, "tail_disable", "irq.irq_disable", 0x5, "jmp", 6, 5, 1, null),
                new MarkerSite("reuse.c", ".text", 0x24, "plain_calls", "cpu.io_delay", 0x24, "call", 6, 0, 0, null),
                new MarkerSite("reuse.c", ".text", 0x60, "plain_calls", "irq.restore_fl", null, null, null, null, null,
                    "no call or jmp through table offset 0x128 between the marker and the end of plain_calls"),
            ], 1);
        var failedMarker = new MarkerMeasures("gcc failed on tail.c (x_marker.h): something", ApproachCounts.Empty, 0, 0, 0, new Dictionary<long, int>(), 0, 0, 0, 0, [], 0);
        return sample with
        {
            Builds = [sample.Builds[0] with { Marker = markers }, sample.Builds[1] with { Marker = failedMarker }],
            Totals = sample.Totals with
            {
                MarkerSites = 3, MarkerPaired = 2, MarkerUnpaired = 1, MarkerJumps = 1, MarkerOnSite = 1, MarkerMaxDistance = 5,
                MarkerBytes = 132, MarkerSaveInstructions = 6, MarkerStyleFailed = 1,
            },
        };
    }

    [Fact]
    public void Markdown_three_styles() => Golden.Match("diff/three-styles.md", MarkdownReport.Render(ThreeStyles()));

    [Fact]
    public void Json_three_styles() => Golden.Match("diff/three-styles.json", JsonReport.Render(ThreeStyles()));

    [Fact]
    public void Html_three_styles() => Golden.Match("diff/three-styles.html", HtmlReport.Render(ThreeStyles()));

    /// <summary>A kernel diff: one Kbuild build of two objects, a retpoline load, and the kernel section (one object not reproduced).</summary>
    private static DiffReport KernelSample()
    {
        var macroSite = new SiteRecord("macro", "mm/mprotect.o", ".text", 0x40, "change_pte_range", 0x40, 6, "call", "mmu.ptep_modify_prot_start", null, null);
        var load = new SiteRecord("reloc", "mm/mprotect.o", ".text", 0x38, "change_pte_range", 0x38, 7, "load", "mmu.ptep_modify_prot_start", "R_X86_64_PC32", "retpoline", 1);
        var ops = new[] { new OpVerdict("mmu.ptep_modify_prot_start", 1, 0, 1, 0, "reloc misses 1") };
        var build = new BuildResult("kbuild-linux-6.1.192", "gcc", "12.2.0", "x86_64", "O2", false, null, null, null,
            new ApproachCounts(1, 1, 0, 1, 0, 0, 0, 0, 0, new Dictionary<int, int> { [6] = 1 }, 0, 0),
            new ApproachCounts(0, 0, 0, 1, 1, 1, 0, 0, 0, new Dictionary<int, int>(), 0, 0),
            new RegisterEnvironment(900, 960, 30, 33, 60, 66),
            [new FunctionCost("mm/mprotect.o", "change_pte_range", 900, 960, 30, 33, 60, 66, 1, 0)],
            [macroSite, load], [load], [new RelocTypeCount("R_X86_64_PC32", 1)], null, ops);
        var totals = new DiffTotals(1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 900, 960, 30, 33, 0, 1, 0, 0, 0, 0);
        var kernel = new KernelReport("6.1.192", "linux-source-6.1.tar.xz", "linux-headers-6.1.0-57-amd64/.config",
            ["CONFIG_MODULE_SIG_KEY emptied with scripts/config (it named \"output/signing_key.pem\", a file of the distribution's build that its source package does not have)"],
            "gcc-12 (12.2.0)", "parainstructions",
            [
                new KernelObjectResult("mm/mprotect.o", null, null, null, 27, 27, true, true,
                    [new RecordSectionCount(".parainstructions", 27, 27), new RecordSectionCount(".altinstructions", 96, 96)], [], [], [], []),
                new KernelObjectResult("arch/x86/mm/pgtable.o", null, null, null, 38, 38, false, false,
                    [new RecordSectionCount(".parainstructions", 38, 38)], ["records: 38 in the kernel's build, 38 in the macro drop-in's; first difference at record 0"], [],
                    [], ["arch/x86/mm/pgtable.o: warning: objtool: pgd_alloc+0x1d7: call to pv_ops[61]() leaves .noinstr.text section"]),
            ],
            new KernelEquivalence(2, 1, 1, 65, 65, 0, 1));
        return new DiffReport(DiffReport.SchemaId, "paravirt_patch_template", "pv_ops", ["mm/mprotect.o", "arch/x86/mm/pgtable.o"], [build], ops, totals, kernel);
    }

    [Fact]
    public void Kernel_markdown() => Golden.Match("diff/kernel-sample.md", MarkdownReport.Render(KernelSample()));

    [Fact]
    public void Kernel_json() => Golden.Match("diff/kernel-sample.json", JsonReport.Render(KernelSample()));

    [Fact]
    public void Kernel_html() => Golden.Match("diff/kernel-sample.html", HtmlReport.Render(KernelSample()));

    [Fact]
    public void Markdown() => Golden.Match("diff/sample.md", MarkdownReport.Render(Sample()));

    [Fact]
    public void Json() => Golden.Match("diff/sample.json", JsonReport.Render(Sample()));

    [Fact]
    public void Html() => Golden.Match("diff/sample.html", HtmlReport.Render(Sample()));

    /// <summary>
    /// The JSON is written with source-generated metadata (NativeAOT has no reflection serializer); the goldens were written by
    /// the reflection serializer, and it stays the oracle here: every sample gives the same bytes both ways. The contract's
    /// one rule beyond the names is stated here again on its own: DiffTotals' nullable (marker style) totals are left out when null.
    /// </summary>
    [Fact]
    public void Json_is_what_the_reflection_serializer_writes()
    {
        var resolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver();
        resolver.Modifiers.Add(info =>
        {
            foreach (var property in info.Type == typeof(DiffTotals) ? info.Properties : [])
            {
                if (System.Nullable.GetUnderlyingType(property.PropertyType) is not null)
                {
                    property.ShouldSerialize = (_, value) => value is not null;
                }
            }
        });
        var reflection = new System.Text.Json.JsonSerializerOptions
        {
            TypeInfoResolver = resolver,
            PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        foreach (var report in new[] { Sample(), ThreeStyles(), KernelSample() })
        {
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(report, reflection) + "\n", JsonReport.Render(report));
        }
    }
}
