using LibObjectFile.Elf;

namespace PvGen.Binary;

/// <summary>A function symbol of an object and where its code lies (section-relative).</summary>
public sealed record FunctionSymbol(string Name, string Section, long Offset, long Size)
{
    /// <summary>The section object itself: names need not be unique in a relocatable object.</summary>
    internal ElfSection? Owner { get; init; }
}

/// <summary>
/// One ELF object, opened, guarded and parsed once by <see cref="ObjectScanner"/>, and handed to every stage that needs
/// more than the scan's result (check's region decoding, diff's function costs): the same bytes, guards and errors
/// for all of them. Valid only inside the callback it is passed to (its bytes may live in a reused buffer).
/// </summary>
public sealed class ElfObject
{
    private readonly Dictionary<ElfSection, byte[]> bytes = [];
    private SectionBytes? code;
    private IReadOnlyList<FunctionSymbol>? functions;
    private Dictionary<ElfSection, List<(long Offset, int Rank, string Name)>>? codeSymbols;
    private readonly Dictionary<ElfSection, List<CodeSymbol>> sortedCodeSymbols = [];
    private readonly Dictionary<ElfSymbolTable, Dictionary<uint, Iced.Intel.Register>> thunkSymbols = [];

    internal ElfObject(string path, ElfFile file)
    {
        Path = path;
        File = file;
    }

    /// <summary>The path as given (or "archive.a(member.o)").</summary>
    public string Path { get; }

    public string Machine => ElfSections.MachineName(File);

    public int Bitness => ElfSections.Is64(File) ? 64 : 32;

    /// <summary>An executable or shared object (symbol values and relocation offsets are addresses), not a relocatable .o/.ko.</summary>
    public bool IsLinked => File.FileType != ElfFileType.Relocatable;

    internal ElfFile File { get; }

    /// <summary>The executable PROGBITS sections' bytes by name.</summary>
    public SectionBytes Code => code ??= SectionBytes.From(this);

    /// <summary>Every sized function symbol inside its section, ordered by section and offset.</summary>
    public IReadOnlyList<FunctionSymbol> Functions => functions ??= ReadFunctions();

    /// <summary>The bytes of the section a function lies in (empty when unreadable).</summary>
    public byte[] CodeOf(FunctionSymbol function) => function.Owner is { } section ? Bytes(section, out _) : [];

    /// <summary>
    /// A section's bytes (through LibObjectFile's sub-stream; nothing is copied before), read once when
    /// <paramref name="keep"/>; a caller that reads each section once and in turn (a vmlinux's code) does not keep them.
    /// </summary>
    internal byte[] Bytes(ElfSection section, out string? error, bool keep = true)
    {
        error = null;
        if (bytes.TryGetValue(section, out var cached))
        {
            return cached;
        }

        var read = ElfSections.ReadBytes(section, out error);
        if (error is null && keep)
        {
            bytes[section] = read;
        }

        return read;
    }

    /// <summary>A symbol table's retpoline thunks by symbol index, found once per table (every section with sites asks).</summary>
    internal Dictionary<uint, Iced.Intel.Register> ThunkSymbols(ElfSymbolTable table)
    {
        if (!thunkSymbols.TryGetValue(table, out var thunks))
        {
            thunkSymbols[table] = thunks = ElfObjectScanner.FindThunkSymbols(table);
        }

        return thunks;
    }

    /// <summary>
    /// The symbols objdump would restart decoding at in a section: named functions and labels, one name per address
    /// (functions before labels, globals before locals, then by name, for determinism), in address order. One pass over
    /// the symbol tables serves every section (a vmlinux has 190,000 symbols).
    /// </summary>
    internal IReadOnlyList<CodeSymbol> CodeSymbols(ElfSection section)
    {
        codeSymbols ??= CollectCodeSymbols();
        if (sortedCodeSymbols.TryGetValue(section, out var sorted))
        {
            return sorted;
        }

        if (!codeSymbols.Remove(section, out var found))
        {
            return [];
        }

        found.Sort((a, b) => a.Offset != b.Offset ? a.Offset.CompareTo(b.Offset) : a.Rank != b.Rank ? a.Rank.CompareTo(b.Rank) : string.CompareOrdinal(a.Name, b.Name));
        var symbols = new List<CodeSymbol>(found.Count);
        foreach (var (offset, _, name) in found)
        {
            if (symbols.Count == 0 || symbols[^1].Offset != offset)
            {
                symbols.Add(new CodeSymbol(offset, name));
            }
        }

        sortedCodeSymbols[section] = symbols;
        return symbols;
    }

