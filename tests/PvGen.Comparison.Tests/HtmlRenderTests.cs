using System.Buffers.Binary;
using System.IO.Compression;
using PvGen.TestSupport;

namespace PvGen.Comparison.Tests;

/// <summary>The HTML report is self-contained and renders to a non-blank page in headless Chromium (Debian package "chromium").</summary>
public sealed class HtmlRenderTests
{
    private static string Html(string dir)
    {
        File.WriteAllText(Path.Combine(dir, "tail.c"), DiffFixture.Tail);
        File.WriteAllText(Path.Combine(dir, "reuse.c"), DiffFixture.Reuse);
        string html = Path.Combine(dir, "diff.html");
        var run = Tool.Pvgen(["diff", "--config", Repo.Example("linux-5.10-x86_64", "pvgen.json"), "--corpus", "tail.c,reuse.c", "--cc", "gcc",
            "--pic", "no,yes", "--format", "html", "-o", html], dir);
        Assert.True(run.ExitCode == 0, run.ToString());
        return html;
    }

    [Fact]
    public void Html_is_self_contained()
    {
        string text = File.ReadAllText(Html(Repo.TempDir("diff-html")));
        Assert.StartsWith("<!DOCTYPE html>", text, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(text.Split("http").Length - 1, text.Split("xmlns=\"http://www.w3.org/2000/svg\"").Length - 1);
        Assert.Contains("<svg", text, StringComparison.Ordinal);
        Assert.Contains("tail_disable", text, StringComparison.Ordinal);
        Assert.Contains("tail-jump", text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Html_renders_in_headless_chromium_to_a_non_blank_page()
    {
        string? chromium = Tool.Find("chromium") ?? Tool.Find("chromium-browser");
        Skip.If(chromium is null, "chromium is not installed (Debian: apt-get install -y chromium); the HTML render check did not run");
        string dir = Repo.TempDir("diff-html");
        string html = Html(dir);
        string png = Path.Combine(dir, "out.png");
        var run = Tool.Run(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(dir, "profile")}", $"--screenshot={png}", "--window-size=1200,1600",
            new Uri(html).AbsoluteUri], dir, 180);
        Assert.True(File.Exists(png), run.ToString());
        var (width, height, distinct) = Png.Measure(File.ReadAllBytes(png));
        Assert.Equal((1200, 1600), (width, height));

        // Blank would be one colour; text, tables and two-colour bars give many.
        Assert.True(distinct > 20, $"only {distinct} distinct pixel values: blank page?");
    }

    [Fact]
    public void Png_check_fails_on_a_blank_image()
    {
        // The check itself must be able to fail: a blank 8x8 white RGB image has one pixel value.
        var (_, _, distinct) = Png.Measure(Png.Blank(8, 8));
        Assert.Equal(1, distinct);
    }
}

/// <summary>Just enough PNG (8-bit RGB/RGBA, zlib via System.IO.Compression) to count distinct pixel values of a screenshot.</summary>
internal static class Png
{
    public static (int Width, int Height, int Distinct) Measure(byte[] file)
    {
        int pos = 8, width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        while (pos + 8 <= file.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(file, pos + 4, 4);
            var data = file.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);
                channels = data[9] switch { 2 => 3, 6 => 4, _ => throw new InvalidDataException($"colour type {data[9]}") };
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }

            pos += 12 + length;
        }

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            z.CopyTo(inflated);
        }

        byte[] raw = inflated.ToArray();
        int stride = width * channels;
        var previous = new byte[stride];
        var current = new byte[stride];
        var seen = new HashSet<uint>();
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            for (int x = 0; x < stride; x++)
            {
                int a = x >= channels ? current[x - channels] : 0, b = previous[x], c = x >= channels ? previous[x - channels] : 0;
                int value = raw[y * (stride + 1) + 1 + x];
                current[x] = (byte)(value + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"filter {filter}"),
                });
            }

            for (int x = 0; x < width; x++)
            {
                uint pixel = 0;
                for (int k = 0; k < channels; k++)
                {
                    pixel = (pixel << 8) | current[x * channels + k];
                }

                seen.Add(pixel);
            }

            (previous, current) = (current, previous);
        }

        return (width, height, seen.Count);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    public static byte[] Blank(int width, int height)
    {
        using var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            raw.Write(Enumerable.Repeat((byte)255, width * 3).ToArray());
        }

        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(z);
        }

        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 2;
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        png.Write(System.Text.Encoding.ASCII.GetBytes(type));
        png.Write(data);
        png.Write(new byte[4]); // CRC: not checked by Measure.
    }
}
