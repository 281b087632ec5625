using LibObjectFile.Elf;
using PvGen.Model;
using PvGen.X86.Records;

namespace PvGen.Binary;

/// <summary>The records of one object's .parainstructions section, or why they could not be read.</summary>
/// <param name="Format">The layout used (detected or forced); null when the object has no such section.</param>
public sealed record ParaInstructionsResult(RecordFormat? Format, EquatableArray<Annotation> Records, string? Error)
{
    public static readonly ParaInstructionsResult None = new(null, EquatableArray<Annotation>.Empty, null);
}

/// <summary>
/// Reads <c>.parainstructions</c> in the kernel's three layouts (para8, para16, para6; paravirt-facts sections 4 and 11)
/// as <see cref="Annotation"/>s. Every record carries exactly one relocation (its instruction pointer), so the relocations
/// count the records and their stride gives the layout; the last record may be shorter than the stride.
/// </summary>
public static class ParaInstructionsReader
{
    public const string SectionName = ".parainstructions";

    /// <summary>Reads the records of <paramref name="elf"/>; <see cref="ParaInstructionsResult.None"/> when it has no such section.</summary>
    /// <param name="format">A .parainstructions format to use instead of detecting one; null detects.</param>
    /// <param name="section">The section to read instead of .parainstructions (records generated into a section of the user's choosing).</param>
    public static ParaInstructionsResult Read(ElfFile elf, RecordFormat? format = null, string? section = null)
    {
        var result = RecordSectionReader.Read(elf, section ?? SectionName, format is { Family: RecordFamily.ParaInstructions } ? format : null, moved: section is not null);
        if (!result.Present)
        {
            return ParaInstructionsResult.None;
        }

        var records = result.Records
            .Select(r => (r.RecordOffset, Para: (ParaRecord)r.Record))
            .Select(r => new Annotation(r.Para.Site.Section, r.Para.Site.Offset, r.Para.Type, r.Para.Length, r.Para.Clobbers, r.RecordOffset, HasSite: false))
            .ToEquatableArray();
        return new ParaInstructionsResult(result.Format, records, result.Error);
    }
}
