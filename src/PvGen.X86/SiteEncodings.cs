namespace PvGen.X86;

/// <summary>How an instruction reaches the table slot it calls or jumps through.</summary>
public enum SiteAddressing
{
    /// <summary>x86-64 <c>disp32(%rip)</c>: slot address = next IP + disp (kernels from 5.18).</summary>
    RipRelative,

    /// <summary>An absolute 32-bit address: x86-64 <c>ff 14 25 abs32</c> (SIB, no base or index), i386 <c>ff 15 abs32</c>.</summary>
    Absolute32,

    /// <summary>A direct <c>e8</c>/<c>e9</c> rel32 to the target itself (what the patcher writes).</summary>
    Direct,
}

/// <summary>One x86 encoding of a pv call site or of its patched replacement (paravirt-facts section 5.1).</summary>
/// <param name="Opcode">The bytes before the 32-bit field (opcode, ModRM, SIB).</param>
/// <param name="Bitness">64 or 32.</param>
/// <param name="IsJump">jmp rather than call.</param>
public sealed record SiteEncoding(string Name, byte[] Opcode, int Bitness, bool IsJump, SiteAddressing Addressing)
{
    /// <summary>Total length: the opcode bytes plus the 32-bit displacement or immediate.</summary>
    public int Length => Opcode.Length + 4;

    /// <summary>Where the 32-bit field (and its relocation) starts inside the instruction.</summary>
    public int FieldOffset => Opcode.Length;

    /// <summary>Whether <paramref name="bytes"/> begin with this encoding's opcode bytes.</summary>
    public bool Matches(ReadOnlySpan<byte> bytes) => bytes.Length >= Length && bytes[..Opcode.Length].SequenceEqual(Opcode);
}

/// <summary>The site encodings, each once.</summary>
public static class SiteEncodings
{
    /// <summary>x86-64 <c>call *pv_ops+N(%rip)</c>: <c>ff 15 rel32</c>, 6 bytes, R_X86_64_PC32 at +2 with addend N-4 (5.18+, and every 6.8+ DIRECT_CALL site).</summary>
    public static readonly SiteEncoding CallRipRelative = new("call *disp32(%rip)", [0xff, 0x15], 64, false, SiteAddressing.RipRelative);

    /// <summary>x86-64 <c>call *pv_ops+N</c>: <c>ff 14 25 abs32</c>, 7 bytes, R_X86_64_32S at +3 (2.6.25 to 5.17).</summary>
    public static readonly SiteEncoding CallAbsolute64 = new("call *abs32 (x86-64)", [0xff, 0x14, 0x25], 64, false, SiteAddressing.Absolute32);

    /// <summary>i386 <c>call *pv_ops+N</c>: <c>ff 15 abs32</c>, 6 bytes, R_386_32 at +2 (every era).</summary>
    public static readonly SiteEncoding CallAbsolute32 = new("call *abs32 (i386)", [0xff, 0x15], 32, false, SiteAddressing.Absolute32);

    public static readonly SiteEncoding JmpRipRelative = new("jmp *disp32(%rip)", [0xff, 0x25], 64, true, SiteAddressing.RipRelative);
    public static readonly SiteEncoding JmpAbsolute64 = new("jmp *abs32 (x86-64)", [0xff, 0x24, 0x25], 64, true, SiteAddressing.Absolute32);
    public static readonly SiteEncoding JmpAbsolute32 = new("jmp *abs32 (i386)", [0xff, 0x25], 32, true, SiteAddressing.Absolute32);

    /// <summary>The patcher's direct call <c>e8 rel32</c> (5 bytes): the smallest site a direct call fits in.</summary>
    public static readonly SiteEncoding DirectCall = new("call rel32", [0xe8], 0, false, SiteAddressing.Direct);

    /// <summary>The patcher's direct jump <c>e9 rel32</c> (5 bytes), for jump ops such as iret.</summary>
    public static readonly SiteEncoding DirectJmp = new("jmp rel32", [0xe9], 0, true, SiteAddressing.Direct);

    /// <summary>Bytes a site needs so a direct call or jump can replace it.</summary>
    public static int DirectCallLength => DirectCall.Length;

    /// <summary>The indirect call through a table slot for a target and call form ("rip" or "abs" on x86-64; i386 is always abs).</summary>
    public static SiteEncoding IndirectCall(int pointerSize, bool ripRelative, bool jump = false) => (pointerSize, ripRelative, jump) switch
    {
        (8, true, false) => CallRipRelative,
        (8, false, false) => CallAbsolute64,
        (8, true, true) => JmpRipRelative,
        (8, false, true) => JmpAbsolute64,
        (_, _, false) => CallAbsolute32,
        _ => JmpAbsolute32,
    };

    /// <summary>
    /// The only original a 6.8+ DIRECT_CALL entry may annotate: <c>ff 15</c> and 6 bytes (x86-64 rel32, i386 abs32);
    /// <c>alt_replace_call()</c> BUG()s on anything else.
    /// </summary>
    public static SiteEncoding DirectCallOriginal(int pointerSize) => pointerSize == 8 ? CallRipRelative : CallAbsolute32;
}
