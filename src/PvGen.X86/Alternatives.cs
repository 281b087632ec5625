using System.Globalization;

namespace PvGen.X86;

/// <summary>The flags of an <c>.altinstructions</c> entry, as 6.3+ kernels store them in bits 16-31 of <c>ft_flags</c>.</summary>
[Flags]
public enum AltFlags
{
    None = 0,

    /// <summary>ALT_FLAG_NOT: apply the replacement when the feature is absent (5.13-6.2: bit 15 of the u16 cpuid).</summary>
    Not = 1 << 0,

    /// <summary>ALT_FLAG_DIRECT_CALL (6.8+): the original is <c>call *slot</c>; patch it into a direct call to the slot's target.</summary>
    DirectCall = 1 << 1,
}

/// <summary>x86 alternatives facts: <c>ft_flags</c> bits, feature numbers and the conditions pv sites use (paravirt-facts section 12).</summary>
public static class Alternatives
{
    public const string Section = ".altinstructions";

    /// <summary>Where the replacement bytes live (the kernel's name; never <c>.altinstructions_replacement</c>).</summary>
    public const string ReplacementSection = ".altinstr_replacement";

    /// <summary>ALT_FLAGS_SHIFT: flags sit above the 16-bit feature number in <c>ft_flags</c>.</summary>
    public const int FlagsShift = 16;

    /// <summary>5.13-6.2 (12-byte entries): ALTINSTR_FLAG_INV, bit 15 of the u16 cpuid.</summary>
    public const int LegacyNotBit = 1 << 15;

    /// <summary>X86_FEATURE_ALWAYS = 3*32+21: a feature every CPU has.</summary>
    public const int FeatureAlways = 3 * 32 + 21;

    /// <summary>X86_FEATURE_XENPV = 8*32+16: running as a Xen PV guest.</summary>
    public const int FeatureXenPv = 8 * 32 + 16;

    /// <summary>X86_FEATURE_VCPUPREEMPT = 8*32+21: the pv vcpu_is_preempted function is in use.</summary>
    public const int FeatureVcpuPreempt = 8 * 32 + 21;

    /// <summary>ALT_CALL_ALWAYS = ALT_DIRECT_CALL(X86_FEATURE_ALWAYS) = 0x00020075: the entry of every 6.8+ pv call site.</summary>
    public static int CallAlways => FtFlags(FeatureAlways, AltFlags.DirectCall);

    /// <summary>ALT_NOT_XEN = ALT_NOT(X86_FEATURE_XENPV) = 0x00010110: the native code, unless under Xen PV.</summary>
    public static int NotXen => FtFlags(FeatureXenPv, AltFlags.Not);

    /// <summary>ALT_CALL_INSTR: the replacement of a DIRECT_CALL entry, a 5-byte call the patcher retargets.</summary>
    public const string DefaultDirectCallSymbol = "BUG_func";

    /// <summary><c>alt_replace_call()</c> insists on a 6-byte original and a 5-byte <c>e8</c> replacement.</summary>
    public const int DirectCallInstrLength = 6;

    public static int FtFlags(int feature, AltFlags flags) => ((int)flags << FlagsShift) | (feature & 0xffff);

    public static int FeatureOf(int ftFlags) => ftFlags & 0xffff;

    public static AltFlags FlagsOf(int ftFlags) => (AltFlags)((ftFlags >>> FlagsShift) & 0xffff);

    /// <summary>The feature as the kernel writes it, "word*32+bit" (e.g. "3*32+21").</summary>
    public static string FeatureText(int feature) => string.Create(CultureInfo.InvariantCulture, $"{feature / 32}*32+{feature % 32}");

    /// <summary>Condition names pvgen.json accepts for a native alternative ("generate.native_condition").</summary>
    public static readonly IReadOnlyDictionary<string, int> Conditions = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["ALT_NOT_XEN"] = NotXen,
        ["X86_FEATURE_ALWAYS"] = FeatureAlways,
        ["ALT_NOT(X86_FEATURE_XENPV)"] = NotXen,
        ["ALT_NOT(X86_FEATURE_VCPUPREEMPT)"] = FtFlags(FeatureVcpuPreempt, AltFlags.Not),
    };

    /// <summary>A condition by name or as a number ("0x10110", "65808"); null when it is neither.</summary>
    public static int? ParseCondition(string text)
    {
        if (Conditions.TryGetValue(text.Trim(), out int known))
        {
            return known;
        }

        string t = text.Trim();
        bool hex = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        return long.TryParse(hex ? t[2..] : t, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            && value is >= 0 and <= uint.MaxValue
            ? unchecked((int)(uint)value)
            : null;
    }
}
