using System.Buffers.Binary;
using LibObjectFile.Elf;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Binary.Tests;

/// <summary>Archives, directories, linked executables and every kind of bad input: one result or one error per object, never a crash.</summary>
public sealed class InputTests
{
    private const string Source = """
        struct ops { void (*a)(void); void (*b)(void); };
        extern struct ops pv_ops;
        void use(void);
        void f(void) { pv_ops.b(); use(); }
        """;

    [Fact]
    public void ArchivesYieldEachMemberAndOddMembersAreErrors()
    {
        string a = Build.Compile("a.c", Source, Build.KernelFlags("x86_64"));
        string b = Build.Compile("b.c", "void g(void) {}\n", Build.KernelFlags("x86_64"));
        string dir = Path.GetDirectoryName(a)!;
        File.Copy(b, Path.Combine(dir, "b.o"));
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not an object\n");
        string archive = Path.Combine(dir, "lib.a");
        Assert.Equal(0, Tool.Run("ar", ["rcs", archive, "a.o", "b.o", "notes.txt"], dir).ExitCode);

        var results = ObjectScanner.ScanFile(archive, new ScanOptions());

        Assert.Equal([$"{archive}(a.o)", $"{archive}(b.o)", $"{archive}(notes.txt)"], results.Select(r => r.Path));
        Assert.Equal((SiteKind.Call, 8L), (Assert.Single(results[0].Sites).Kind, results[0].Sites[0].TargetOffset));
        Assert.True(results[1].Skipped);
        Assert.Null(results[1].Error);
        Assert.Equal("archive member is not an ELF object", results[2].Error);
    }

    [Fact]
    public void DirectoriesAreSearchedRecursivelyForObjectsInOrder()
    {
        string a = Build.Compile("a.c", Source, Build.KernelFlags("x86_64"));
        string root = Path.GetDirectoryName(a)!;
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        File.Copy(a, Path.Combine(root, "sub", "m.ko"));
        File.WriteAllText(Path.Combine(root, "sub", "readme.txt"), "skip me");

        var files = ObjectScanner.ExpandInputs([root]);

        Assert.Equal([a, Path.Combine(root, "sub", "m.ko")], files);
    }

    [Fact]
    public void LinkedExecutablesWithEmitRelocsUseSectionRelativeOffsets()
    {
        string obj = Build.Compile("linked.c", Source + "struct ops pv_ops; void use(void) {}\nvoid _start(void) { f(); }\n", Build.KernelFlags("x86_64"));
        string exe = Path.ChangeExtension(obj, ".elf");
        var link = Tool.Run("ld", ["--emit-relocs", "-o", exe, obj]);
        Assert.True(link.ExitCode == 0, link.ToString());

        var scanned = Build.ScanOne(exe);
        var fromObject = Build.ScanOne(obj);

        // gcc also inlines f into _start: one site per copy.
        var site = scanned.Sites.Single(s => s.FunctionSymbol == "f");
        Assert.Equal((fromObject.Sites[0].Kind, 8L, ".text"), (site.Kind, site.TargetOffset, site.Section));
        Build.AssertSameAsObjdump(exe, scanned, linked: true);
        Assert.Equal(fromObject.Sites[0].FunctionOffset, site.FunctionOffset);
        Assert.Equal("f", site.FunctionSymbol);
    }

    /// <summary>
    /// A linked file's REL fields (i386) hold the resolved value, not the addend: the scanner and the record reader take
    /// the linker's share back out, so a linked executable reads like its objects (slot, and each record's site).
    /// </summary>
    [Theory]
    [InlineData("x86_64", "para16")]
    [InlineData("i386", "para8")]
    [InlineData("i386", "para6")]
    [InlineData("i386", "alt14")]
    public void LinkedExecutablesReadLikeTheirObjects(string arch, string format)
    {
        string obj = Build.Compile("linked.c", Source + "struct ops pv_ops; void use(void) {}\nvoid _start(void) { f(); }\nvoid BUG_func(void) {}\n", [.. Build.KernelFlags(arch), "-fno-optimize-sibling-calls"]);
        var annotated = Annotating.ObjectAnnotator.Annotate(obj, new Annotating.AnnotateOptions(new ScanOptions(), X86.Records.RecordFormats.Find(format), new HashSet<int>()));
        Assert.True(annotated.Error is null, annotated.Error);
        File.WriteAllBytes(obj, annotated.Output!);
        string exe = Path.ChangeExtension(obj, ".elf");
        var link = Tool.Run("ld", [arch == "x86_64" ? "-melf_x86_64" : "-melf_i386", "--emit-relocs", "-o", exe, obj]);
        Assert.True(link.ExitCode == 0, link.ToString());

        var scanned = Build.ScanOne(exe);
        Build.AssertSameAsObjdump(exe, scanned, linked: true);
        int pointer = arch == "x86_64" ? 8 : 4;
        Assert.All(scanned.Sites, s => Assert.Equal(pointer, s.TargetOffset)); // pv_ops.b, wherever the linker put pv_ops
        Assert.Equal(scanned.Sites.Select(s => (s.Section, s.Offset)).Order(), scanned.Annotations.Select(a => (a.Section, a.Offset)).Order());
        Assert.All(scanned.Annotations, a => Assert.True(a.HasSite));
    }

