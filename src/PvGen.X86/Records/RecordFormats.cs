namespace PvGen.X86.Records;

/// <summary>
/// Every record format (adding a layout is one <see cref="RecordFormat"/> subclass and its entry in <see cref="All"/>), the
/// legacy names each stage used before there was one vocabulary, and format detection.
/// </summary>
public static class RecordFormats
{
    public static RecordFormat Para6 { get; } = new Para6();
    public static RecordFormat Para8 { get; } = new Para8();
    public static RecordFormat Para16 { get; } = new Para16();
    public static RecordFormat Alt12 { get; } = new Alt12();
    public static RecordFormat Alt13 { get; } = new Alt13();
    public static RecordFormat Alt14 { get; } = new Alt14();

    /// <summary>
    /// Every format, .parainstructions first, then by stride. Listed, not found by reflection: a NativeAOT build has no
    /// type list to search; RecordRegistryTests compares the list with the subclasses reflection finds.
    /// </summary>
    public static IReadOnlyList<RecordFormat> All { get; } = [Para6, Para8, Para16, Alt12, Alt13, Alt14];

    /// <summary>
    /// The names stages used before: generate's <c>record_layout</c> (i386, x86_64, packed), scan's
    /// <c>--record-format</c> and JSON (absolute32, absolute64, relative32), check's <c>--record-format</c> (abs32, abs64, rel32).
    /// Accepted everywhere a format is named; the canonical name is what pvgen writes.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> LegacyAliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["i386"] = "para8",
        ["absolute32"] = "para8",
        ["abs32"] = "para8",
        ["x86_64"] = "para16",
        ["absolute64"] = "para16",
        ["abs64"] = "para16",
        ["packed"] = "para6",
        ["relative32"] = "para6",
        ["rel32"] = "para6",
    };

    /// <summary>Canonical names, for help texts and "use one of" messages.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(f => f.Name)];

    /// <summary>The formats generate can write: those that can mark a pv call site.</summary>
    public static IReadOnlyList<string> GeneratableNames { get; } = [.. All.Where(f => f.CanRecordPvSites).Select(f => f.Name)];

    /// <summary>Every accepted name: canonical names, then the legacy aliases.</summary>
    public static IReadOnlyList<string> AcceptedNames { get; } = [.. Names, .. LegacyAliases.Keys];

    /// <summary>The help text of every option that names a format ("auto" detects).</summary>
    public static string OptionHelp =>
        "auto (detect each object's from its relocations), "
        + string.Join(", ", All.Select(f => $"{f.Name} ({f.Stride}-byte {f.Section}, {f.Kernels})"))
        + $"; the old names {string.Join(", ", LegacyAliases.Keys)} are accepted";

    /// <summary>A format by its name or a legacy alias; null when there is none.</summary>
    public static RecordFormat? Find(string name) =>
        All.FirstOrDefault(f => f.Name == (LegacyAliases.TryGetValue(name, out string? canonical) ? canonical : name));

    private static readonly string[] LegacyScanNames = ["absolute32", "absolute64", "relative32"];

    /// <summary>The name scan's JSON wrote before (absolute32/absolute64/relative32; kept in "annotation_format"), or the canonical name.</summary>
    public static string LegacyScanName(RecordFormat format) => LegacyScanNames.FirstOrDefault(n => LegacyAliases[n] == format.Name) ?? format.Name;

    /// <summary>Formats of one section, e.g. every .altinstructions layout.</summary>
    public static IEnumerable<RecordFormat> InSection(string section) => All.Where(f => f.Section == section);

    public static RecordFamily? FamilyOf(string section) => All.FirstOrDefault(f => f.Section == section)?.Family;

    /// <summary>Every section some format lives in (".parainstructions", ".altinstructions").</summary>
    public static IReadOnlyList<string> Sections { get; } = [.. All.Select(f => f.Section).Distinct()];

    /// <summary>The layout generate uses when nothing says otherwise: the pre-6.8 kernel's for the target.</summary>
    public static RecordFormat DefaultFor(int pointerSize) => pointerSize == 8 ? Para16 : Para8;

    /// <summary>
    /// The one format of <paramref name="section"/> whose records the relocations (sorted by offset) describe exactly:
    /// one relocation per pointer field at the field's offset in each record, of the field's kind, in a section of the
    /// right size. Relocations, not sizes, decide: a section's size can divide by 12, 13 and 14 at once.
    /// </summary>
    public static RecordFormat? Detect(string section, IReadOnlyList<(long Offset, FieldRelocation? Kind)> relocations, long sectionSize, int pointerSize, out string? error)
    {
        error = null;
        var candidates = InSection(section).Where(f => f.FitsPointerSize(pointerSize)).ToList();
        if (candidates.Count == 0)
        {
            error = $"{section}: no known record format for {pointerSize * 8}-bit objects";
            return null;
        }

        var matching = candidates.Where(f => f.Mismatch(relocations, sectionSize) is null).ToList();
        if (matching.Count == 1)
        {
            return matching[0];
        }

        string known = string.Join(", ", candidates.Select(f => $"{f.Name} ({f.Stride} bytes)"));
        error = matching.Count == 0
            ? $"{section}: {relocations.Count} relocations in {sectionSize} bytes match no known record format ({known}){Closest(candidates, relocations, sectionSize)}"
            : $"{section}: {sectionSize} bytes with {relocations.Count} relocations fit {string.Join(" and ", matching.Select(f => f.Name))} alike; name the format explicitly";
        return null;
    }

    /// <summary>
    /// The format of a linked image, from <c>sizeof</c> of the record struct as its debug information (BTF, DWARF) or
    /// symbol sizes tell it: <c>struct alt_instr</c> for .altinstructions, <c>struct paravirt_patch_site</c> for .parainstructions.
    /// </summary>
    public static RecordFormat? FromStructSize(string section, int structSize, int pointerSize, out string? error)
    {
        error = null;
        var found = InSection(section).Where(f => f.FitsPointerSize(pointerSize) && f.Stride == structSize).ToList();
        if (found.Count == 1)
        {
            return found[0];
        }

        error = $"{section}: a record struct of {structSize} bytes matches no known {pointerSize * 8}-bit format ({string.Join(", ", InSection(section).Where(f => f.FitsPointerSize(pointerSize)).Select(f => $"{f.Name} {f.Stride}"))})";
        return null;
    }

    /// <summary>Why the candidate nearest to fitting does not (the first mismatch of the format with the most relocations per record that divides the count).</summary>
    private static string Closest(List<RecordFormat> candidates, IReadOnlyList<(long Offset, FieldRelocation? Kind)> relocations, long sectionSize)
    {
        if (relocations.Count == 0)
        {
            return string.Empty;
        }

        // The stride the relocations suggest: the distance between the first pointer fields of records 0 and 1.
        int perRecord = candidates.Max(f => f.RelocatedFields.Count);
        string stride = relocations.Count > perRecord ? $"; they repeat every {relocations[perRecord].Offset - relocations[0].Offset} bytes" : string.Empty;
        var nearest = candidates.FirstOrDefault(f => relocations.Count % f.RelocatedFields.Count == 0 && f.RelocatedFields[0].Relocation == relocations[0].Kind) ?? candidates[0];
        return $"{stride}; as {nearest.Name}: {nearest.Mismatch(relocations, sectionSize)}";
    }
}
