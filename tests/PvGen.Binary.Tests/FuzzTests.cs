using System.Buffers.Binary;
using PvGen.Binary.Input;
using PvGen.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace PvGen.Binary.Tests;

/// <summary>
/// Mutated real objects (byte flips, truncations, corrupted ELF and section headers, corrupted relocations), thousands
/// of cases from a fixed seed: no exception escapes, nothing hangs, and every case gives a result or an error.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20070501;
    private const int CasesPerSeedObject = 700;

    [Fact]
    public async Task MutatedObjectsNeverCrashOrHang()
    {
        var seeds = SeedObjects();
        var random = new Random(Seed);
        var outcomes = new Dictionary<string, int>();
        int cases = 0;
        foreach (var (name, original) in seeds)
        {
            for (int i = 0; i < CasesPerSeedObject; i++)
            {
                var (mutation, bytes) = Mutate(original, random);
                string label = $"{name} case {i} ({mutation})";
                var scan = Task.Run(() => ObjectScanner.ScanStream(new MemoryStream(bytes, writable: false), label, new ScanOptions { SkipObjectsWithoutSymbol = i % 2 == 0 }));
                var finished = await Task.WhenAny(scan, Task.Delay(TimeSpan.FromSeconds(60)));
                if (finished != scan)
                {
                    string keep = Path.Combine(Path.GetTempPath(), $"pvgen-fuzz-hang-{name}-{i}.bin");
                    File.WriteAllBytes(keep, bytes);
                    Assert.Fail($"{label}: no result after 60 s (input kept as {keep})");
                }

                var results = await scan;
                Assert.NotEmpty(results);
                foreach (var result in results)
                {
                    Assert.True(result.Error is not null || result.Machine is not null, $"{label}: neither a result nor an error");
                    Assert.All(result.Sites, s => Assert.True(s.Offset >= 0 && s.Length >= 0, $"{label}: bad site {s}"));
                    UserMessages.AssertOurs(result.Error, label);
                    string outcome = result.Error is null ? "result" : "error";
                    outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                }

                cases++;
            }
        }

        output.WriteLine($"{cases} cases: {string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}"))}");
        Assert.True(outcomes.GetValueOrDefault("error") > 0 && outcomes.GetValueOrDefault("result") > 0);
    }

    /// <summary>
    /// A plain file is read through positioned reads, cached blocks and held string tables, not from memory: mutants
    /// written to disk must scan exactly as the same bytes in memory do (results, errors and skips), whatever the
    /// mutation, so the file reader neither loses nor invents a byte.
    /// </summary>
    [Fact]
    public void MutatedFilesScanLikeTheirBytesInMemory()
    {
        var random = new Random(Seed + 1);
        string dir = Directory.CreateTempSubdirectory("pvgen-fuzz-files-").FullName;
        int cases = 0, differentKinds = 0;
        var outcomes = new HashSet<string>();
        try
        {
            // Beside the small seeds, one of 800 sections and ~150 KB: reads far from the start, and more places than cached blocks.
            string manySections = string.Concat(Enumerable.Range(0, 400).Select(i => $"void f{i}(int x) {{ if (x) pv_ops.c({i}); else pv_ops.a(); }}\n"));
            string large = Build.Compile("fuzzmany.c", "struct ops { void (*a)(void); void (*c)(int); };\nextern struct ops pv_ops;\n" + manySections,
                [.. Build.KernelFlags("x86_64"), "-ffunction-sections"]);
            foreach (var (name, original) in SeedObjects().Append(("many-sections", File.ReadAllBytes(large))))
            {
                for (int i = 0; i < FileCasesPerSeedObject; i++)
                {
                    var (mutation, bytes) = Mutate(original, random);
                    string file = Path.Combine(dir, $"{name}-{i}.o");
                    File.WriteAllBytes(file, bytes);
                    var options = new ScanOptions { SkipObjectsWithoutSymbol = i % 2 == 0 };
                    var fromMemory = ObjectScanner.ScanStream(new MemoryStream(bytes, writable: false), file, options);
                    var fromFile = ObjectScanner.ScanFile(file, options);
                    Assert.True(fromMemory.SequenceEqual(fromFile), $"{name} case {i} ({mutation}): the file scans as\n{string.Join("\n", fromFile)}\nbut its bytes as\n{string.Join("\n", fromMemory)}");
                    foreach (var result in fromFile)
                    {
                        differentKinds += outcomes.Add(result.Error is not null ? "error" : result.Skipped ? "skipped" : "result") ? 1 : 0;
                    }

                    File.Delete(file);
                    cases++;
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        output.WriteLine($"{cases} mutants read from files, outcomes: {string.Join(", ", outcomes)}");
        Assert.Equal(3, differentKinds);
    }

    private const int FileCasesPerSeedObject = 200;

    /// <summary>
    /// The same seeds compressed by the real tools (xz as the kernel does, zstd, gzip), then mutated: the compressed bytes
    /// (flips, truncation, random runs) or the object before compressing it (a valid stream of a corrupt ELF). Every case
    /// is one result or one error that names the stream; none crashes, hangs or decodes unbounded.
    /// </summary>
    [SkippableFact]
    public async Task MutatedCompressedObjectsNeverCrashOrHang()
    {
        foreach (string tool in new[] { "xz", "zstd", "gzip" })
        {
            Skip.If(Tool.Find(tool) is null, $"{tool} is not installed");
        }

        var seeds = SeedObjects().Where(s => s.Name is "x86_64" or "parainstructions").ToList();
        var random = new Random(Seed + 1);
        var outcomes = new Dictionary<string, int>();
        int cases = 0;
        string dir = Repo.TempDir("fuzz-compressed");
        foreach (var (suffix, name) in new[] { ("xz", "xz"), ("zst", "zstd"), ("gz", "gzip") })
        {
            foreach (var (seedName, original) in seeds)
            {
                byte[] compressed = CompressWith(suffix, original, dir);
                for (int i = 0; i < CompressedCasesPerSeed; i++)
                {
                    bool corruptElf = i % 5 == 4;
                    var (mutation, bytes) = corruptElf ? Mutate(original, random) : Mutate(compressed, random);
                    if (corruptElf)
                    {
                        bytes = CompressWith(suffix, bytes, dir);
                        mutation = "object " + mutation;
                    }

                    string label = $"{seedName}-{i}.ko.{suffix} ({mutation})";
                    var scan = Task.Run(() => ObjectScanner.ScanStream(new MemoryStream(bytes, writable: false), $"{seedName}-{i}.ko.{suffix}", new ScanOptions()));
                    var finished = await Task.WhenAny(scan, Task.Delay(TimeSpan.FromSeconds(60)));
                    if (finished != scan)
                    {
                        string keep = Path.Combine(Path.GetTempPath(), $"pvgen-fuzz-hang-{seedName}-{i}.{suffix}");
                        File.WriteAllBytes(keep, bytes);
                        Assert.Fail($"{label}: no result after 60 s (input kept as {keep})");
                    }

                    var result = Assert.Single(await scan);
                    if (suffix == "xz")
                    {
                        // The scan used liblzma where it loads; the managed decoder must survive the same bytes.
                        byte[] buffer = new byte[16];
                        var managed = Task.Run(() =>
                        {
                            try
                            {
                                Decompression.DecompressElf(new MemoryStream(bytes, writable: false), ObjectCompression.Xz, ref buffer, XzDecoder.Managed);
                            }
                            catch (InvalidDataException)
                            {
                                // A clear error is an outcome.
                            }
                        });
                        Assert.True(await Task.WhenAny(managed, Task.Delay(TimeSpan.FromSeconds(60))) == managed, $"{label}: the managed xz decoder hangs");
                        await managed;
                    }

                    Assert.True(result.Error is not null || result.Machine is not null, $"{label}: neither a result nor an error");
                    UserMessages.AssertOurs(result.Error, label);
                    string outcome = result.Error is null ? "result" : result.Error.Contains(name, StringComparison.Ordinal) ? $"{name} error" : "ELF error";
                    outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                    cases++;
                }
            }
        }

        output.WriteLine($"{cases} compressed cases: {string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Value} {o.Key}"))}");
        Assert.All(new[] { "xz error", "zstd error", "gzip error", "result" }, o => Assert.True(outcomes.GetValueOrDefault(o) > 0, $"no case ended as {o}"));
    }

    private const int CompressedCasesPerSeed = 300;

    private static byte[] CompressWith(string suffix, byte[] bytes, string dir)
    {
        string file = Path.Combine(dir, $"seed-{Guid.NewGuid():N}");
        File.WriteAllBytes(file, bytes);
        string[] command = suffix switch
        {
            "xz" => ["xz", "--check=crc32", "--lzma2=dict=1MiB", "-f", "-T1", file],
            "zst" => ["zstd", "-q", "--rm", "-f", file],
            _ => ["gzip", "-n", "-f", file],
        };
        var run = Tool.Run(command[0], command[1..]);
        Assert.True(run.ExitCode == 0, run.ToString());
        byte[] compressed = File.ReadAllBytes(file + "." + suffix);
        File.Delete(file + "." + suffix);
        return compressed;
    }

    private static List<(string Name, byte[] Bytes)> SeedObjects()
    {
        const string source = """
            struct ops { void (*a)(void); void (*b)(unsigned long); void (*c)(int); };
            extern struct ops pv_ops;
            void use(void *);
            void plain(void) { pv_ops.a(); use(0); }
            void tail(unsigned long x) { pv_ops.b(x); }
            void loop(int n) { void (*f)(int) = pv_ops.c; for (int i = 0; i < n; i++) f(i); }
            void taken(void) { use(&pv_ops.c); }
            """;
        const string annotated = """
                .text
            f:
            771: call *pv_ops+16(%rip)
            772: ret
                .pushsection .parainstructions, "a"
                .balign 8
                .quad 771b
                .byte 2
                .byte 772b-771b
                .short 0x1ff
                .popsection
            """;
        const string directCall = """
                .text
            f:
            771: call *pv_ops+16(%rip)
            772: ret
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
                .popsection
                .pushsection .altinstr_replacement, "ax"
            781: call BUG_func
            782: pushf; pop %rax
            783:
                .popsection
            """;
        var objects = new List<(string, string)>
        {
            ("altinstructions", Build.Compile("fuzzalt.s", directCall, ["-c", "-m64"])),
            ("x86_64", Build.Compile("fuzz64.c", source, Build.KernelFlags("x86_64"))),
            ("i386", Build.Compile("fuzz32.c", source, Build.KernelFlags("i386"))),
            ("pic", Build.Compile("fuzzpic.c", source, Build.PicFlags("x86_64"))),
            ("parainstructions", Build.Compile("fuzzpara.s", annotated, ["-c", "-m64"])),
        };
        string dir = Path.GetDirectoryName(objects[0].Item2)!;
        File.Copy(objects[0].Item2, Path.Combine(dir, "m.o"));
        Assert.Equal(0, Tool.Run("ar", ["rcs", "fuzz.a", "m.o"], dir).ExitCode);
        objects.Add(("archive", Path.Combine(dir, "fuzz.a")));
        return objects.Select(o => (o.Item1, File.ReadAllBytes(o.Item2))).ToList();
    }

    private static (string Mutation, byte[] Bytes) Mutate(byte[] original, Random random)
    {
        byte[] bytes = (byte[])original.Clone();
        bool is64 = bytes.Length > 4 && bytes[4] == 2;
        switch (random.Next(6))
        {
            case 0:
                int flips = random.Next(1, 9);
                for (int i = 0; i < flips; i++)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }

                return ($"{flips} bit flips", bytes);
            case 1:
                int length = random.Next(bytes.Length);
                return ($"truncated to {length}", bytes[..length]);
            case 2:
                // A section header field: offset, size, link, info or entry size, set to something wild.
                if (!TrySectionHeader(bytes, is64, random, out int header))
                {
                    return ("random bytes", RandomBytes(random, bytes));
                }

                int[] fields = is64 ? [0x18, 0x20, 0x28, 0x2C, 0x38] : [0x10, 0x14, 0x18, 0x1C, 0x24];
                int field = fields[random.Next(fields.Length)];
                uint value = random.Next(4) switch { 0 => 0, 1 => 0xffffffff, 2 => (uint)random.Next(1 << 20), _ => (uint)random.Next(64) };
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(header + field), value);
                return ($"section header field 0x{field:x} = 0x{value:x}", bytes);
            case 3:
                // ELF header: e_shoff, e_shnum, e_shstrndx, e_shentsize.
                int[] headerFields = is64 ? [0x28, 0x3A, 0x3C, 0x3E] : [0x20, 0x2E, 0x30, 0x32];
                int at = headerFields[random.Next(headerFields.Length)];
                ushort v = (ushort)random.Next(4) switch { 0 => 0, 1 => 0xffff, _ => (ushort)random.Next(256) };
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), v);
                return ($"ELF header 0x{at:x} = 0x{v:x}", bytes);
            case 4:
                // A run of random bytes in the second half, where relocations and symbols live.
                int start = (bytes.Length / 2) + random.Next(Math.Max(1, bytes.Length / 2));
                int count = Math.Min(random.Next(1, 64), bytes.Length - start);
                random.NextBytes(bytes.AsSpan(start, Math.Max(0, count)));
                return ($"{count} random bytes at 0x{start:x}", bytes);
            default:
                return ("random bytes", RandomBytes(random, bytes));
        }
    }

    private static byte[] RandomBytes(Random random, byte[] bytes)
    {
        int at = random.Next(bytes.Length);
        bytes[at] = (byte)random.Next(256);
        return bytes;
    }

    private static bool TrySectionHeader(byte[] bytes, bool is64, Random random, out int header)
    {
        header = 0;
        if (bytes.Length < 64 || bytes[0] != 0x7f)
        {
            return false;
        }

        long shoff = is64 ? BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(0x28)) : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(0x20));
        int size = is64 ? 64 : 40;
        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(is64 ? 0x3C : 0x30));
        if (count == 0 || shoff <= 0 || shoff + ((long)count * size) > bytes.Length)
        {
            return false;
        }

        header = (int)shoff + (random.Next(count) * size);
        return true;
    }
}
