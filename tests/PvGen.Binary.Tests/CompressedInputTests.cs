using System.Text;
using PvGen.Binary.Input;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Binary.Tests;

/// <summary>
/// Compressed objects as distributions ship modules, made by the real tools (xz with the kernel's own flags, zstd,
/// gzip): the scan sees exactly what it sees in the plain object, signatures appended or not; mislabelled, corrupt,
/// truncated and oversized streams are one clear error each.
/// </summary>
public sealed class CompressedInputTests
{
    private const string Source = """
        struct ops { void (*a)(void); void (*b)(unsigned long); void (*c)(int); };
        extern struct ops pv_ops;
        void use(void *);
        void plain(void) { pv_ops.a(); use(0); }
        void tail(unsigned long x) { pv_ops.b(x); }
        void loop(int n) { void (*f)(int) = pv_ops.c; for (int i = 0; i < n; i++) f(i); }
        void taken(void) { use(&pv_ops.c); }
        """;

    /// <summary>What the kernel appends to a signed module after the ELF (the signature blob itself elided).</summary>
    private static readonly byte[] Signature = [.. new byte[700], .. Encoding.ASCII.GetBytes("~Module signature appended~\n")];

    public static TheoryData<string, bool> Compressions => new()
    {
        { "xz", false }, { "xz", true }, { "zst", false }, { "zst", true }, { "gz", false }, { "gz", true },
    };

    [SkippableTheory]
    [MemberData(nameof(Compressions))]
    public void CompressedObjectsScanExactlyLikeThePlainOnes(string suffix, bool signed)
    {
        string plain = Module(signed);
        string compressed = Compress(plain, suffix);

        var expected = Build.ScanOne(plain);
        var actual = Build.ScanOne(compressed);

        Assert.Equal(compressed, actual.Path);
        Assert.Equal(expected with { Path = compressed }, actual);
        Assert.Equal(4, actual.Sites.Count);
    }

    public static TheoryData<XzDecoder> XzDecoders => new() { XzDecoder.LibLzma, XzDecoder.Managed };

    /// <summary>Both xz decoders give xz's own bytes for a module compressed as the kernel does, and refuse the same damage.</summary>
    [SkippableTheory]
    [MemberData(nameof(XzDecoders))]
    public void BothXzDecodersGiveTheBytesXzGives(XzDecoder decoder)
    {
        Skip.If(decoder == XzDecoder.LibLzma && !Decompression.DefaultXzDecoder.Equals(XzDecoder.LibLzma), "liblzma.so.5 cannot be loaded here");
        string plain = Module(signed: true);
        byte[] xz = File.ReadAllBytes(Compress(plain, "xz"));
        byte[] elf = File.ReadAllBytes(plain)[..^Signature.Length];

        byte[] buffer = new byte[16];
        int length = Decompression.DecompressElf(new MemoryStream(xz), ObjectCompression.Xz, ref buffer, decoder);

        Assert.Equal(elf, buffer[..length]);
        foreach (byte[] broken in new[] { xz[..(xz.Length / 2)], xz[..^1], Flip(xz, xz.Length / 3) })
        {
            var error = Assert.Throws<InvalidDataException>(() => Decompression.DecompressElf(new MemoryStream(broken), ObjectCompression.Xz, ref buffer, decoder));
            Assert.StartsWith("corrupt xz stream: ", error.Message);
        }
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[at] ^= 0x40;
        return copy;
    }

    [Fact]
    public void AnnotatedCompressedObjectsKeepTheirRecords()
    {
        string obj = Build.Compile("annotated.s", """
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
            """, ["-c", "-m64"]);
        string ko = Path.ChangeExtension(obj, ".ko");
        File.Copy(obj, ko);

        var scanned = Build.ScanOne(Compress(ko, "xz"));

        Assert.True(Assert.Single(scanned.Sites).Annotated);
        Assert.Equal((2, 6), (Assert.Single(scanned.Annotations).Type, scanned.Annotations[0].Length));
    }

