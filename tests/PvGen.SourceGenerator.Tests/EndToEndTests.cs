extern alias csgen;

using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.Model.Json;
using PvGen.TestSupport;
using Xunit;
using CSharpEmitter = csgen::PvGen.CSharpBindings.CSharpEmitter;
using CSharpOptions = csgen::PvGen.CSharpBindings.CSharpOptions;

namespace PvGen.SourceGenerator.Tests;

/// <summary>
/// Real gcc, real shared libraries, real calls: C# calls every op through the generated struct with distinct
/// values, and the C side's records say exactly those values arrived; return values (64-bit, struct) come back intact.
/// </summary>
public sealed class EndToEndTests
{
    private static string Native(string file) => Path.Combine(AppContext.BaseDirectory, "Native", file);

    private static void RequireX86_64AndGcc()
    {
        Skip.IfNot(RuntimeInformation.ProcessArchitecture == Architecture.X64 && OperatingSystem.IsLinux(), "the end-to-end ABI test runs on x86_64 Linux only");
        Skip.If(Tool.Find("gcc") is null, "gcc is not installed");
    }

    [SkippableFact]
    public void Toy_table_from_gcc_receives_exactly_what_csharp_passes()
    {
        RequireX86_64AndGcc();
        string dir = Repo.TempDir("csharp-e2e-toy");
        string library = Compile(dir, "libtoy.so", Native("toy_backend.c"), Repo.Example("toy"));
        string source = Generate(Models.Parse(Examples.ParseRequest("toy", "x86_64")), "ToyOps");

        string failures = RunHarness(library, source, ToyHarness);
        Assert.True(failures.Length == 0, failures);
    }

    [SkippableFact]
    public void Struct_returns_stack_arguments_and_narrow_integers_cross_the_abi_intact()
    {
        RequireX86_64AndGcc();
        string dir = Repo.TempDir("csharp-e2e-abi");
        string library = Compile(dir, "libabi.so", Native("abi_backend.c"), Path.GetDirectoryName(Native("abi_ops.h"))!);
        var config = new OpsConfig(null, new Dictionary<string, OpConfig> { ["save_fl"] = new() { Signature = "unsigned long (void)" } });
        string source = Generate(Models.Parse(new PvGen.Clang.ParseRequest { HeaderPath = Native("abi_ops.h"), StructName = "abi_ops", Symbol = "abi_ops", Config = config }), "AbiOps");

        string failures = RunHarness(library, source, AbiHarness);
        Assert.True(failures.Length == 0, failures);
    }

    private static string Compile(string dir, string name, string source, string includeDir)
    {
        string output = Path.Combine(dir, name);
        var gcc = Tool.Run("gcc", ["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-I", includeDir, "-o", output, source]);
        Assert.True(gcc.ExitCode == 0, gcc.ToString());
        return output;
    }

    /// <summary>The model goes through its JSON form, exactly as the generator and the CLI see it.</summary>
    private static string Generate(OpsModel model, string typeName)
    {
        var genModel = Models.ForGenerator(ModelJson.Serialize(model));
        return CSharpEmitter.Emit(genModel, CSharpOptions.For(genModel, "PvGen.EndToEnd", typeName));
    }

    private static string RunHarness(string library, string generated, string harness)
    {
        var context = new AssemblyLoadContext("pvgen-e2e", isCollectible: true);
        try
        {
            var assembly = GeneratorHarness.Load(context, generated, harness);
            var run = assembly.GetType("PvGen.EndToEnd.Harness")!.GetMethod("Run", BindingFlags.Public | BindingFlags.Static)!;
            return (string)run.Invoke(null, [library])!;
        }
        finally
        {
            context.Unload();
        }
    }

    private const string ToyHarness = """
        using System.Collections.Generic;
        using System.Runtime.InteropServices;

        namespace PvGen.EndToEnd;

        public static unsafe class Harness
        {
            // nint/nuint constants are 64-bit here; the helpers keep the compiler from warning that they might not be.
            private static nuint U(ulong value) => (nuint)value;

            private static nint S(long value) => (nint)value;

            public static string Run(string library)
            {
                var failures = new List<string>();
                nint handle = NativeLibrary.Load(library);
                void* G(string name) => (void*)NativeLibrary.GetExport(handle, name);
                void Check<T>(string what, T expected, T actual) where T : unmanaged
                {
                    if (!EqualityComparer<T>.Default.Equals(expected, actual)) failures.Add($"{what}: expected {expected}, got {actual}");
                }

                ToyOps.VerifyLayout();
                ToyOps* t = ToyOps.At(NativeLibrary.GetExport(handle, "toy_ops"));

                *(nuint*)G("toy_next_flags") = U(0x8000000000000246UL);
                Check("irq.save_fl return", U(0x8000000000000246UL), t->irq.save_fl());
                t->irq.restore_fl(U(0x1111222233334444UL));
                Check("irq.restore_fl flags", U(0x1111222233334444UL), *(nuint*)G("toy_seen_flags"));
                t->irq.irq_disable();
                t->irq.irq_enable();
                t->mmu.write_cr3(U(0x00000001_2345_6000UL));
                Check("mmu.write_cr3 val", U(0x00000001_2345_6000UL), *(nuint*)G("toy_seen_cr3"));
                ToyOps.Pte slot = default;
                t->mmu.set_pte(&slot, new ToyOps.Pte(0xfedc_ba98_7654_3210UL));
                Check("mmu.set_pte ptep", (nint)(&slot), (nint)(*(void**)G("toy_seen_ptep")));
                Check("mmu.set_pte pte", 0xfedc_ba98_7654_3210UL, ((ToyOps.Pte*)G("toy_seen_pte"))->Value);
                Check("mmu.set_pte store", 0xfedc_ba98_7654_3210UL, slot.Value);
                t->mmu.flush_tlb_one(U(0xffff_8880_0000_1000UL));
                Check("mmu.flush_tlb_one addr", U(0xffff_8880_0000_1000UL), *(nuint*)G("toy_seen_flush_addr"));
                *(ulong*)G("toy_next_tsc") = 0x0123_4567_89ab_cdefUL;
                Check("read_tsc return", 0x0123_4567_89ab_cdefUL, t->read_tsc());

                int* calls = (int*)G("toy_calls");
                foreach (var op in ToyOps.Ops)
                {
                    Check(op.Path + " calls", 1, calls[(int)op.Slot]);
                }

                return string.Join("\n", failures);
            }
        }
        """;

