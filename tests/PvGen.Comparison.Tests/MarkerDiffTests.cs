using System.Text.Json;
using PvGen.TestSupport;

namespace PvGen.Comparison.Tests;

/// <summary>
/// pvgen diff --style macro,plain,marker over the fixture's corpus with every compiler here, both targets, -O0 and -O2: the
/// marker column's counts are recounted from the kept marker objects with readelf (NONE relocations, function sizes).
/// </summary>
public sealed class MarkerDiffTests : IDisposable
{
    private readonly string directory = Repo.TempDir("diff-marker");

    private string KeepBuild => Path.Combine(directory, "build");

    private JsonElement RunDiff(params string[] extra)
    {
        File.WriteAllText(Path.Combine(directory, "tail.c"), DiffFixture.Tail);
        File.WriteAllText(Path.Combine(directory, "reuse.c"), DiffFixture.Reuse);
        string json = Path.Combine(directory, "diff.json");
        string compilers = string.Join(",", Tool.Compilers().Select(Path.GetFileName));
        var run = Tool.Pvgen(["diff", "--config", Repo.Example("linux-5.10-x86_64", "pvgen.json"), "--corpus", "tail.c,reuse.c", "--cc", compilers,
            "--target", "x86_64,i386", "--opt", "O0,O2", "--format", "json", "-o", json, "--keep-build", KeepBuild, "--jobs", "2", .. extra], directory);
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(File.ReadAllText(json)).RootElement.Clone();
    }

    [Fact]
    public void Marker_counts_equal_readelf_on_the_kept_objects()
    {
        var report = RunDiff("--style", "macro,plain,marker");
        int all = 0;
        foreach (var build in report.GetProperty("builds").EnumerateArray())
        {
            string id = build.GetProperty("id").GetString()!;
            var marker = build.GetProperty("marker");
            Assert.Equal(JsonValueKind.Null, marker.GetProperty("error").ValueKind);
            var objects = Directory.GetFiles(Path.Combine(KeepBuild, id, "marker"), "*.o").Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["reuse.o", "tail.o"], objects.Select(o => Path.GetFileName(o)).ToArray());
            int none = objects.Sum(o => Binutils.Relocations(o).Where(t => t.Key.Contains(".text", StringComparison.Ordinal))
                .Sum(t => t.Value.Count(r => r.Type.EndsWith("_NONE", StringComparison.Ordinal) && r.Target.StartsWith("pv_ops", StringComparison.Ordinal))));
            Assert.True(none > 0, $"{id}: no NONE relocations in the marker objects");
            Assert.Equal(none, marker.GetProperty("markers").GetInt32());
            Assert.Equal(none, marker.GetProperty("paired").GetInt32() + marker.GetProperty("unpaired").GetInt32());
            Assert.Equal(none, marker.GetProperty("sites").GetArrayLength());
            long bytes = objects.Sum(o => Binutils.FunctionSizes(o).Values.Sum());
            Assert.Equal(bytes, marker.GetProperty("code_bytes").GetInt64());
            foreach (var site in marker.GetProperty("sites").EnumerateArray().Where(s => s.GetProperty("site_offset").ValueKind == JsonValueKind.Number))
            {
                Assert.Equal(site.GetProperty("site_offset").GetInt64() - site.GetProperty("offset").GetInt64(), site.GetProperty("distance").GetInt64());
            }

            all += none;
        }

        var totals = report.GetProperty("totals");
        Assert.Equal(all, totals.GetProperty("marker_sites").GetInt32());
        Assert.Equal(all - totals.GetProperty("marker_paired").GetInt32(), totals.GetProperty("marker_unpaired").GetInt32());
    }

    [Fact]
    public void Without_marker_the_report_has_no_marker_fields()
    {
        var report = RunDiff("--opt", "O2");
        Assert.False(report.GetProperty("totals").TryGetProperty("marker_sites", out _));
        Assert.All(report.GetProperty("builds").EnumerateArray(), b => Assert.False(b.TryGetProperty("marker", out _)));
        Assert.All(report.GetProperty("builds").EnumerateArray(), b => Assert.False(Directory.Exists(Path.Combine(KeepBuild, b.GetProperty("id").GetString()!, "marker"))));
    }

    [Fact]
    public void A_style_list_without_macro_and_plain_is_a_located_error()
    {
        File.WriteAllText(Path.Combine(directory, "tail.c"), DiffFixture.Tail);
        var run = Tool.Pvgen(["diff", "--config", Repo.Example("linux-5.10-x86_64", "pvgen.json"), "--corpus", "tail.c", "--style", "plain,marker"], directory);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--style must name both", run.Stderr + run.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(KeepBuild));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Leave it for the temp cleaner.
        }
    }
}
