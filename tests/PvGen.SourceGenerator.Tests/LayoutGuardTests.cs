using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.SourceGenerator.Tests;

/// <summary>The layout guards pass on generated code and fail on tampered code, at compile time and at run time.</summary>
public sealed class LayoutGuardTests
{
    private static string Generated(string example, string target) =>
        GeneratorHarness.Run(new ModelFileItem($"/models/{example}.pvgen.json", Models.Json(example, target), Namespace: "PvGen.Examples"))
            .GeneratedSources.Single().SourceText.ToString();

    public static IEnumerable<object[]> X86_64Examples() => Examples.Names.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(X86_64Examples))]
    public void VerifyLayout_passes_for_every_x86_64_model(string example)
    {
        string source = Generated(example, "x86_64");
        Assert.Null(InvokeVerifyLayout(source));
    }

    [Fact]
    public void Compile_time_guard_rejects_an_offset_that_disagrees_with_the_slot()
    {
        string source = Generated("toy", "x86_64");
        string tampered = Replace(source, "public const int mmu_set_pte = 40;", "public const int mmu_set_pte = 44;");

        var errors = GeneratorHarness.Compilation(tampered).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Equal("CS0031", e.Id));
        string Line(Diagnostic d) => d.Location.SourceTree!.GetText().Lines[d.Location.GetLineSpan().StartLinePosition.Line].ToString();
        Assert.Contains(errors, e => Line(e).Contains("LayoutGuard_mmu_set_pte =", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_time_guard_rejects_ops_out_of_order()
    {
        string source = Generated("toy", "x86_64");
        string tampered = Replace(Replace(source, "mmu_flush_tlb_one = 48;", "mmu_flush_tlb_one = 40;"), "mmu_flush_tlb_one = 6,", "mmu_flush_tlb_one = 5,");

        var errors = GeneratorHarness.Compilation(tampered).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.Equal("CS0031", Assert.Single(errors).Id);
    }

    [Fact]
    public void VerifyLayout_reports_a_field_at_the_wrong_offset_with_its_path()
    {
        string source = Generated("toy", "x86_64");
        string tampered = Replace(
            source,
            "[global::System.Runtime.InteropServices.FieldOffset(8)]\n            public delegate* unmanaged<nuint, void> restore_fl;",
            "[global::System.Runtime.InteropServices.FieldOffset(16)]\n            public delegate* unmanaged<nuint, void> restore_fl;");

        string? problem = InvokeVerifyLayout(tampered);
        Assert.Equal("irq.restore_fl is at offset 16, the C struct has it at 8.", problem);
    }

    [Fact]
    public void VerifyLayout_reports_a_wrong_size()
    {
        string tampered = Replace(Generated("toy", "x86_64"), "LayoutKind.Explicit, Size = 64)]", "LayoutKind.Explicit, Size = 72)]");
        Assert.Equal("sizeof(ToyOps) is 72, the C struct has 64 bytes.", InvokeVerifyLayout(tampered));
    }

    [SkippableFact]
    public void VerifyLayout_refuses_i386_bindings_in_a_64_bit_process()
    {
        Skip.If(IntPtr.Size != 8, "needs a 64-bit process");
        string? problem = InvokeVerifyLayout(Generated("toy", "i386"));
        Assert.Equal("ToyOps describes a table laid out for i386 with 4-byte pointers; this process has 8-byte pointers.", problem);
    }

    private static string Replace(string text, string find, string replacement)
    {
        Assert.Contains(find, text, StringComparison.Ordinal);
        return text.Replace(find, replacement, StringComparison.Ordinal);
    }

    /// <summary>Compiles and loads the bindings, calls VerifyLayout; null when it passes, else its message.</summary>
    private static string? InvokeVerifyLayout(string source)
    {
        var context = new AssemblyLoadContext("pvgen-layout", isCollectible: true);
        try
        {
            var assembly = GeneratorHarness.Load(context, source);
            var type = assembly.GetTypes().Single(t => t.GetMethod("VerifyLayout", BindingFlags.Public | BindingFlags.Static) is not null && !t.IsNested);
            try
            {
                type.GetMethod("VerifyLayout")!.Invoke(null, null);
                return null;
            }
            catch (TargetInvocationException e) when (e.InnerException is InvalidOperationException inner)
            {
                return inner.Message;
            }
        }
        finally
        {
            context.Unload();
        }
    }
}