    public static TheoryData<string> Arches => new() { "x86_64", "i386" };

    /// <summary>A linkable program (it defines the table and _start) with a site of every kind: call, jmp, load, address and other.</summary>
    internal const string EveryKindOfReference = """
        struct ops { void (*a)(void); void (*b)(unsigned long); void (*c)(int); void (*d)(void); };
        struct ops pv_ops;
        void use(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }
        void plain(void) { pv_ops.a(); use(0); }
        void tail(unsigned long x) { pv_ops.b(x); }
        void loop(int n) { void (*f)(int) = pv_ops.c; for (int i = 0; i < n; i++) f(i); }
        void taken(void) { use(&pv_ops.c); }
        void store(void) { pv_ops.d = plain; }
        void _start(void) { plain(); tail(1); loop(2); taken(); store(); }
        """;

    /// <summary>
    /// A linked executable without relocations (what a 6.5+ vmlinux is): its sites come from decoded operands that resolve
    /// into the table's .symtab range, and they are the sites the linker's own relocations (--emit-relocs) give, field for field.
    /// </summary>
    [Theory]
    [MemberData(nameof(Arches))]
    public void LinkedExecutablesWithoutRelocationsAreScannedFromOperands(string arch)
    {
        string obj = Build.Compile($"operands-{arch}.c", EveryKindOfReference, Build.KernelFlags(arch));
        string with = Path.ChangeExtension(obj, ".with");
        string without = Path.ChangeExtension(obj, ".without");
        string emulation = arch == "x86_64" ? "elf_x86_64" : "elf_i386";
        Assert.Equal(0, Tool.Run("ld", ["-m", emulation, "--emit-relocs", "-o", with, obj]).ExitCode);
        Assert.Equal(0, Tool.Run("ld", ["-m", emulation, "-o", without, obj]).ExitCode);

        var relocated = Build.ScanOne(with);
        var fromOperands = Build.ScanOne(without);
        var forced = Build.ScanOne(with, new ScanOptions { SiteDiscovery = SiteDiscovery.Operands });
        var relocationsOnly = Build.ScanOne(without, new ScanOptions { SiteDiscovery = SiteDiscovery.Relocations });

        Assert.Equal(SiteSource.Relocations, relocated.SitesFrom);
        Assert.Equal(SiteSource.Operands, fromOperands.SitesFrom);
        Build.AssertSameAsObjdump(with, relocated, linked: true);
        Assert.Equal(["address", "call", "jmp", "load", "other"], relocated.Sites.Select(s => Build.KindName(s.Kind)).Distinct().Order());
        Assert.Equal(relocated.Sites.Select(s => s with { RelocType = null }), fromOperands.Sites);
        Assert.Equal(relocated.Sites.Select(s => s with { RelocType = null }), forced.Sites);
        Assert.All(fromOperands.Sites, s => Assert.Null(s.RelocType));
        Assert.Empty(relocationsOnly.Sites);
    }