    [SkippableTheory]
    [InlineData("plain", "m.ko.xz", "named .xz but not xz data")]
    [InlineData("xz", "m.ko.gz", "named .gz but holds xz data")]
    [InlineData("gz", "m.ko.zst", "named .zst but holds gzip data")]
    [InlineData("bz2", "m.ko.bz2", "compressed as .bz2, which pvgen does not read (it reads .xz, .zst, .gz)")]
    [InlineData("text.xz", "m.ko.xz", "the xz stream holds no ELF object")]
    [InlineData("empty.zst", "m.ko.zst", "the zstd stream is empty")]
    public void MislabelledOrForeignDataIsAnError(string content, string name, string expected)
    {
        string plain = Module(signed: false);
        string dir = Repo.TempDir("mislabelled");
        string file = Path.Combine(dir, name);
        switch (content)
        {
            case "plain":
                File.Copy(plain, file);
                break;
            case "text.xz":
                File.WriteAllText(Path.Combine(dir, "text"), "not an object\n");
                File.Move(Compress(Path.Combine(dir, "text"), "xz"), file);
                break;
            case "empty.zst":
                File.WriteAllBytes(Path.Combine(dir, "empty"), []);
                File.Move(Compress(Path.Combine(dir, "empty"), "zst"), file);
                break;
            default:
                File.Move(Compress(plain, content), file);
                break;
        }

        var result = Assert.Single(ObjectScanner.ScanFile(file, new ScanOptions()));

        Assert.Equal(expected, result.Error);
    }

    [SkippableTheory]
    [InlineData("xz")]
    [InlineData("zst")]
    [InlineData("gz")]
    public void TruncatedAndBitFlippedStreamsAreClearErrors(string suffix)
    {
        byte[] good = File.ReadAllBytes(Compress(Module(signed: true), suffix));
        string name = suffix == "zst" ? "zstd" : suffix == "gz" ? "gzip" : "xz";
        string dir = Repo.TempDir("corrupt-" + suffix);
        var cases = new Dictionary<string, byte[]>
        {
            ["half"] = good[..(good.Length / 2)],
            ["last byte cut"] = good[..^1],
            ["header only"] = good[..12],
        };
        for (int i = 0; i < 8; i++)
        {
            byte[] flipped = (byte[])good.Clone();
            flipped[(good.Length / 4) + (i * good.Length / 16)] ^= 0x24;
            cases[$"flip {i}"] = flipped;
        }

        var plain = Build.ScanOne(Module(signed: true));
        foreach (var (label, bytes) in cases)
        {
            string file = Path.Combine(dir, $"{label.Replace(' ', '-')}.ko.{suffix}");
            File.WriteAllBytes(file, bytes);
            var result = Assert.Single(ObjectScanner.ScanFile(file, new ScanOptions()));

            // A flip that lands in data the decoder cannot check (gzip's header name field, say) may decode to the same object.
            Assert.True(result.Error is not null || result == plain with { Path = file }, $"{label}: neither an error nor the original object");
            if (result.Error is { } error)
            {
                Assert.True(error.Contains(name, StringComparison.Ordinal), $"{label}: the error does not name the {name} stream: {error}");
            }
        }
    }

    [SkippableFact]
    public void DecompressionIsBoundedByTheSizeTheElfClaims()
    {
        byte[] plain = File.ReadAllBytes(Module(signed: false));
        string dir = Repo.TempDir("bounded");

        // Section headers claimed 2 GiB into the file: refused before anything that large is decoded or allocated.
        byte[] far = (byte[])plain.Clone();
        BitConverter.TryWriteBytes(far.AsSpan(0x28), 0x8000_0000L);
        File.WriteAllBytes(Path.Combine(dir, "far"), far);
        var refused = Assert.Single(ObjectScanner.ScanFile(Compress(Path.Combine(dir, "far"), "xz"), new ScanOptions()));
        Assert.Matches("^its ELF header places its tables up to byte 21474[0-9]{5},", refused.Error);
        Assert.EndsWith($"beyond the {Decompression.Limit >> 20} MiB pvgen decompresses: a corrupt xz stream or ELF header", refused.Error);

        // A stream that goes on long after the object (a hidden payload, a zip bomb) is refused too.
        File.WriteAllBytes(Path.Combine(dir, "long"), [.. plain, .. new byte[Decompression.TrailingLimit + 1]]);
        var tooLong = Assert.Single(ObjectScanner.ScanFile(Compress(Path.Combine(dir, "long"), "zst"), new ScanOptions()));
        Assert.StartsWith("more than 1 MiB of data after the ELF object", tooLong.Error);

        // The object itself claims more than the stream holds.
        byte[] cut = plain[..^64];
        File.WriteAllBytes(Path.Combine(dir, "cut"), cut);
        var truncated = Assert.Single(ObjectScanner.ScanFile(Compress(Path.Combine(dir, "cut"), "gz"), new ScanOptions()));
        Assert.StartsWith($"truncated: the gzip stream ends after {cut.Length} bytes, but the ELF object claims {plain.Length}", truncated.Error);
    }

