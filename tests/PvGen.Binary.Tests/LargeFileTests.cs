using System.Buffers.Binary;
using PvGen.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace PvGen.Binary.Tests;

/// <summary>
/// Files larger than <see cref="ObjectScanner.NameSearchLimit"/> (a vmlinux) are not read whole: the reader asks the file
/// for the sections it needs. Real objects padded past that size by objcopy must scan exactly like the objects they
/// were, objdump must agree, and mutants of the padded files (headers, section table, truncation) must give one result
/// or one error of ours, never a crash or a hang.
/// </summary>
public sealed class LargeFileTests(ITestOutputHelper output)
{
    /// <summary>A relocatable object (read through the packed view), and linked executables with and without relocations (sites from operands).</summary>
    [Theory]
    [InlineData("object")]
    [InlineData("linked")]
    [InlineData("linked-without-relocations")]
    public void PaddedPastTheNameSearchLimitScansLikeTheObjectItWas(string kind)
    {
        string small = Make(kind);
        string large = Pad(small);
        Assert.True(new FileInfo(large).Length > ObjectScanner.NameSearchLimit);

        var expected = Build.ScanOne(small);
        var scanned = Build.ScanOne(large);

        Assert.NotEmpty(expected.Sites);
        Assert.Equal(expected.Sites, scanned.Sites);
        Assert.Equal(expected.SitesFrom, scanned.SitesFrom);
        if (kind != "linked-without-relocations")
        {
            Build.AssertSameAsObjdump(large, scanned, linked: kind != "object");
        }
    }

    [Fact]
    public async Task MutatedLargeFilesNeverCrashOrHang()
    {
        string large = Pad(Make("linked"));
        byte[] original = File.ReadAllBytes(large);
        bool is64 = original[4] == 2;
        long tableOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(original.AsSpan(0x28));
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(original.AsSpan(0x3A));
        int entries = BinaryPrimitives.ReadUInt16LittleEndian(original.AsSpan(0x3C));
        Assert.True(is64 && tableOffset > ObjectScanner.NameSearchLimit && entries > 1);

        var random = new Random(20070502);
        var outcomes = new Dictionary<string, int>();
        const int Cases = 60;
        for (int i = 0; i < Cases; i++)
        {
            string mutation;
            using (var file = new FileStream(large, FileMode.Open, FileAccess.ReadWrite))
            {
                mutation = Mutate(file, random, tableOffset, entrySize, entries);
            }

            var scan = Task.Run(() => ObjectScanner.ScanFile(large, new ScanOptions { SkipObjectsWithoutSymbol = i % 2 == 0 }));
            Assert.True(await Task.WhenAny(scan, Task.Delay(TimeSpan.FromSeconds(60))) == scan, $"case {i} ({mutation}): no result after 60 s");
            var result = Assert.Single(await scan);
            Assert.True(result.Error is not null || result.Machine is not null, $"case {i} ({mutation}): neither a result nor an error");
            UserMessages.AssertOurs(result.Error, $"case {i} ({mutation})");
            string outcome = result.Error is null ? "result" : "error";
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            File.WriteAllBytes(large, original);
        }

        output.WriteLine($"{Cases} cases: {string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}"))}");
        Assert.True(outcomes.GetValueOrDefault("error") > 0 && outcomes.GetValueOrDefault("result") > 0, string.Join(", ", outcomes));
    }

    /// <summary>Changes the file in place (the header, the section table, or its length) and says how.</summary>
    private static string Mutate(FileStream file, Random random, long tableOffset, int entrySize, int entries)
    {
        switch (random.Next(4))
        {
            case 0:
                long length = random.Next(3) switch
                {
                    0 => random.Next(4096),
                    1 => tableOffset + random.Next(entrySize * entries),
                    _ => ObjectScanner.NameSearchLimit / 2 + random.Next((int)(ObjectScanner.NameSearchLimit / 2)),
                };
                file.SetLength(length);
                return $"truncated to {length}";
            case 1:
                // A section's offset, size, link, info or entry size set to something wild.
                int[] fields = [0x18, 0x20, 0x28, 0x2C, 0x38];
                int field = fields[random.Next(fields.Length)];
                int section = random.Next(1, entries);
                ulong value = random.Next(4) switch { 0 => 0, 1 => ulong.MaxValue, 2 => (ulong)file.Length - (ulong)random.Next(1 << 10), _ => (ulong)random.Next(64) };
                Write(file, tableOffset + (section * entrySize) + field, field is 0x28 or 0x2C ? BitConverter.GetBytes((uint)value) : BitConverter.GetBytes(value));
                return $"section {section} field 0x{field:x} = 0x{value:x}";
            case 2:
                // ELF header: e_shoff, e_shentsize, e_shnum, e_shstrndx.
                int[] headerFields = [0x28, 0x3A, 0x3C, 0x3E];
                int at = headerFields[random.Next(headerFields.Length)];
                ushort small = (ushort)(random.Next(3) switch { 0 => 0, 1 => 0xffff, _ => random.Next(256) });
                Write(file, at, BitConverter.GetBytes(small));
                return $"ELF header 0x{at:x} = 0x{small:x}";
            default:
                int flips = random.Next(1, 9);
                for (int i = 0; i < flips; i++)
                {
                    long where = random.Next(2) == 0 ? random.Next(4096) : tableOffset + random.Next(entrySize * entries);
                    file.Position = where;
                    int old = file.ReadByte();
                    Write(file, where, [(byte)(old ^ (1 << random.Next(8)))]);
                }

                return $"{flips} bit flips";
        }
    }

    private static void Write(FileStream file, long at, byte[] bytes)
    {
        file.Position = at;
        file.Write(bytes);
    }

    private static string Make(string kind)
    {
        string obj = Build.Compile($"large-{kind}.c", InputTests.EveryKindOfReference, Build.KernelFlags("x86_64"));
        if (kind == "object")
        {
            return obj;
        }

        string exe = Path.ChangeExtension(obj, ".elf");
        string[] relocations = kind == "linked" ? ["--emit-relocs"] : [];
        var link = Tool.Run("ld", ["-m", "elf_x86_64", .. relocations, "-o", exe, obj]);
        Assert.True(link.ExitCode == 0, link.ToString());
        return exe;
    }

    /// <summary>A copy of the file with a section of zeros (not loaded) that takes it past the name-search limit.</summary>
    private static string Pad(string path)
    {
        string pad = path + ".pad";
        using (var zeros = new FileStream(pad, FileMode.Create))
        {
            zeros.SetLength(ObjectScanner.NameSearchLimit + (1 << 20));
        }

        string large = path + ".large";
        var copy = Tool.Run("objcopy", ["--add-section", $".pvgen.pad={pad}", path, large]);
        File.Delete(pad);
        Assert.True(copy.ExitCode == 0, copy.ToString());
        return large;
    }
}