    [Theory]
    [InlineData("empty", "empty file")]
    [InlineData("text", "not an ELF object or ar archive")]
    [InlineData("header-only", "truncated")]
    [InlineData("half", "truncated")]
    [InlineData("thin", "thin archive")]
    public void BadFilesAreOneErrorEach(string kind, string expected)
    {
        string obj = Build.Compile("bad.c", Source, Build.KernelFlags("x86_64"));
        byte[] bytes = File.ReadAllBytes(obj);
        byte[] content = kind switch
        {
            "empty" => [],
            "text" => "hello world\n"u8.ToArray(),
            "header-only" => bytes[..64],
            "half" => bytes[..(bytes.Length / 2)],
            _ => "!<thin>\n"u8.ToArray(),
        };
        string path = obj + "." + kind;
        File.WriteAllBytes(path, content);

        var result = Assert.Single(ObjectScanner.ScanFile(path, new ScanOptions()));

        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Sites);
    }

    [Fact]
    public void MissingFileIsAnError() =>
        Assert.NotNull(Assert.Single(ObjectScanner.ScanFile("/nonexistent/x.o", new ScanOptions())).Error);

    [Fact]
    public void RelocationOutsideItsSectionIsReportedAndTheRestIsScanned()
    {
        string obj = Build.Compile("outside.c", Source + "void h(void) { pv_ops.a(); use(); }\n", Build.KernelFlags("x86_64"));
        byte[] bytes = File.ReadAllBytes(obj);
        var (position, count) = RelocationTable(bytes, ".rela.text");
        var entries = Enumerable.Range(0, count).Select(i => (int)position + (i * 24)).ToList();
        int pvEntry = entries.First(e => BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(e + 16)) == 4);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(pvEntry), 0xfff0);
        File.WriteAllBytes(obj, bytes);

        var result = Assert.Single(ObjectScanner.ScanFile(obj, new ScanOptions()));

        Assert.Contains("outside section .text", result.Error, StringComparison.Ordinal);
        Assert.Equal(0L, Assert.Single(result.Sites).TargetOffset);
    }

    [Fact]
    public void SymbolIndexBeyondTheTableIsAnError()
    {
        string obj = Build.Compile("badsym.c", Source, Build.KernelFlags("x86_64"));
        byte[] bytes = File.ReadAllBytes(obj);
        var (position, _) = RelocationTable(bytes, ".rela.text");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)position + 12), 0x7fff);
        File.WriteAllBytes(obj, bytes);

        var result = Assert.Single(ObjectScanner.ScanFile(obj, new ScanOptions()));

        Assert.NotNull(result.Error);
    }

    [Fact]
    public void OtherMachinesAreRejectedClearly()
    {
        string obj = Build.Compile("arm.c", Source, Build.KernelFlags("x86_64"));
        byte[] bytes = File.ReadAllBytes(obj);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), 183);
        File.WriteAllBytes(obj, bytes);

        var result = Assert.Single(ObjectScanner.ScanFile(obj, new ScanOptions()));

        Assert.Contains("unsupported machine", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ParallelScanKeepsInputOrder()
    {
        var files = Enumerable.Range(0, 24).Select(i => Build.Compile($"o{i}.c", Source.Replace("pv_ops.b()", i % 2 == 0 ? "pv_ops.a()" : "pv_ops.b()", StringComparison.Ordinal), Build.KernelFlags("x86_64"))).ToList();
        int ticks = 0;

        var results = ObjectScanner.ScanAll(files, new ScanOptions(), jobs: 4, () => Interlocked.Increment(ref ticks)).ToList();

        Assert.Equal(files, results.Select(r => r.Path));
        Assert.Equal(Enumerable.Range(0, 24).Select(i => i % 2 == 0 ? 0L : 8L), results.Select(r => r.Sites[0].TargetOffset));
        Assert.Equal(24, ticks);
        Assert.Equal(files.Take(3), ObjectScanner.ScanAll(files, new ScanOptions(), jobs: 2).Take(3).Select(r => r.Path));

        // A callback that throws on one file: the files before it are yielded, in order, then its exception, on the consumer.
        var seen = new List<string>();
        var failure = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (string path in ObjectScanner.InspectAll(files, new ScanOptions(), jobs: 3, (scanned, _) => scanned.Path == files[17] ? throw new InvalidOperationException(scanned.Path) : scanned.Path))
            {
                seen.Add(path);
            }
        });
        Assert.Equal(files[17], failure.Message);
        Assert.Equal(files.Take(17), seen);
    }

    [Fact]
    public void SkippingObjectsThatNeverNameTheSymbolChangesNothing()
    {
        var files = new[]
        {
            Build.Compile("s1.c", Source, Build.KernelFlags("x86_64")),
            Build.Compile("s2.c", "int x(int a) { return a + 1; }\n", Build.KernelFlags("i386")),
        };

        var fast = files.SelectMany(f => ObjectScanner.ScanFile(f, new ScanOptions())).ToList();
        var full = files.SelectMany(f => ObjectScanner.ScanFile(f, new ScanOptions { SkipObjectsWithoutSymbol = false })).ToList();

        Assert.Equal(full.Select(r => r with { Skipped = false }), fast.Select(r => r with { Skipped = false }));
        Assert.Equal([false, true], fast.Select(r => r.Skipped));
    }

    /// <summary>Where a relocation table's entries start in the file, and how many there are (found with LibObjectFile).</summary>
    internal static (ulong Position, int Count) RelocationTable(byte[] bytes, string name)
    {
        using var stream = new MemoryStream(bytes);
        var elf = ElfFile.Read(stream);
        var table = (ElfRelocationTable)elf.Sections.Single(s => s.Name.Value == name);
        return (table.Position, table.Entries.Count);
    }
}
