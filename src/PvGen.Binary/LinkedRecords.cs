using LibObjectFile.Elf;
using PvGen.Model;
using PvGen.X86.Records;

namespace PvGen.Binary;

/// <summary>
/// A record section of a linked image whose relocations were stripped (a 6.5+ vmlinux): the stride is the kernel's own
/// <c>sizeof(struct alt_instr)</c> (or <c>struct paravirt_patch_site</c>) from <c>.BTF</c>, never guessed from the
/// section size (which 12, 13 and 14 may all divide) or the version; each pointer field resolves from the linked bytes
/// (absolute, or field address + offset) to the loaded section that holds the address.
/// </summary>
internal static class LinkedRecords
{
    public static RecordSectionResult Read(ElfFile elf, ElfSection section, byte[] bytes, RecordFormat? forced)
    {
        string name = section.Name.Value;
        int pointerSize = ElfSections.Is64(elf) ? 8 : 4;
        var format = forced;
        if (format is null)
        {
            string structName = RecordFormats.FamilyOf(name) == RecordFamily.AltInstructions ? "alt_instr" : "paravirt_patch_site";
            if (BtfTypes.StructSize(elf, structName, out string? btfError) is not int size)
            {
                return Failed(null, $"{name} has {bytes.Length} bytes but no relocations, and {btfError}: give its record format");
            }

            var candidates = RecordFormats.InSection(name).Where(f => f.Stride == size && f.FitsPointerSize(pointerSize)).ToList();
            if (candidates.Count != 1)
            {
                return Failed(null, $"{name}: sizeof(struct {structName}) is {size} bytes ({BtfTypes.SectionName}), which fits no known record format ({string.Join(", ", RecordFormats.InSection(name).Select(f => $"{f.Name} {f.Stride}"))})");
            }

            format = candidates[0];
        }

        if (bytes.Length % format.Stride != 0)
        {
            return Failed(format, $"{name}: {bytes.Length} bytes are not whole {format.Name} records of {format.Stride} bytes");
        }

        var loaded = elf.Sections
            .Where(s => (s.Flags & ElfSectionFlags.Alloc) != 0 && s.Type != ElfSectionType.NoBits && s.Size > 0)
            .OrderBy(s => s.VirtualAddress).ToArray();
        var relocated = format.RelocatedFields;
        var records = new List<DecodedRecord>(bytes.Length / format.Stride);
        var targets = new CodeLocation[relocated.Count];
        long sectionAddress = (long)section.VirtualAddress;
        for (long at = 0; at < bytes.Length; at += format.Stride)
        {
            var record = bytes.AsSpan((int)at, format.Stride);
            for (int j = 0; j < relocated.Count; j++)
            {
                long address = RecordFormat.LinkedTarget(record, relocated[j], sectionAddress + at);
                if (Locate(loaded, address) is not { } target)
                {
                    return Failed(format, $"{name}: the record at 0x{at:x} has its {relocated[j].Name} at 0x{address:x}, inside no loaded section");
                }

                targets[j] = new CodeLocation(target.Name.Value, address - (long)target.VirtualAddress);
            }

            records.Add(new DecodedRecord(at, format.Decode(record, targets)));
        }

        return new RecordSectionResult(format, records.ToEquatableArray(), null, true);
    }

    /// <summary>The section whose [address, address + size) holds <paramref name="address"/>.</summary>
    private static ElfSection? Locate(ElfSection[] byAddress, long address)
    {
        int lo = 0, hi = byAddress.Length - 1;
        ElfSection? found = null;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if ((long)byAddress[mid].VirtualAddress <= address)
            {
                found = byAddress[mid];
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found is not null && address < (long)(found.VirtualAddress + found.Size) ? found : null;
    }

    private static RecordSectionResult Failed(RecordFormat? format, string error) => new(format, EquatableArray<DecodedRecord>.Empty, error, true);
}
