using LibObjectFile.Elf;

namespace PvGen.Proving;

/// <summary>A function symbol of the linked program.</summary>
public sealed record ImageFunction(string Name, ulong Address, ulong Size)
{
    public bool Contains(ulong address) => address >= Address && address < Address + Math.Max(Size, 1);
}

/// <summary>The linked test program as the analysis reads it: section addresses and bytes, function symbols.</summary>
public sealed class ExecutableImage
{
    private readonly List<(string Name, ulong Address, byte[] Bytes)> sections = [];
    private readonly List<ImageFunction> functions = [];
    private readonly Dictionary<string, ulong> symbols = new(StringComparer.Ordinal);

    public ExecutableImage(string path)
    {
        using var stream = File.OpenRead(path);
        var elf = ElfFile.Read(stream, new ElfReaderOptions());
        foreach (var section in elf.Sections)
        {
            if ((section.Flags & ElfSectionFlags.Alloc) != 0 && section is ElfStreamSection { Stream: { } data })
            {
                var bytes = new byte[data.Length];
                data.Position = 0;
                data.ReadExactly(bytes);
                sections.Add((section.Name.Value, section.VirtualAddress, bytes));
            }
        }

        foreach (var table in elf.Sections.OfType<ElfSymbolTable>())
        {
            foreach (var symbol in table.Entries)
            {
                if (symbol.Name.IsEmpty || symbol.SectionLink.IsEmpty || symbol.Type is not (ElfSymbolType.Function or ElfSymbolType.NoType or ElfSymbolType.Object))
                {
                    continue;
                }

                symbols.TryAdd(symbol.Name.Value, symbol.Value);
                if (symbol.Type == ElfSymbolType.Function)
                {
                    functions.Add(new ImageFunction(symbol.Name.Value, symbol.Value, symbol.Size));
                }
            }
        }

        functions.Sort((a, b) => a.Address.CompareTo(b.Address));
    }

    public ulong? Symbol(string name) => symbols.TryGetValue(name, out ulong address) ? address : null;

    /// <summary>The virtual address of a section-relative offset.</summary>
    public ulong? Address(string section, long offset) =>
        sections.FirstOrDefault(s => s.Name == section) is { Bytes: not null } s ? s.Address + (ulong)offset : null;

    public ImageFunction? FunctionAt(ulong address)
    {
        ImageFunction? found = null;
        foreach (var function in functions)
        {
            if (function.Address > address)
            {
                break;
            }

            if (function.Contains(address))
            {
                found = function;
            }
        }

        return found;
    }

    /// <summary>"function+0xoff" for an address (the section and offset when no function covers it).</summary>
    public string Describe(ulong address)
    {
        if (FunctionAt(address) is { } function)
        {
            return $"{function.Name}+0x{address - function.Address:x}";
        }

        foreach (var (name, start, bytes) in sections)
        {
            if (address >= start && address < start + (ulong)bytes.Length)
            {
                return $"{name}+0x{address - start:x}";
            }
        }

        return $"0x{address:x}";
    }

    /// <summary>Bytes of the file image at an address, or null outside every allocated section.</summary>
    public byte[]? Read(ulong address, int count)
    {
        foreach (var (_, start, bytes) in sections)
        {
            if (address >= start && address + (ulong)count <= start + (ulong)bytes.Length)
            {
                return bytes.AsSpan((int)(address - start), count).ToArray();
            }
        }

        return null;
    }
}
