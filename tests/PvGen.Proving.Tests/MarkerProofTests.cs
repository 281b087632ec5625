using System.Text.Json;
using System.Text.RegularExpressions;
using PvGen.TestSupport;

namespace PvGen.Proving.Tests;

/// <summary>
/// `pvgen prove --style marker`: the marker style's objects are annotated at the calls their markers pair with (scan's
/// pairing), linked, run unpatched and patched, and get the verdicts the other styles get. Oracles: readelf's NONE
/// relocations (every marker counted), the corpus source (the one function that bypasses the wrappers), and the programs
/// themselves (patched bytes decoded by objdump against nm, as for the other styles).
/// </summary>
public sealed partial class MarkerProofTests
{
    public static IEnumerable<object[]> Names() => Examples.Names.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Names))]
    public void Marker_style_objects_are_patched_at_their_markers_and_behave_the_same(string example)
    {
        string dir = Repo.TempDir("prove-marker-" + example);
        string json = Path.Combine(dir, "prove.json");
        string keep = Path.Combine(dir, "build");
        var run = Tool.Pvgen(["prove", "--config", Repo.Example(example, "pvgen.json"), "--target", "x86_64,i386", "--style", "marker", "--format", "json", "-o", json,
            "--keep-build", keep, "--jobs", "2"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var builds = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("builds").EnumerateArray().ToList();
        Assert.Equal(2 * Tool.Compilers().Count * 2 * 3, builds.Count); // targets x compilers x -O0,-O2 x formats
        foreach (var build in builds)
        {
            string id = build.GetProperty("id").GetString()!;
            Assert.True(build.GetProperty("verdict").GetString() == "proved", $"{id}: {build}");
            Assert.Equal("marker", build.GetProperty("style").GetString());

            // Every marker counted: readelf's NONE relocations in the objects the program was linked from (only markers make them).
            string target = build.GetProperty("target").GetString()!;
            string objects = Path.Combine(keep, target, "objects", $"marker-{build.GetProperty("compiler").GetString()}-{build.GetProperty("opt").GetString()}");
            int none = Directory.GetFiles(objects, "*.o").Sum(o => NoneRelocation().Count(Tool.Run("readelf", ["-rW", o]).Stdout));
            Assert.True(none > 0, $"{id}: no NONE relocation in {objects}");
            Assert.Equal(none, build.GetProperty("markers").GetInt32());

            // Every marked site is listed, patched or with the reason it stays indirect (at -O0 most calls go through a
            // register the slot was loaded into); alt14 can patch tail jumps too, so at -O2 its programs run patched sites.
            var sites = build.GetProperty("sites").EnumerateArray().ToList();
            Assert.True(sites.Any(s => s.GetProperty("reason").GetString() != "unmarked"), $"{id}: {none} markers but no site listed");
            Assert.Equal(0, build.GetProperty("refused").GetInt32());
            if (build.GetProperty("opt").GetString() == "O2" && build.GetProperty("format").GetString() == "alt14")
            {
                Assert.True(build.GetProperty("patched").GetInt32() > 0 && build.GetProperty("sites_executed").GetInt32() > 0, id);
            }

            // What no marker describes is the corpus code that bypasses the wrappers (pgtable_loop.c: remap_cached), nothing else.
            Assert.All(sites.Where(s => s.GetProperty("reason").GetString() == "unmarked"),
                s => Assert.StartsWith("remap_cached+", s.GetProperty("function").GetString(), StringComparison.Ordinal));
            Assert.Equal(build.GetProperty("markers_unpaired").GetInt32(), sites.Count(s => s.GetProperty("reason").GetString() == "marker-unpaired"));

            if (build.GetProperty("opt").GetString() == "O2" && build.GetProperty("compiler").GetString() == "gcc")
            {
                ExampleProofTests.CheckWithBinutils(Path.Combine(keep, target, "builds", id, "prove.elf"), target, build.GetProperty("format").GetString()!,
                    build.GetProperty("records").GetInt32());
            }
        }
    }

    /// <summary>
    /// A marker that no call follows (a stray asm statement of the corpus) is reported as a site left indirect with scan's
    /// reason, counted, and changes no verdict; the wrappers' markers around it are still patched.
    /// </summary>
    [Fact]
    public void An_unpaired_marker_is_reported_not_skipped()
    {
        string dir = Repo.TempDir("prove-marker-unpaired");
        string corpus = Path.Combine(dir, "stray.c");
        File.WriteAllText(corpus, """
            void stray_marker(void) { __asm__ __volatile__(".reloc 1f, R_X86_64_NONE, toy_ops+16\n1:"); }
            unsigned long flags_roundtrip(void) { unsigned long f = pv_irq_save_fl(); pv_irq_irq_disable(); pv_irq_restore_fl(f); return f; }
            """);
        string json = Path.Combine(dir, "prove.json");
        string keep = Path.Combine(dir, "build");
        var run = Tool.Pvgen(["prove", Repo.Example("toy", "toy_ops.h"), "--struct", "toy_ops", "--corpus", corpus, "--target", "x86_64", "--cc", "gcc", "--opt", "O2",
            "--style", "marker", "--record-format", "para16", "--format", "json", "-o", json, "--keep-build", keep]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var build = Assert.Single(JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("builds").EnumerateArray());
        Assert.Equal("proved", build.GetProperty("verdict").GetString());
        Assert.Equal(1, build.GetProperty("markers_unpaired").GetInt32());
        var sites = build.GetProperty("sites").EnumerateArray().ToList();
        var stray = Assert.Single(sites, s => s.GetProperty("reason").GetString() == "marker-unpaired");
        Assert.Equal("marker", stray.GetProperty("kind").GetString());
        Assert.Equal("indirect", stray.GetProperty("state").GetString());
        Assert.Contains("stray_marker+", stray.GetProperty("function").GetString(), StringComparison.Ordinal);
        Assert.Contains("no call or jmp through table offset 0x10", stray.GetProperty("explanation").GetString(), StringComparison.Ordinal);

        // readelf sees the stray marker beside the wrappers' ones, and the corpus calls next to it are patched and ran.
        int none = Directory.GetFiles(Path.Combine(keep, "x86_64", "objects", "marker-gcc-O2"), "*.o").Sum(o => NoneRelocation().Count(Tool.Run("readelf", ["-rW", o]).Stdout));
        Assert.Equal(none, build.GetProperty("markers").GetInt32());
        var mine = sites.Where(s => s.GetProperty("function").GetString()!.StartsWith("flags_roundtrip+", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, mine.Count);
        Assert.All(mine, s => Assert.Equal(1, s.GetProperty("executions").GetInt32()));
        Assert.Equal(3, mine.Count(s => s.GetProperty("state").GetString() is "patched-call" or "native"));
    }

    [GeneratedRegex(@"R_(X86_64|386)_NONE")]
    private static partial Regex NoneRelocation();
}