    [SkippableFact]
    public void DirectoriesPickUpCompressedObjectsAndTheOnesPvgenCannotRead()
    {
        string plain = Module(signed: false);
        string root = Repo.TempDir("compressed-dir");
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        string[] objects = ["a.ko.xz", "b.o.zst", "sub/c.ko.gz", "sub/d.ko.bz2", "sub/e.ko"];
        foreach (string name in objects)
        {
            File.Copy(plain, Path.Combine(root, name));
        }

        foreach (string other in new[] { "notes.txt.xz", ".a.o.cmd", "sub/f.mod.c", "sub/g.ko.xz.sig" })
        {
            File.WriteAllText(Path.Combine(root, other), "not an object");
        }

        var files = ObjectScanner.ExpandInputs([root]);

        Assert.Equal(objects.Select(o => Path.Combine(root, o)).Order(StringComparer.Ordinal), files);
    }

    [SkippableFact]
    public void ScanningATreeWithABrokenModuleFailsWithOneLinePerFileAndASummary()
    {
        string plain = Module(signed: true);
        string root = Repo.TempDir("broken-tree");
        Directory.CreateDirectory(Path.Combine(root, "kernel"));
        File.Move(Compress(plain, "xz"), Path.Combine(root, "kernel", "good.ko.xz"));
        byte[] broken = File.ReadAllBytes(Compress(plain, "xz"));
        File.WriteAllBytes(Path.Combine(root, "kernel", "broken.ko.xz"), broken[..(broken.Length / 2)]);

        var run = Tool.Pvgen(["scan", "kernel", "--format", "json"], root);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("kernel/broken.ko.xz: error: corrupt xz stream: ", run.Stderr);
        Assert.Contains("pvgen scan: 1 objects could not be read completely (2 files scanned) [PVG0401]", run.Stderr);
        Assert.Contains("\"path\": \"kernel/good.ko.xz\"", run.Stdout);
        Assert.Contains("\"errors\": 1", run.Stdout);
    }

    [Fact]
    public void ADirectoryWithoutObjectsIsAnInputError()
    {
        string root = Repo.TempDir("no-objects");
        File.WriteAllText(Path.Combine(root, "module.ko.weird"), "?");

        var scan = Tool.Pvgen(["scan", root]);

        Assert.True(scan.ExitCode == 2, scan.ToString());
        Assert.Contains($"no object files under '{root}'", scan.Stderr);
        Assert.Equal(string.Empty, scan.Stdout);
    }

    /// <summary>A module-like object (relocatable ELF with four kinds of site), optionally signed as the kernel signs modules.</summary>
    private static string Module(bool signed)
    {
        string obj = Build.Compile(signed ? "signed.c" : "module.c", Source, Build.KernelFlags("x86_64"));
        string ko = Path.ChangeExtension(obj, ".ko");
        File.WriteAllBytes(ko, signed ? [.. File.ReadAllBytes(obj), .. Signature] : File.ReadAllBytes(obj));
        return ko;
    }

    /// <summary>Compresses with the real tool (xz as the kernel's Makefile does), keeping the original; returns FILE.SUFFIX.</summary>
    private static string Compress(string file, string suffix)
    {
        string[] command = suffix switch
        {
            "xz" => ["xz", "--check=crc32", "--lzma2=dict=1MiB", "-k", "-f", "-T1", file],
            "zst" => ["zstd", "-q", "-k", "-f", file],
            "gz" => ["gzip", "-n", "-k", "-f", file],
            "bz2" => ["bzip2", "-k", "-f", file],
            _ => throw new ArgumentException(suffix),
        };
        Skip.If(Tool.Find(command[0]) is null, $"{command[0]} is not installed");
        var run = Tool.Run(command[0], command[1..]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return file + "." + suffix;
    }
}
