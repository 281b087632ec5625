using System.Text.Json;
using PvGen.Model.Json;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Binary.Tests;

/// <summary><c>pvgen scan</c> as a user runs it: formats, exit codes, output files.</summary>
public sealed class CliTests
{
    /// <summary>Hand-written so the bytes (and so the golden files) do not depend on the compiler version.</summary>
    private const string Annotated = """
            .text
            .globl f
            .type f, @function
        f:
            push %rbx
        771: call *pv_ops+16(%rip)
        772: jmp *pv_ops+40(%rip)
            .size f, .-f
            .globl g
            .type g, @function
        g:
            mov pv_ops+48(%rip), %rbx
            call *%rbx
            lea pv_ops+8(%rip), %rax
            ret
            .size g, .-g
            .pushsection .parainstructions, "a"
            .balign 8
            .quad 771b
            .byte 2
            .byte 772b-771b
            .short 0x1ff
            .popsection

        """;

    /// <summary>The 6.8+ form: two DIRECT_CALL sites, one with a native alternative, and one ordinary CPU-feature alternative.</summary>
    private const string DirectCall = """
            .text
            .globl f
            .type f, @function
        f:
        771: call *pv_ops+16(%rip)
        772: call *pv_ops+296(%rip)
        773: clac
        774: ret
            .size f, .-f
            .pushsection .altinstructions, "a"
            .long 771b - .
            .long 781f - .
            .4byte 0x00020075
            .byte 772b-771b
            .byte 782f-781f
            .long 771b - .
            .long 782f - .
            .4byte 0x00010110
            .byte 772b-771b
            .byte 783f-782f
            .long 772b - .
            .long 783f - .
            .4byte 0x00020075
            .byte 773b-772b
            .byte 784f-783f
            .long 773b - .
            .long 784f - .
            .4byte 0x00000134
            .byte 774b-773b
            .byte 785f-784f
            .popsection
            .pushsection .altinstr_replacement, "ax"
        781: call BUG_func
        782: pushf; pop %rax
        783: call BUG_func
        784: nop; nop; nop
        785:
            .popsection

        """;

    [Theory]
    [InlineData("json", "direct_call.json")]
    [InlineData("table", "direct_call.txt")]
    public void DirectCallRecordsMatchTheirGoldenFiles(string format, string golden)
    {
        string dir = Repo.TempDir("scan-direct-call");
        string obj = Build.Compile("direct_call.s", DirectCall, ["-c", "-m64"]);
        File.Copy(obj, Path.Combine(dir, "direct_call.o"));

        var run = Tool.Pvgen(["scan", "direct_call.o", "--format", format], dir);

        Assert.True(run.ExitCode == 0, run.ToString());
        Golden.Match($"scan/{golden}", run.Stdout);
    }

    private static (string Dir, string Object) AnnotatedObject()
    {
        string obj = Build.Compile("annotated.s", Annotated, ["-c", "-m64"]);
        return (Path.GetDirectoryName(obj)!, Path.GetFileName(obj));
    }