    private const string AbiHarness = """
        using System.Collections.Generic;
        using System.Runtime.InteropServices;

        namespace PvGen.EndToEnd;

        public static unsafe class Harness
        {
            // nint/nuint constants are 64-bit here; the helpers keep the compiler from warning that they might not be.
            private static nuint U(ulong value) => (nuint)value;

            private static nint S(long value) => (nint)value;

            public static string Run(string library)
            {
                var failures = new List<string>();
                nint handle = NativeLibrary.Load(library);
                void* G(string name) => (void*)NativeLibrary.GetExport(handle, name);
                void Check<T>(string what, T expected, T actual) where T : unmanaged
                {
                    if (!EqualityComparer<T>.Default.Equals(expected, actual)) failures.Add($"{what}: expected {expected}, got {actual}");
                }

                AbiOps.VerifyLayout();
                AbiOps* t = AbiOps.At(NativeLibrary.GetExport(handle, "abi_ops"));

                Check("make_pte return (rax struct)", 0x8000_0000_dead_b000UL, (ulong)t->make_pte(U(0x8000_0000_dead_b000UL)).Value);
                Check("pte_val return", U(0x0000_7fff_0000_1067UL), t->pte_val(new AbiOps.Pte(0x0000_7fff_0000_1067UL)));
                Check("pte_val arg", U(0x0000_7fff_0000_1067UL), *(nuint*)G("abi_seen_pte"));

                AbiOps.Pair pair = t->math.make_pair(0x1111_1111_1111_1111UL, 0x2222_2222_2222_2222UL);
                Check("make_pair lo (rax)", 0x1111_1111_1111_1111UL, pair.Word0);
                Check("make_pair hi (rdx)", 0x2222_2222_2222_2222UL, pair.Word1);

                AbiOps.Triple triple = t->math.make_triple(0xa1UL << 56, 0xb2UL << 48, 0xc3UL << 40);
                Check("make_triple a (hidden pointer)", 0xa1UL << 56, triple.Word0);
                Check("make_triple b", 0xb2UL << 48, triple.Word1);
                Check("make_triple c", 0xc3UL << 40, triple.Word2);
                Check("make_triple arg c", 0xc3UL << 40, ((ulong*)G("abi_seen_u64"))[2]);

                AbiOps.Pair swapped = t->math.swap(new AbiOps.Pair(0x3333_0000_0000_0001UL, 0x4444_0000_0000_0002UL));
                Check("swap arg lo", 0x3333_0000_0000_0001UL, ((ulong*)G("abi_seen_pair"))[0]);
                Check("swap arg hi", 0x4444_0000_0000_0002UL, ((ulong*)G("abi_seen_pair"))[1]);
                Check("swap return lo", 0x4444_0000_0000_0002UL, swapped.Word0);
                Check("swap return hi", 0x3333_0000_0000_0001UL, swapped.Word1);

                AbiOps.MmStruct* mm = (AbiOps.MmStruct*)0x0000_5555_dead_beefUL;
                ulong mixed = t->mix(0xa5, 0xbeef, 0xdead_beefu, 0x0102_0304_0506_0708UL, -123456, S(-0x0a0b_0c0d_0e0fL), 1, mm, (sbyte)-7);
                Check("mix a (u8)", (byte)0xa5, *(byte*)G("abi_seen_a"));
                Check("mix b (u16)", (ushort)0xbeef, *(ushort*)G("abi_seen_b"));
                Check("mix c (u32)", 0xdead_beefu, *(uint*)G("abi_seen_c"));
                Check("mix d (u64)", 0x0102_0304_0506_0708UL, *(ulong*)G("abi_seen_d"));
                Check("mix e (int)", -123456, *(int*)G("abi_seen_e"));
                Check("mix f (long, 6th register)", S(-0x0a0b_0c0d_0e0fL), *(nint*)G("abi_seen_f"));
                Check("mix g (_Bool, stack)", (byte)1, *(byte*)G("abi_seen_g"));
                Check("mix mm (pointer, stack)", (nint)mm, (nint)(*(void**)G("abi_seen_mm")));
                Check("mix h (signed char, stack)", (sbyte)-7, *(sbyte*)G("abi_seen_h"));
                Check("mix return", 0x0102_0304_0506_0708UL ^ unchecked((ulong)(-0x0a0b_0c0d_0e0fL)), mixed);

                // Callee-save: the slot is void*, the typed accessor calls the thunk.
                Check("save_fl (callee-save, typed accessor)", U(0x246), t->save_fl_func());
                Check("unknown (callee-save, no signature) is the same thunk", (nint)t->save_fl, (nint)t->unknown);
                Check("flags", (int)(AbiOps.OpFlags.CalleeSave | AbiOps.OpFlags.SignatureUnknown), (int)AbiOps.Ops[(int)AbiOps.Slot.unknown].Flags);
                return string.Join("\n", failures);
            }
        }
        """;
}
