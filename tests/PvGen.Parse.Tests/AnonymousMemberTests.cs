using PvGen.Model;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Parse.Tests;

/// <summary>
/// Anonymous struct members hold ops like any group: C names them as members of the enclosing record, so their paths
/// keep the enclosing prefix, and their offsets are proved by gcc's offsetof. An anonymous union of function pointers
/// is refused with its location, never dropped.
/// </summary>
public sealed class AnonymousMemberTests
{
    private const string Header = """
        struct anon_ops {
        	void (*first)(void);
        	struct {
        		void (*inner_a)(int x);
        		struct { char pad; unsigned long (*deeper)(void); };
        	};
        	union { long raw; unsigned char bytes[8]; };
        	struct {
        		void (*named_a)(void);
        	} named;
        	void (*last)(void);
        };
        """;

    [Fact]
    public void Ops_inside_anonymous_members_are_modeled_with_the_compiler_s_offsets()
    {
        string dir = Repo.TempDir("anon");
        string header = Path.Combine(dir, "anon.h");
        File.WriteAllText(header, Header);
        var result = Parsing.Source(Header, "anon_ops", file: "anon.h");
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        var model = result.Model!;

        Assert.Equal(["first", "inner_a", "deeper", "named.named_a", "last"], model.Ops.Select(o => o.Path));
        Assert.Equal([("pad", 16L, "char"), ("raw", 32L, "union (anonymous)")], model.Data.Select(d => (d.Path, d.Offset, d.Type)));
        Assert.Contains(result.Diagnostics, d => d.Id == DiagnosticIds.UnionMember && d.Severity == Severity.Warning && d.Location!.Line == 7);

        foreach (string compiler in Tool.Compilers())
        {
            var probe = LayoutTests.CompileProbe(LayoutProbe.For(model, header), "x86_64", compiler, []);
            Assert.True(probe.ExitCode == 0, $"{compiler}: {probe.Stderr}");
        }
    }

    [Fact]
    public void A_struct_of_only_anonymous_members_has_its_ops()
    {
        var result = Parsing.Source("struct only { struct { void (*a)(void); }; struct { void (*b)(long); }; };\n", "only");
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Equal([("a", 0L), ("b", 8L)], result.Model!.Ops.Select(o => (o.Path, o.Offset)));
    }

    [Fact]
    public void An_anonymous_union_of_function_pointers_is_an_error_at_its_line()
    {
        var result = Parsing.Source("struct u {\n  void (*a)(void);\n  union { void (*b)(void); long c; };\n};\n", "u");
        Assert.False(result.Succeeded);
        var error = Assert.Single(result.Diagnostics, d => d.Severity == Severity.Error);
        Assert.Equal(DiagnosticIds.UnionMember, error.Id);
        Assert.Equal(3, error.Location!.Line);
    }
}
