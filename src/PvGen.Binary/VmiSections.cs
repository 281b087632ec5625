using LibObjectFile.Elf;
using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Binary;

/// <summary>The VMI-style records of one object, the bytes their witnesses point into, or why they could not be read.</summary>
/// <param name="Present">The object has a <c>.pvgen.vmi</c> section at all.</param>
/// <param name="Sections">The bytes of every section a record points into (code and the witness section), by name.</param>
public sealed record VmiSectionResult(bool Present, IReadOnlyList<VmiRecord> Records, IReadOnlyDictionary<string, byte[]> Sections, string? Error);

/// <summary>
/// Reads <see cref="VmiRecordFormat"/> records from a relocatable object: each record's two PC-relative fields are
/// resolved through the section's relocations (exactly two per record, at +0 and +4), as the kernel would add the
/// field's address back to each.
/// </summary>
public static class VmiSections
{
    public static VmiSectionResult Read(ElfObject elf)
    {
        var file = elf.File;
        var section = file.Sections.FirstOrDefault(s => s.Name.Value == VmiRecordFormat.Section);
        var none = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (section is null)
        {
            return new VmiSectionResult(false, [], none, null);
        }

        VmiSectionResult Failed(string error) => new(true, [], none, $"{VmiRecordFormat.Section}: {error}");
        if (elf.IsLinked)
        {
            return Failed("only relocatable objects are read (the records are resolved through their relocations)");
        }

        var bytes = elf.Bytes(section, out string? readError);
        if (readError is not null)
        {
            return Failed(readError);
        }

        if (bytes.Length % VmiRecordFormat.Stride != 0)
        {
            return Failed($"{bytes.Length} bytes are not whole {VmiRecordFormat.Stride}-byte {VmiRecordFormat.Name} records");
        }

        var table = ElfSections.RelocationTables(file).FirstOrDefault(t => ReferenceEquals(t.Target, section)).Table;
        int count = bytes.Length / VmiRecordFormat.Stride;
        var relocations = table?.Entries.OrderBy(r => r.Offset).ToList() ?? [];
        if (relocations.Count != count * VmiRecordFormat.RelocatedFields.Count)
        {
            return Failed($"{count} records need {count * VmiRecordFormat.RelocatedFields.Count} relocations, the section has {relocations.Count}");
        }

        if (count > 0 && table!.Link.Section is not ElfSymbolTable symbols)
        {
            return Failed("its relocation table has no symbol table");
        }

        bool is64 = ElfSections.Is64(file);
        var records = new List<VmiRecord>(count);
        var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            long at = (long)i * VmiRecordFormat.Stride;
            var targets = new CodeLocation[VmiRecordFormat.RelocatedFields.Count];
            for (int j = 0; j < targets.Length; j++)
            {
                var field = VmiRecordFormat.RelocatedFields[j];
                var relocation = relocations[i * targets.Length + j];
                var info = RelocationInfo.Of(is64, relocation.Type.Value);
                if ((long)relocation.Offset != at + field.Offset || info.AsField != field.Relocation)
                {
                    return Failed($"record {i}: expected its {field.Name} relocated {field.Relocation} at 0x{at + field.Offset:x}, found {info.Name} at 0x{relocation.Offset:x}");
                }

                var symbolTable = (ElfSymbolTable)table!.Link.Section!;
                if (relocation.SymbolIndex >= symbolTable.Entries.Count || symbolTable.Entries[(int)relocation.SymbolIndex].SectionLink.Section is not { } target)
                {
                    return Failed($"record {i}'s {field.Name} points at a symbol not defined in this object");
                }

                var symbol = symbolTable.Entries[(int)relocation.SymbolIndex];
                long addend = table.IsRelocationWithAddends ? relocation.Addend : info.ImplicitAddend(bytes.AsSpan((int)(at + field.Offset), info.FieldSize));
                targets[j] = new CodeLocation(target.Name.Value, (long)symbol.Value + addend);
                if (!sections.ContainsKey(target.Name.Value))
                {
                    var targetBytes = elf.Bytes(target, out string? targetError);
                    if (targetError is not null)
                    {
                        return Failed(targetError);
                    }

                    sections[target.Name.Value] = targetBytes;
                }
            }

            try
            {
                records.Add(VmiRecordFormat.Decode(bytes.AsSpan((int)at, VmiRecordFormat.Stride), targets[0], targets[1]));
            }
            catch (ArgumentException e)
            {
                return Failed($"record {i}: {e.Message}");
            }
        }

        return new VmiSectionResult(true, records, sections, null);
    }
}
