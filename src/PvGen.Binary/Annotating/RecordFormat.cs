namespace PvGen.Binary.Annotating;

/// <summary>
/// The record formats `pvgen annotate` writes and the patcher of `pvgen prove` walks (paravirt-facts sections 4 and 12).
/// Interim home: the formats move to PvGen.X86 with the alt branch.
/// </summary>
public sealed record RecordFormat(string Name, string Section, int Stride, int Alignment, string Description)
{
    /// <summary>.parainstructions, 8 bytes (i386): .long site; .byte type; .byte len; .short clobbers.</summary>
    public static readonly RecordFormat Para8 = new("para8", ".parainstructions", 8, 4, ".parainstructions, 8-byte i386 records (2.6.20-6.7)");

    /// <summary>.parainstructions, 16 bytes (x86-64): .quad site; .byte type; .byte len; .short clobbers; 4 bytes padding.</summary>
    public static readonly RecordFormat Para16 = new("para16", ".parainstructions", 16, 8, ".parainstructions, 16-byte x86-64 records (2.6.25-6.4)");

    /// <summary>.parainstructions, 6 bytes packed: .long site - .; .byte type; .byte len.</summary>
    public static readonly RecordFormat Para6 = new("para6", ".parainstructions", 6, 1, ".parainstructions, 6-byte packed PC-relative records (6.5-6.7)");

    public static readonly IReadOnlyList<RecordFormat> All = [Para8, Para16, Para6];

    public bool IsParaInstructions => Section == ".parainstructions";

    public static RecordFormat? Find(string name) => All.FirstOrDefault(f => f.Name == name);

    /// <summary>The formats a target's kernels used, its default first.</summary>
    public static IReadOnlyList<RecordFormat> ForMachine(bool is64) => is64 ? [Para16, Para6] : [Para8, Para6];

    public static RecordFormat DefaultFor(bool is64) => is64 ? Para16 : Para8;

    /// <summary>Why this format cannot be written into an object of that word size, or null.</summary>
    public string? UnsupportedFor(bool is64) => (this, is64) switch
    {
        ({ Name: "para8" }, true) => "para8 records hold a 32-bit site address; x86-64 kernels use para16 or para6",
        ({ Name: "para16" }, false) => "para16 records hold a 64-bit site address; i386 kernels use para8 or para6",
        _ => null,
    };

    /// <summary>The reader's name for the layout (the scanner reads back what annotate wrote).</summary>
    public ParaInstructionsFormat ReaderFormat => Name switch
    {
        "para8" => ParaInstructionsFormat.Absolute32,
        "para16" => ParaInstructionsFormat.Absolute64,
        "para6" => ParaInstructionsFormat.Relative32,
        _ => ParaInstructionsFormat.Auto,
    };

    public override string ToString() => Name;
}