    private Dictionary<ElfSection, List<(long Offset, int Rank, string Name)>> CollectCodeSymbols()
    {
        var bySection = new Dictionary<ElfSection, List<(long, int, string)>>();
        foreach (var table in File.Sections.OfType<ElfSymbolTable>().Where(t => t.Type == ElfSectionType.SymbolTable))
        {
            foreach (var symbol in table.Entries)
            {
                if (symbol.SectionLink.Section is not { } section || (section.Flags & ElfSectionFlags.Executable) == 0 || symbol.Name.IsEmpty
                    || string.IsNullOrEmpty(symbol.Name.Value) || symbol.Type is not (ElfSymbolType.Function or ElfSymbolType.NoType))
                {
                    continue;
                }

                long offset = (long)symbol.Value - ElfSections.Base(File, section);
                if (offset < 0 || offset >= (long)section.Size)
                {
                    continue; // a corrupt value; decoding must stay inside the section.
                }

                if (!bySection.TryGetValue(section, out var list))
                {
                    bySection[section] = list = [];
                }

                list.Add((offset, (symbol.Type == ElfSymbolType.Function ? 0 : 2) + (symbol.Bind == ElfSymbolBind.Global ? 0 : 1), symbol.Name.Value));
            }
        }

        return bySection;
    }

    private List<FunctionSymbol> ReadFunctions()
    {
        var found = new List<FunctionSymbol>();
        foreach (var table in File.Sections.OfType<ElfSymbolTable>().Where(t => t.Type == ElfSectionType.SymbolTable))
        {
            foreach (var symbol in table.Entries)
            {
                if (symbol.Type != ElfSymbolType.Function || symbol.Size == 0 || symbol.SectionLink.Section is not ElfStreamSection section
                    || symbol.Name.IsEmpty || string.IsNullOrEmpty(symbol.Name.Value))
                {
                    continue;
                }

                long offset = (long)symbol.Value - ElfSections.Base(File, section);
                long size = (long)symbol.Size;
                if (offset < 0 || size < 0 || offset > (long)section.Size - size)
                {
                    continue; // a corrupt value: nothing may read outside the section.
                }

                found.Add(new FunctionSymbol(symbol.Name.Value, section.Name.Value ?? string.Empty, offset, size) { Owner = section });
            }
        }

        return [.. found.OrderBy(f => f.Section, StringComparer.Ordinal).ThenBy(f => f.Offset)];
    }
}

/// <summary>The bytes of an object's executable PROGBITS sections by name (the first section of each name), for decoding whole regions.</summary>
public sealed class SectionBytes
{
    private readonly Dictionary<string, byte[]> sections;

    private SectionBytes(Dictionary<string, byte[]> sections) => this.sections = sections;

    public bool HasSection(string name) => sections.ContainsKey(name);

    public bool TryGet(string name, out byte[] bytes) => sections.TryGetValue(name, out bytes!);

    internal static SectionBytes From(ElfObject elf)
    {
        var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var section in elf.File.Sections.OfType<ElfStreamSection>())
        {
            if ((section.Flags & ElfSectionFlags.Executable) != 0 && section.Type == ElfSectionType.ProgBits && !sections.ContainsKey(section.Name.Value))
            {
                var read = elf.Bytes(section, out string? error);
                if (error is null)
                {
                    sections[section.Name.Value] = read;
                }
            }
        }

        return new SectionBytes(sections);
    }
}
