using LibObjectFile.Elf;

namespace PvGen.Checking.Annotations;

/// <summary>The bytes of an object's executable sections, for decoding whole annotated regions.</summary>
public sealed class SectionBytes
{
    private readonly Dictionary<string, byte[]> sections;

    private SectionBytes(Dictionary<string, byte[]> sections) => this.sections = sections;

    public bool HasSection(string name) => sections.ContainsKey(name);

    public bool TryGet(string name, out byte[] bytes) => sections.TryGetValue(name, out bytes!);

    /// <summary>Reads an ELF file's executable PROGBITS sections; null when the file is not a readable ELF.</summary>
    public static SectionBytes? Read(string path)
    {
        using var stream = File.OpenRead(path);
        if (!ElfFile.TryRead(stream, out var elf, out _))
        {
            return null;
        }

        var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var section in elf.Sections.OfType<ElfStreamSection>())
        {
            if ((section.Flags & ElfSectionFlags.Executable) != 0 && section.Type == ElfSectionType.ProgBits && !sections.ContainsKey(section.Name.Value))
            {
                var buffer = new MemoryStream();
                section.Stream.Position = 0;
                section.Stream.CopyTo(buffer);
                sections[section.Name.Value] = buffer.ToArray();
            }
        }

        return new SectionBytes(sections);
    }
}
