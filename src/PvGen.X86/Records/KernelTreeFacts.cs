using System.Text.RegularExpressions;

namespace PvGen.X86.Records;

/// <summary>
/// What a kernel source tree's x86 headers say about its pv site records: which format its macros emit and which CLBR_*
/// generation its clobber masks follow. Read from the text of the headers, so it works on any era's tree and on the
/// header-only trees distributions ship.
/// </summary>
/// <param name="RecordFormat">The format the tree's PVOP macros emit, or null when the headers do not say.</param>
/// <param name="ClobberEra">The CLBR_* generation, or null when the tree has no CLBR_* (6.2+).</param>
/// <param name="Evidence">Which header and definition decided, for messages.</param>
public sealed partial record KernelTreeFacts(RecordFormat? RecordFormat, ClobberEra? ClobberEra, string Evidence)
{
    /// <summary>Where the eras keep the paravirt and alternatives headers (2.6.20-2.6.23 asm-i386, 2.6.24-2.6.27 asm-x86, later arch/x86).</summary>
    private static readonly string[] HeaderDirectories = ["arch/x86/include/asm", "include/asm-x86", "include/asm-i386"];

    private static readonly string[] HeaderNames = ["alternative.h", "paravirt_types.h", "paravirt.h"];

    /// <summary>Every file <see cref="Read"/> looks at, present or not (a later run must find each as it was).</summary>
    public static IEnumerable<string> FilesRead(string sourceTree) =>
        HeaderNames.SelectMany(name => HeaderDirectories.Select(dir => Path.Combine(sourceTree, dir, name)));

    public static KernelTreeFacts Read(string sourceTree, int pointerSize)
    {
        string alternative = ReadHeaders(sourceTree, HeaderNames[0]);
        string paravirt = ReadHeaders(sourceTree, HeaderNames[1]) + ReadHeaders(sourceTree, HeaderNames[2]);

        ClobberEra? era = DefinesMacro(paravirt, "CLBR_EDI") ? X86.ClobberEra.Linux2625
            : DefinesMacro(paravirt, "CLBR_ANY") ? X86.ClobberEra.Linux2620
            : null;

        // 6.8 (da0fe6e68e10, f7af6977621a): pv sites are ALT_FLAG_DIRECT_CALL alternatives; .parainstructions is gone.
        if (DefinesMacro(alternative, "ALT_FLAG_DIRECT_CALL"))
        {
            return new KernelTreeFacts(RecordFormats.Alt14, era, "asm/alternative.h defines ALT_FLAG_DIRECT_CALL");
        }

        var site = PatchSiteStruct().Match(paravirt);
        if (site.Success)
        {
            string body = site.Groups["body"].Value;
            if (Regex.IsMatch(body, @"\bs32\s+instr_offset\b"))
            {
                return new KernelTreeFacts(RecordFormats.Para6, era, "struct paravirt_patch_site has s32 instr_offset");
            }

            if (Regex.IsMatch(body, @"\*\s*instr\b"))
            {
                return new KernelTreeFacts(RecordFormats.DefaultFor(pointerSize), era, "struct paravirt_patch_site has a pointer 'instr'");
            }
        }

        return new KernelTreeFacts(null, era, "neither ALT_FLAG_DIRECT_CALL nor struct paravirt_patch_site found in the tree's headers");
    }

    private static string ReadHeaders(string tree, string name) => string.Concat(HeaderDirectories
        .Select(dir => Path.Combine(tree, dir, name))
        .Where(File.Exists)
        .Select(File.ReadAllText));

    private static bool DefinesMacro(string text, string name) => Regex.IsMatch(text, $@"^\s*#\s*define\s+{Regex.Escape(name)}\b", RegexOptions.Multiline);

    [GeneratedRegex(@"struct\s+paravirt_patch_site\s*\{(?<body>[^}]*)\}", RegexOptions.Singleline)]
    private static partial Regex PatchSiteStruct();
}