    [Fact]
    public void JsonFollowsTheScanContract()
    {
        var (dir, obj) = AnnotatedObject();
        File.WriteAllText(Path.Combine(dir, "junk.o"), "junk");
        var model = Path.Combine(dir, "mini.pvgen.json");
        File.WriteAllText(model, ModelJson.Serialize(TestModels.MiniPvOps(PvGen.Model.Target.X86_64)));

        var run = Tool.Pvgen(["scan", obj, "junk.o", "--format", "json", "--model", "mini.pvgen.json"], dir);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("junk.o: error: not an ELF object or ar archive [PVG0401]", run.Stderr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.Equal("pvgen.scan/1", root.GetProperty("schema").GetString());
        Assert.Equal("summary", root.EnumerateObject().Last().Name);
        var files = root.GetProperty("files");
        Assert.Equal(2, files.GetArrayLength());
        Assert.Equal(JsonValueKind.Null, files[0].GetProperty("error").ValueKind);
        Assert.Equal("not an ELF object or ar archive", files[1].GetProperty("error").GetString());
        var call = files[0].GetProperty("sites")[0];
        foreach (string field in new[] { "section", "offset", "length", "kind", "target_offset", "slot", "op", "function", "reloc_type", "annotated" })
        {
            Assert.True(call.TryGetProperty(field, out _), $"site lacks '{field}'");
        }

        Assert.Equal(("call", 16, "irq.irq_disable", "f+0x1", true), (call.GetProperty("kind").GetString(), call.GetProperty("target_offset").GetInt32(), call.GetProperty("op").GetString(), call.GetProperty("function").GetString(), call.GetProperty("annotated").GetBoolean()));
        var annotation = files[0].GetProperty("annotations")[0];
        Assert.Equal((1, 2, 6, 0x1ff), (annotation.GetProperty("offset").GetInt32(), annotation.GetProperty("type").GetInt32(), annotation.GetProperty("length").GetInt32(), annotation.GetProperty("clobbers").GetInt32()));
        var summary = root.GetProperty("summary");
        Assert.Equal((2, 1, 4, 1), (summary.GetProperty("objects").GetInt32(), summary.GetProperty("errors").GetInt32(), summary.GetProperty("sites").GetInt32(), summary.GetProperty("unannotated_calls").GetInt32()));
    }

    [Theory]
    [InlineData("json", "annotated.json")]
    [InlineData("c", "annotated.c")]
    [InlineData("asm", "annotated.S")]
    [InlineData("table", "annotated.txt")]
    public void EachFormatMatchesItsGoldenFile(string format, string golden)
    {
        var (dir, obj) = AnnotatedObject();

        var run = Tool.Pvgen(["scan", obj, "--format", format], dir);

        Assert.True(run.ExitCode == 0, run.ToString());
        Golden.Match($"scan/{golden}", run.Stdout);
    }

    [Theory]
    [InlineData("c", "sites.c")]
    [InlineData("asm", "sites.S")]
    public void SiteTablesCompile(string format, string file)
    {
        var (dir, obj) = AnnotatedObject();
        Assert.Equal(0, Tool.Pvgen(["scan", obj, "--format", format, "-o", file], dir).ExitCode);

        var compile = Tool.Run("gcc", ["-c", "-m64", file, "-o", "sites.o"], dir);

        Assert.True(compile.ExitCode == 0, compile.ToString());
    }

    [Fact]
    public void OutputFileIsWrittenAtomicallyAndOnlyWhenItChanges()
    {
        var (dir, obj) = AnnotatedObject();
        string[] args = ["scan", obj, "--format", "json", "-o", "out/sites.json"];

        Assert.Equal(0, Tool.Pvgen(args, dir).ExitCode);
        string output = Path.Combine(dir, "out", "sites.json");
        var stamp = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(output, stamp);
        Assert.Equal(0, Tool.Pvgen(args, dir).ExitCode);

        Assert.Equal(stamp, File.GetLastWriteTimeUtc(output));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "out"), "*.tmp"));
        JsonDocument.Parse(File.ReadAllText(output)).Dispose();
    }

    [Fact]
    public void AMissingInputIsAUsageErrorWithNoOutput()
    {
        var run = Tool.Pvgen(["scan", "/nonexistent/dir", "--format", "json"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("[PVG0001]", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(run.Stdout);
    }

    [Fact]
    public void DirectoriesAndArchivesFromTheCommandLine()
    {
        var (dir, obj) = AnnotatedObject();
        Assert.Equal(0, Tool.Run("ar", ["rcs", "lib.a", obj], dir).ExitCode);

        var run = Tool.Pvgen(["scan", ".", "--format", "json", "--jobs", "3"], dir);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal(["./annotated.o", "./lib.a(annotated.o)"], json.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));
    }
}
