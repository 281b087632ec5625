using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
namespace PvGen.TestSupport;

/// <summary>One .altinstructions entry as binutils shows it: where its original is (relocation symbol + addend) and its flags and lengths.</summary>
public sealed record OracleAltEntry(string Object, long RecordOffset, string SiteSection, long SiteOffset, string ReplacementSection, long ReplacementOffset, uint FtFlags, int InstrLength, int ReplacementLength)
{
    public bool DirectCall => ((FtFlags >> 16) & 2) != 0;

    public bool Not => ((FtFlags >> 16) & 1) != 0;
}

/// <summary>
/// An independent reader of <c>.altinstructions</c>: the section's bytes from <c>objdump -s</c>, its relocations from
/// <c>readelf -rW</c>, the entry stride from the distance between relocation pairs, and the kernel's 6.3+ field
/// offsets (ft_flags at +8, instrlen +12, replacementlen +13). Neither LibObjectFile nor PvGen.X86 is involved.
/// </summary>
public static partial class AltOracle
{
    [GeneratedRegex(@"^ ([0-9a-f]{4,}) ((?:[0-9a-f]{2,8} ?){1,4})")]
    private static partial Regex DumpLine();

    [GeneratedRegex(@"^(?<offset>[0-9a-f]+)\s+[0-9a-f]+\s+(?<type>R_\S+)\s+[0-9a-f]+\s+(?<symbol>\S+)(\s*(?<sign>[+-])\s*(?<addend>[0-9a-f]+))?\s*$")]
    private static partial Regex RelocationLine();

    /// <summary>Every entry of every object (objects without .altinstructions contribute none). Runs binutils once per batch.</summary>
    /// <param name="section">The section holding the entries (generate.section can move them out of .altinstructions).</param>
    public static List<OracleAltEntry> Entries(IReadOnlyList<string> objects, string section = ".altinstructions")
    {
        var entries = new List<OracleAltEntry>();
        foreach (var batch in objects.Chunk(100))
        {
            var bytes = SectionDumps(batch, section);
            var relocations = RelocationLists(batch, section);
            foreach (string obj in batch)
            {
                if (!bytes.TryGetValue(obj, out var data) || !relocations.TryGetValue(obj, out var relocs) || relocs.Count == 0)
                {
                    continue;
                }

                relocs.Sort((a, b) => a.Offset.CompareTo(b.Offset));
                int stride = relocs.Count >= 4 ? (int)(relocs[2].Offset - relocs[0].Offset) : data.Length;
                if (relocs.Count % 2 != 0 || data.Length != stride * (relocs.Count / 2))
                {
                    throw new InvalidDataException($"{obj}: {relocs.Count} relocations do not pair up over {data.Length} bytes with stride {stride}");
                }

                if (stride != 14)
                {
                    throw new InvalidDataException($"{obj}: .altinstructions stride {stride}, not the 6.3+ 14 bytes this oracle reads");
                }

                for (int i = 0; i < relocs.Count / 2; i++)
                {
                    var instr = relocs[2 * i];
                    var repl = relocs[2 * i + 1];
                    int at = i * stride;
                    if (instr.Offset != at || repl.Offset != at + 4)
                    {
                        throw new InvalidDataException($"{obj}: entry {i}: relocations at 0x{instr.Offset:x}/0x{repl.Offset:x}");
                    }

                    long Addend((long Offset, string Symbol, long? Addend) r) => r.Addend ?? BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan((int)r.Offset));
                    entries.Add(new OracleAltEntry(obj, at, instr.Symbol, Addend(instr), repl.Symbol, Addend(repl),
                        BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at + 8)), data[at + 12], data[at + 13]));
                }
            }
        }

        return entries;
    }

    /// <summary>The bytes of one section of one object, from <c>objdump -s</c>; empty when it has none.</summary>
    public static byte[] SectionBytes(string obj, string section) => SectionDumps([obj], section).GetValueOrDefault(obj) ?? [];

    private static Dictionary<string, byte[]> SectionDumps(string[] objects, string section = ".altinstructions")
    {
        var run = Tool.Run("objdump", ["-s", "-j", section, .. objects]);
        var dumps = new Dictionary<string, List<byte>>();
        List<byte>? current = null;
        foreach (string line in run.Stdout.Split('\n'))
        {
            if (line.EndsWith("file format elf64-x86-64", StringComparison.Ordinal) || line.EndsWith("file format elf32-i386", StringComparison.Ordinal))
            {
                string obj = line[..line.LastIndexOf(':', line.IndexOf("file format", StringComparison.Ordinal))].Trim();
                current = [];
                dumps[obj] = current;
                continue;
            }

            var m = DumpLine().Match(line);
            if (current is not null && m.Success)
            {
                current.AddRange(Convert.FromHexString(m.Groups[2].Value.Replace(" ", string.Empty, StringComparison.Ordinal)));
            }
        }

        return dumps.Where(d => d.Value.Count > 0).ToDictionary(d => d.Key, d => d.Value.ToArray());
    }

    private static Dictionary<string, List<(long Offset, string Symbol, long? Addend)>> RelocationLists(string[] objects, string section)
    {
        var run = Tool.Run("readelf", ["-rW", .. objects]);
        var lists = new Dictionary<string, List<(long, string, long?)>>();
        string? obj = objects.Length == 1 ? objects[0] : null;
        bool inside = false, rel = false;
        foreach (string line in run.Stdout.Split('\n'))
        {
            if (line.StartsWith("File: ", StringComparison.Ordinal))
            {
                obj = line["File: ".Length..].Trim();
                inside = false;
                continue;
            }

            if (line.StartsWith("Relocation section", StringComparison.Ordinal))
            {
                inside = line.Contains($"'.rela{section}'", StringComparison.Ordinal) || line.Contains($"'.rel{section}'", StringComparison.Ordinal);
                rel = line.Contains("'.rel.", StringComparison.Ordinal);
                continue;
            }

            var m = RelocationLine().Match(line);
            if (inside && obj is not null && m.Success)
            {
                long addend = m.Groups["addend"].Success ? long.Parse(m.Groups["addend"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) : 0;
                if (!lists.TryGetValue(obj, out var list))
                {
                    lists[obj] = list = [];
                }

                // REL (i386) prints no addend: it is the field itself, read from the section's bytes (marked by null here).
                list.Add((long.Parse(m.Groups["offset"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), m.Groups["symbol"].Value,
                    rel ? null : m.Groups["sign"].Value == "-" ? -addend : addend));
            }
        }

        return lists;
    }
}
