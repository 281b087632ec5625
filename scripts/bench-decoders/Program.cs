using System.Diagnostics;
using System.IO.Compression;
using PvGen.Binary.Input;

// Usage: bench-decoders DECODER JOBS LIST   (LIST: one compressed file per line)
// DECODER: liblzma | sharpcompress-xz (through PvGen's bounded DecompressElf), zstdsharp | sharpcompress-zstd | gzip (plain streams).
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: bench-decoders liblzma|sharpcompress-xz|zstdsharp|sharpcompress-zstd|gzip JOBS LIST");
    return 2;
}

string decoder = args[0];
int jobs = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
string[] files = File.ReadAllLines(args[2]);
long total = 0;
var clock = Stopwatch.StartNew();
Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = jobs }, () => new byte[1 << 20], (file, _, buffer) =>
{
    using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    long produced = decoder switch
    {
        "liblzma" => Decompression.DecompressElf(input, ObjectCompression.Xz, ref buffer, XzDecoder.LibLzma),
        "sharpcompress-xz" => Decompression.DecompressElf(input, ObjectCompression.Xz, ref buffer, XzDecoder.Managed),
        _ => Drain(decoder switch
        {
            "zstdsharp" => new ZstdSharp.DecompressionStream(input),
            "sharpcompress-zstd" => new SharpCompress.Compressors.ZStandard.DecompressionStream(input),
            "gzip" => new GZipStream(input, CompressionMode.Decompress),
            _ => throw new ArgumentException($"unknown decoder {decoder}"),
        }, buffer),
    };
    Interlocked.Add(ref total, produced);
    return buffer;
}, _ => { });
double seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine($"{decoder} -j {jobs}: {files.Length} files, {total / 1e6:F1} MB out, {seconds:F2} s, {total / seconds / (1 << 20):F0} MiB/s");
return 0;

static long Drain(Stream stream, byte[] buffer)
{
    using (stream)
    {
        long n = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            n += read;
        }

        return n;
    }
}
