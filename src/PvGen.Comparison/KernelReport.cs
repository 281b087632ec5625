namespace PvGen.Comparison;

/// <summary>
/// What a diff over real kernel objects adds to the report (pvgen diff --kernel-source): the tree and how it was
/// configured and built, and per object the proof that the kernel's own macros and the macro drop-in produce the same
/// records, and the warnings each drop-in adds.
/// </summary>
/// <param name="Version">The tree's Makefile version, e.g. 6.1.192.</param>
/// <param name="ConfigChanges">What was changed in the distribution's configuration to build outside its packaging, said as sentences.</param>
/// <param name="Compiler">The compiler Kbuild ran (CC=), with its version line.</param>
/// <param name="Recording">How the tree records pv sites: parainstructions (up to 6.7) or altinstructions (6.8+).</param>
/// <param name="Objects">Per object, in the order asked.</param>
public sealed record KernelReport(
    string Version,
    string Source,
    string Config,
    IReadOnlyList<string> ConfigChanges,
    string Compiler,
    string Recording,
    IReadOnlyList<KernelObjectResult> Objects,
    KernelEquivalence Equivalence);

/// <summary>One kernel object in the three builds.</summary>
/// <param name="KernelRecords">Site records in the kernel's own build (.parainstructions records, or .altinstructions DIRECT_CALL entries).</param>
/// <param name="MacroRecords">The same in the macro drop-in build.</param>
/// <param name="RecordsEqual">The two builds hold the same records: same sections, offsets, slots, lengths (and clobbers, where recorded).</param>
/// <param name="Identical">Every allocated section (code, data, every record section) and its relocations are byte for byte the same.</param>
/// <param name="Differences">The first differences found, when not identical.</param>
/// <param name="MacroNewWarnings">Warnings of the macro drop-in build that the kernel's own build of the object does not print.</param>
/// <param name="PlainNewWarnings">The same for the plain drop-in build.</param>
public sealed record KernelObjectResult(
    string Object,
    string? KernelError,
    string? MacroError,
    string? PlainError,
    int KernelRecords,
    int MacroRecords,
    bool RecordsEqual,
    bool Identical,
    IReadOnlyList<RecordSectionCount> Sections,
    IReadOnlyList<string> Differences,
    IReadOnlyList<string> KernelWarnings,
    IReadOnlyList<string> MacroNewWarnings,
    IReadOnlyList<string> PlainNewWarnings);

/// <summary>Entries of one record section in the kernel's own and the macro drop-in's object.</summary>
public sealed record RecordSectionCount(string Section, int Kernel, int Macro);

/// <summary>The proof over all objects: how many reproduce the kernel's records, and how many are byte-identical.</summary>
public sealed record KernelEquivalence(int Objects, int RecordsEqual, int Identical, int KernelRecords, int MacroRecords, int MacroNewWarnings, int PlainNewWarnings);
